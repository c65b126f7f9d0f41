//! Bench helper: fills a project with linked accounts straight through the store, so that
//! `scripts/bench-accounts.sh` can measure the accounts API over 10,000 of them without
//! verifying 10,000 tokens with Front first. Not part of the product.
//!
//! Usage: `ACTIONHUB_MASTER_KEY=… seed_accounts DATABASE_URL COUNT [PROJECT]`; prints the id of
//! one seeded account on stdout.

use actionhub_store::{Keyring, LinkTarget, NewAccount, Store};
use secrecy::SecretString;

/// Linkings in flight at once.
const CONCURRENCY: usize = 8;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: seed_accounts DATABASE_URL COUNT [PROJECT]";
    let url = args.next().ok_or(usage)?;
    let count: usize = args.next().ok_or(usage)?.parse()?;
    let project = args.next().unwrap_or_else(|| "default".to_owned());
    let keyring = Keyring::parse(&std::env::var("ACTIONHUB_MASTER_KEY")?)?;
    let store = Store::open(&url, keyring).await?;
    let project = store.project(&project).await?;
    let mut workers = Vec::new();
    for worker in 0..CONCURRENCY {
        let (store, project_id) = (store.clone(), project.id.clone());
        workers.push(tokio::spawn(async move {
            let mut first = None;
            for n in (worker..count).step_by(CONCURRENCY) {
                let account = NewAccount {
                    provider: "front".to_owned(),
                    origin_owner_id: format!("bench-owner-{n:05}"),
                    origin_owner_name: format!("Bench Customer {n}"),
                    origin_username: None,
                    label: Some(format!("Bench {n}")),
                    metadata: None,
                    allowed_actions: None,
                    provider_account_id: "cmp_bench".to_owned(),
                    provider_account_name: "Bench Company".to_owned(),
                    credentials: vec![(
                        "api_token".to_owned(),
                        SecretString::from(format!("bench-token-{n}")),
                    )],
                    target: LinkTarget::Owner,
                    session_id: None,
                };
                let (saved, _) = store.save_account(&project_id, account).await?;
                first.get_or_insert(saved.id);
            }
            Ok::<_, actionhub_store::StoreError>(first)
        }));
    }
    let mut some_id = None;
    for worker in workers {
        if let Some(id) = worker.await?? {
            some_id.get_or_insert(id);
        }
    }
    store.close().await;
    println!("{}", some_id.ok_or("COUNT must be at least 1")?);
    Ok(())
}
