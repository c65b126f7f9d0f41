//! The store's test suite, written once and run against both backends: every test below runs
//! as `sqlite::NAME` (a file in a temporary directory) and `postgres::NAME` (a fresh database
//! on the machine's server, dropped afterwards; the test fails if the server is down).

use actionhub_store::{
    AccountFilter, AccountPatch, ActionFacts, ApprovalFilter, ApprovalResult, ApprovalStatus,
    ApprovalVerdict, AttemptOutcome, AttemptRecord, Decision, FrontEvent, IdempotencyBegin,
    Keyring, LinkTarget, NewAccount, NewApproval, NewEndpoint, NewSession, Policy, PolicyLevel,
    Purged, Run, RunFilter, Status, Store, StoreError, Timestamp, VaultError, new_run_id,
    sqlite_holds_sealed_data,
};
use actionhub_testkit::{KEY_V1, KEY_V2, TestDatabase, contains_secret};
use secrecy::{ExposeSecret, SecretString};

/// Runs each listed test function on SQLite and on Postgres.
macro_rules! suite {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = actionhub_testkit::TestDatabase::sqlite();
                    super::$name(&db).await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = actionhub_testkit::TestDatabase::postgres().await;
                    super::$name(&db).await;
                }
            )+
        }
    };
}

suite!(
    projects_are_created_once_by_name,
    api_keys_authenticate_until_revoked,
    linking_seals_credentials_and_relinking_keeps_the_id,
    no_secret_is_stored_in_plaintext,
    a_ciphertext_moved_to_another_row_fails_to_decrypt,
    rotation_lets_the_old_key_go,
    a_wrong_keyring_is_refused_at_open,
    projects_are_isolated,
    sessions_expire_and_are_spent_once,
    a_failed_linking_changes_nothing,
    accounts_are_filtered_and_paged,
    patches_update_fields_and_refuse_a_taken_owner,
    deleting_an_account_deletes_its_credentials,
    concurrent_relinks_of_one_owner_make_one_account,
    runs_are_written_in_batches_and_listed_newest_first,
    purging_forgets_old_runs_and_long_expired_sessions_only,
    a_batch_holding_one_bad_run_loses_no_other_run,
    stored_idempotent_answers_are_sealed,
    an_abandoned_claim_is_answered_outcome_unknown,
    webhook_events_are_queued_once_under_a_lease_and_purged_when_old,
    policies_are_kept_per_project_and_account,
    a_pending_call_is_held_once_per_input,
    concurrent_decisions_have_exactly_one_winner,
    only_an_approved_call_runs_and_only_once,
    approval_inputs_and_results_are_sealed,
);

fn keyring(text: &str) -> Keyring {
    Keyring::parse(text).expect("test keyring")
}

async fn open(db: &TestDatabase) -> Store {
    open_with(db, &format!("1:{KEY_V1}")).await
}

async fn open_with(db: &TestDatabase, keys: &str) -> Store {
    Store::open(db.url(), keyring(keys))
        .await
        .unwrap_or_else(|error| panic!("open {}: {error}", db.url()))
}

fn new_account(owner: &str, token: &str) -> NewAccount {
    NewAccount {
        provider: "front".to_owned(),
        origin_owner_id: owner.to_owned(),
        origin_owner_name: format!("{owner} Inc"),
        origin_username: None,
        label: None,
        metadata: None,
        allowed_actions: None,
        provider_account_id: "cmp_1".to_owned(),
        provider_account_name: "Company One".to_owned(),
        credentials: vec![("api_token".to_owned(), SecretString::from(token))],
        target: LinkTarget::Owner,
        session_id: None,
    }
}

fn new_session(owner: &str, expires_in_seconds: i64) -> NewSession {
    NewSession {
        origin_owner_id: owner.to_owned(),
        origin_owner_name: format!("{owner} Inc"),
        origin_username: None,
        provider: Some("front".to_owned()),
        account_id: None,
        label: Some("from a session".to_owned()),
        metadata: None,
        actions: Some(vec!["front_list_tags".to_owned()]),
        redirect_url: None,
        expires_in_seconds,
    }
}

async fn token_of(store: &Store, project_id: &str, account_id: &str) -> String {
    store
        .account_credential(project_id, account_id, "api_token")
        .await
        .expect("credential opens")
        .expose_secret()
        .to_owned()
}

/// More runs than one INSERT statement holds, each field distinct, so that a parameter bound to
/// the wrong column or row shows.
async fn runs_are_written_in_batches_and_listed_newest_first(db: &TestDatabase) {
    let store = open(db).await;
    let project = store.project("default").await.unwrap();
    let runs: Vec<Run> = (0..40i64)
        .map(|i| {
            let started_at = Timestamp(1_767_261_600_000 + i);
            Run {
                id: new_run_id(started_at).unwrap(),
                project_id: project.id.clone(),
                account_id: format!("acc_{}", i % 3),
                action: format!("front_action_{i}"),
                source: "rpc".to_owned(),
                outcome: if i % 2 == 0 { "ok" } else { "front_error" }.to_owned(),
                front_status: (i % 2 == 1).then_some(400 + i as u16),
                duration_us: 1_000 + i,
                retries: i as u32 % 4,
                waited_ms: 10 * i,
                error: (i % 2 == 1).then(|| format!("error {i}")),
                started_at,
            }
        })
        .collect();
    assert!(
        runs.windows(2).all(|pair| pair[0].id < pair[1].id),
        "run ids sort by start time"
    );
    store.insert_runs(&runs).await.unwrap();
    let all = RunFilter {
        account_id: None,
        limit: 100,
    };
    let listed = store.list_runs(&project.id, &all).await.unwrap();
    let newest_first: Vec<&Run> = runs.iter().rev().collect();
    assert_eq!(listed.len(), runs.len());
    for (got, want) in listed.iter().zip(newest_first) {
        assert_eq!(format!("{got:?}"), format!("{want:?}"));
    }
    let one_account = RunFilter {
        account_id: Some("acc_1".to_owned()),
        limit: 5,
    };
    let listed = store.list_runs(&project.id, &one_account).await.unwrap();
    assert_eq!(listed.len(), 5);
    assert!(listed.iter().all(|run| run.account_id == "acc_1"));
    let other = store.project("other").await.unwrap();
    assert!(store.list_runs(&other.id, &all).await.unwrap().is_empty());
}

async fn purging_forgets_old_runs_and_long_expired_sessions_only(db: &TestDatabase) {
    let store = open(db).await;
    let project = store.project("default").await.unwrap();
    let now = Timestamp::now().millis();
    let day = 24 * 60 * 60 * 1000;
    let run_at = |age_days: i64, n: i64| {
        let started_at = Timestamp(now - age_days * day + n);
        Run {
            id: new_run_id(started_at).unwrap(),
            project_id: project.id.clone(),
            account_id: "acc_1".to_owned(),
            action: "front_list_tags".to_owned(),
            source: "rpc".to_owned(),
            outcome: "ok".to_owned(),
            front_status: Some(200),
            duration_us: 1,
            retries: 0,
            waited_ms: 0,
            error: None,
            started_at,
        }
    };
    let runs: Vec<Run> = (0..30)
        .map(|n| run_at(40, n))
        .chain((0..5).map(|n| run_at(1, n)))
        .collect();
    store.insert_runs(&runs).await.unwrap();
    let (_, long_expired) = store
        .create_session(&project.id, new_session("o_old", -10 * 24 * 60 * 60))
        .await
        .unwrap();
    let (_, just_expired) = store
        .create_session(&project.id, new_session("o_recent", -60))
        .await
        .unwrap();
    let (_, live) = store
        .create_session(&project.id, new_session("o_live", 3600))
        .await
        .unwrap();

    let keep_all_runs = store.purge(None, Timestamp(now - 7 * day)).await.unwrap();
    assert_eq!(
        keep_all_runs,
        Purged {
            runs: 0,
            sessions: 1,
            events: 0,
            approvals: 0
        }
    );
    let purged = store
        .purge(Some(Timestamp(now - 30 * day)), Timestamp(now - 7 * day))
        .await
        .unwrap();
    assert_eq!(
        purged,
        Purged {
            runs: 30,
            sessions: 0,
            events: 0,
            approvals: 0
        }
    );

    let all = RunFilter {
        account_id: None,
        limit: 100,
    };
    let left = store.list_runs(&project.id, &all).await.unwrap();
    assert_eq!(left.len(), 5);
    assert!(
        left.iter()
            .all(|run| run.started_at.millis() > now - 2 * day)
    );
    let found = |token: &SecretString| {
        let store = store.clone();
        let token = token.expose_secret().to_owned();
        async move {
            !matches!(
                store.session_by_token(&token, None).await,
                Err(StoreError::SessionUnknown)
            )
        }
    };
    assert!(
        !found(&long_expired).await,
        "a long-expired session is gone"
    );
    assert!(found(&just_expired).await, "a just-expired session is kept");
    assert!(found(&live).await, "a live session is kept");
}

async fn projects_are_created_once_by_name(db: &TestDatabase) {
    let store = open(db).await;
    let first = store.project("default").await.unwrap();
    let again = store.project("default").await.unwrap();
    let other = store.project("acme").await.unwrap();
    assert_eq!(first.id, again.id);
    assert_ne!(first.id, other.id);
    assert!(first.id.starts_with("prj_"));
}

async fn api_keys_authenticate_until_revoked(db: &TestDatabase) {
    let store = open(db).await;
    let project = store.project("default").await.unwrap();
    let (record, key) = store.create_api_key(&project, "ci").await.unwrap();
    let key = key.expose_secret().to_owned();
    assert!(key.starts_with("ahk_live_") && key.len() == 9 + 32, "{key}");
    assert!(key.starts_with(&record.prefix));

    let principal = store.authenticate(&key).await.unwrap();
    assert_eq!(principal.project_id, project.id);
    assert_eq!(principal.key_id, record.id);
    let listed = store.list_api_keys(Some(&project)).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].last_used_at.is_some(), "last_used_at is recorded");
    assert_eq!(listed[0].project_name, "default");

    assert!(matches!(
        store.authenticate("ahk_live_not-a-key").await,
        Err(StoreError::InvalidApiKey)
    ));
    assert!(matches!(
        store.authenticate("garbage").await,
        Err(StoreError::InvalidApiKey)
    ));
    let revoked = store.revoke_api_key(&record.id).await.unwrap();
    assert!(revoked.revoked_at.is_some());
    assert!(matches!(
        store.authenticate(&key).await,
        Err(StoreError::RevokedApiKey)
    ));
    assert!(matches!(
        store.revoke_api_key("key_missing").await,
        Err(StoreError::NotFound)
    ));
    // A reopened store (a restarted hub) still recognises keys: the pepper persists.
    let (_, second) = store.create_api_key(&project, "second").await.unwrap();
    store.close().await;
    let reopened = open(db).await;
    reopened.authenticate(second.expose_secret()).await.unwrap();
    assert_eq!(reopened.list_api_keys(None).await.unwrap().len(), 2);
}

async fn linking_seals_credentials_and_relinking_keeps_the_id(db: &TestDatabase) {
    let store = open(db).await;
    let project = store.project("default").await.unwrap();
    let mut first = new_account("customer-1", "token-one");
    first.label = Some("Support".to_owned());
    first.allowed_actions = Some(vec!["front_list_tags".to_owned()]);
    let (account, created) = store.save_account(&project.id, first).await.unwrap();
    assert!(created);
    assert!(account.id.starts_with("acc_"));
    assert_eq!(account.status, Status::Active);
    assert_eq!(account.label.as_deref(), Some("Support"));
    assert_eq!(
        token_of(&store, &project.id, &account.id).await,
        "token-one"
    );

    let mut relink = new_account("customer-1", "token-two");
    relink.provider_account_id = "cmp_2".to_owned();
    relink.origin_owner_name = "Customer One Renamed".to_owned();
    let (again, created) = store.save_account(&project.id, relink).await.unwrap();
    assert!(!created);
    assert_eq!(again.id, account.id, "relinking keeps the id");
    assert_eq!(again.provider_account_id, "cmp_2");
    assert_eq!(again.origin_owner_name, "Customer One Renamed");
    assert_eq!(
        again.label.as_deref(),
        Some("Support"),
        "unset fields are kept"
    );
    assert_eq!(
        again.allowed_actions,
        Some(vec!["front_list_tags".to_owned()])
    );
    assert_eq!(again.created_at, account.created_at);
    assert_eq!(
        token_of(&store, &project.id, &account.id).await,
        "token-two"
    );

    // Edit mode: relink by id.
    let mut edit = new_account("ignored-owner", "token-three");
    edit.target = LinkTarget::Account(account.id.clone());
    let (edited, created) = store.save_account(&project.id, edit).await.unwrap();
    assert!(!created);
    assert_eq!(edited.id, account.id);
    assert_eq!(
        edited.origin_owner_id, "customer-1",
        "edit mode keeps the owner"
    );
    assert_eq!(
        token_of(&store, &project.id, &account.id).await,
        "token-three"
    );
}

async fn no_secret_is_stored_in_plaintext(db: &TestDatabase) {
    let store = open(db).await;
    let project = store.project("default").await.unwrap();
    let front_token = "frontsecret-plaintext-canary-1234567890";
    let (account, _) = store
        .save_account(&project.id, new_account("customer-1", front_token))
        .await
        .unwrap();
    let (_, api_key) = store.create_api_key(&project, "ci").await.unwrap();
    let (_, session_token) = store
        .create_session(&project.id, new_session("customer-2", 600))
        .await
        .unwrap();
    assert_eq!(
        token_of(&store, &project.id, &account.id).await,
        front_token
    );
    let raw = db.raw_contents();
    assert!(
        contains_secret(&raw, "customer-1"),
        "the raw dump is readable (sanity check of the check itself)"
    );
    for secret in [
        front_token,
        api_key.expose_secret(),
        session_token.expose_secret(),
    ] {
        assert!(
            !contains_secret(&raw, secret),
            "a secret is stored in plaintext"
        );
    }
}

async fn a_ciphertext_moved_to_another_row_fails_to_decrypt(db: &TestDatabase) {
    let store = open(db).await;
    let project = store.project("default").await.unwrap();
    let other = store.project("other").await.unwrap();
    let (a, _) = store
        .save_account(&project.id, new_account("owner-a", "token-a"))
        .await
        .unwrap();
    let (b, _) = store
        .save_account(&project.id, new_account("owner-b", "token-b"))
        .await
        .unwrap();
    let (c, _) = store
        .save_account(&other.id, new_account("owner-c", "token-c"))
        .await
        .unwrap();
    // An attacker with write access copies A's ciphertext onto B's row and onto C's (another
    // project): neither decrypts, because the ciphertext is bound to A's project and id.
    for target in [&b.id, &c.id] {
        db.execute(&format!(
            "UPDATE credentials SET sealed = (SELECT sealed FROM credentials WHERE account_id = '{}'), \
             key_version = (SELECT key_version FROM credentials WHERE account_id = '{}') \
             WHERE account_id = '{target}'",
            a.id, a.id
        ))
        .await;
    }
    for (project_id, id) in [(&project.id, &b.id), (&other.id, &c.id)] {
        let result = store.account_credential(project_id, id, "api_token").await;
        assert!(
            matches!(result, Err(StoreError::Vault(VaultError::Undecryptable))),
            "{result:?}"
        );
    }
    // Relabelling a row with another project id does not help either.
    db.execute(&format!(
        "UPDATE credentials SET project_id = '{}' WHERE account_id = '{}'",
        other.id, a.id
    ))
    .await;
    db.execute(&format!(
        "UPDATE accounts SET project_id = '{}' WHERE id = '{}'",
        other.id, a.id
    ))
    .await;
    assert!(matches!(
        store
            .account_credential(&other.id, &a.id, "api_token")
            .await,
        Err(StoreError::Vault(VaultError::Undecryptable))
    ));
}

async fn rotation_lets_the_old_key_go(db: &TestDatabase) {
    let old = open_with(db, &format!("1:{KEY_V1}")).await;
    let project = old.project("default").await.unwrap();
    let mut ids = Vec::new();
    for n in 0..5 {
        let (account, _) = old
            .save_account(
                &project.id,
                new_account(&format!("owner-{n}"), &format!("token-{n}")),
            )
            .await
            .unwrap();
        ids.push(account.id);
    }
    let (_, key) = old.create_api_key(&project, "ci").await.unwrap();
    let endpoint = NewEndpoint {
        url: "https://example.com/hook".to_owned(),
        event_types: vec!["*".to_owned()],
        account_ids: None,
        description: None,
    };
    let hook = old
        .create_endpoint(
            &project.id,
            &endpoint,
            &SecretString::from("whsec_c2lnbmluZw=="),
        )
        .await
        .unwrap();
    old.close().await;

    // Without the old key, the database cannot be opened (its pepper is under version 1).
    let refused = Store::open(db.url(), keyring(&format!("2:{KEY_V2}"))).await;
    assert!(matches!(
        refused,
        Err(StoreError::Vault(VaultError::UnknownVersion { version: 1 }))
    ));

    let both = open_with(db, &format!("2:{KEY_V2},1:{KEY_V1}")).await;
    let report = both.rotate_vault().await.unwrap();
    assert_eq!(report.newest_version, 2);
    assert_eq!(
        report.rotated,
        5 + 1 + 1,
        "five credentials, the pepper and a webhook signing secret"
    );
    assert_eq!(report.remaining, 0);
    let again = both.rotate_vault().await.unwrap();
    assert_eq!(
        (again.rotated, again.remaining),
        (0, 0),
        "rotation is idempotent"
    );
    both.close().await;

    let new_only = open_with(db, &format!("2:{KEY_V2}")).await;
    for (n, id) in ids.iter().enumerate() {
        assert_eq!(
            token_of(&new_only, &project.id, id).await,
            format!("token-{n}")
        );
    }
    new_only.authenticate(key.expose_secret()).await.unwrap();
    let signing = new_only
        .signing_secrets(&project.id, &hook.id)
        .await
        .unwrap();
    assert_eq!(signing[0].expose_secret(), "whsec_c2lnbmluZw==");
}

async fn a_wrong_keyring_is_refused_at_open(db: &TestDatabase) {
    open(db).await.close().await;
    let wrong = Store::open(db.url(), keyring(&format!("1:{KEY_V2}"))).await;
    assert!(matches!(
        wrong,
        Err(StoreError::Vault(VaultError::Undecryptable))
    ));
}

async fn projects_are_isolated(db: &TestDatabase) {
    let store = open(db).await;
    let a = store.project("a").await.unwrap();
    let b = store.project("b").await.unwrap();
    let (theirs, _) = store
        .save_account(&b.id, new_account("owner", "token-b"))
        .await
        .unwrap();
    let (_, their_session) = store
        .create_session(&b.id, new_session("owner-2", 600))
        .await
        .unwrap();
    let (_, their_session_2) = store
        .create_session(&b.id, new_session("owner-3", 600))
        .await
        .unwrap();
    let session_b = store
        .session_by_token(their_session_2.expose_secret(), None)
        .await
        .unwrap();

    assert!(matches!(
        store.account(&a.id, &theirs.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .update_account(
                &a.id,
                &theirs.id,
                &AccountPatch {
                    label: Some(Some("x".into())),
                    ..Default::default()
                }
            )
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.delete_account(&a.id, &theirs.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .account_credential(&a.id, &theirs.id, "api_token")
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(
        store
            .list_accounts(&a.id, &AccountFilter::default())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        store
            .session_by_token(their_session.expose_secret(), Some(&a.id))
            .await,
        Err(StoreError::SessionUnknown)
    ));
    let mut edit = new_account("owner", "token-a");
    edit.target = LinkTarget::Account(theirs.id.clone());
    assert!(matches!(
        store.save_account(&a.id, edit).await,
        Err(StoreError::NotFound)
    ));
    let mut spend = new_account("owner-x", "token-a");
    spend.session_id = Some(session_b.id);
    assert!(matches!(
        store.save_account(&a.id, spend).await,
        Err(StoreError::SessionUnknown)
    ));
    let mut edit_session = new_session("owner", 600);
    edit_session.account_id = Some(theirs.id.clone());
    assert!(matches!(
        store.create_session(&a.id, edit_session).await,
        Err(StoreError::NotFound)
    ));

    // Project B still has everything, untouched.
    assert_eq!(store.account(&b.id, &theirs.id).await.unwrap().label, None);
    assert_eq!(token_of(&store, &b.id, &theirs.id).await, "token-b");
    store
        .session_by_token(their_session.expose_secret(), Some(&b.id))
        .await
        .unwrap();
    store
        .session_by_token(their_session_2.expose_secret(), Some(&b.id))
        .await
        .unwrap();
    assert!(
        store
            .list_accounts(&a.id, &AccountFilter::default())
            .await
            .unwrap()
            .is_empty()
    );
}

async fn sessions_expire_and_are_spent_once(db: &TestDatabase) {
    let store = open(db).await;
    let project = store.project("default").await.unwrap();
    let (session, token) = store
        .create_session(&project.id, new_session("customer-9", 600))
        .await
        .unwrap();
    assert!(token.expose_secret().starts_with("ahs_"));
    assert_eq!(session.actions, Some(vec!["front_list_tags".to_owned()]));
    let found = store
        .session_by_token(token.expose_secret(), None)
        .await
        .unwrap();
    assert_eq!(found.id, session.id);
    assert_eq!(found.origin_owner_id, "customer-9");

    let mut link = new_account("customer-9", "token-9");
    link.session_id = Some(session.id);
    let (account, _) = store.save_account(&project.id, link).await.unwrap();
    let mut twice = new_account("customer-9", "token-9b");
    twice.session_id = Some(session.id);
    assert!(matches!(
        store.save_account(&project.id, twice).await,
        Err(StoreError::SessionSpent)
    ));
    assert_eq!(token_of(&store, &project.id, &account.id).await, "token-9");
    assert!(matches!(
        store.session_by_token(token.expose_secret(), None).await,
        Err(StoreError::SessionSpent)
    ));

    let (expired, expired_token) = store
        .create_session(&project.id, new_session("customer-10", 0))
        .await
        .unwrap();
    assert!(matches!(
        store
            .session_by_token(expired_token.expose_secret(), None)
            .await,
        Err(StoreError::SessionExpired)
    ));
    let mut late = new_account("customer-10", "token-10");
    late.session_id = Some(expired.id);
    assert!(matches!(
        store.save_account(&project.id, late).await,
        Err(StoreError::SessionExpired)
    ));
    assert!(matches!(
        store.session_by_token("ahs_unknown", None).await,
        Err(StoreError::SessionUnknown)
    ));
}

async fn a_failed_linking_changes_nothing(db: &TestDatabase) {
    let store = open(db).await;
    let project = store.project("default").await.unwrap();
    let (session, token) = store
        .create_session(&project.id, new_session("customer-1", 600))
        .await
        .unwrap();
    // Spending the session succeeds, then the edit-mode target is missing: the whole
    // transaction rolls back, so the session is still usable and no account exists.
    let mut doomed = new_account("customer-1", "token-1");
    doomed.session_id = Some(session.id);
    doomed.target = LinkTarget::Account("acc_missing".to_owned());
    assert!(matches!(
        store.save_account(&project.id, doomed).await,
        Err(StoreError::NotFound)
    ));
    store
        .session_by_token(token.expose_secret(), None)
        .await
        .unwrap();
    assert!(
        store
            .list_accounts(&project.id, &AccountFilter::default())
            .await
            .unwrap()
            .is_empty()
    );
}

async fn accounts_are_filtered_and_paged(db: &TestDatabase) {
    let store = open(db).await;
    let project = store.project("default").await.unwrap();
    let mut saved = Vec::new();
    let mut owner_4 = None;
    for n in 0..7 {
        let (account, _) = store
            .save_account(&project.id, new_account(&format!("owner-{n}"), "t"))
            .await
            .unwrap();
        saved.push((account.created_at.millis(), account.id.clone()));
        if n == 4 {
            owner_4 = Some(account.id);
        }
    }
    // Oldest first; accounts made in the same millisecond are ordered by id.
    saved.sort();
    let ids: Vec<String> = saved.into_iter().map(|(_, id)| id).collect();
    let all = store
        .list_accounts(
            &project.id,
            &AccountFilter {
                page_size: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        all.iter().map(|a| a.id.clone()).collect::<Vec<_>>(),
        ids,
        "oldest first"
    );
    let page = |page, page_size| AccountFilter {
        page,
        page_size,
        ..Default::default()
    };
    let second = store.list_accounts(&project.id, &page(2, 3)).await.unwrap();
    assert_eq!(
        second.iter().map(|a| a.id.clone()).collect::<Vec<_>>(),
        ids[3..6]
    );
    let past = store.list_accounts(&project.id, &page(4, 3)).await.unwrap();
    assert!(past.is_empty());
    let by_owner = store
        .list_accounts(
            &project.id,
            &AccountFilter {
                origin_owner_id: Some("owner-4".to_owned()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(by_owner.len(), 1);
    assert_eq!(Some(&by_owner[0].id), owner_4.as_ref());
    let front = AccountFilter {
        providers: vec!["front".to_owned(), "other".to_owned()],
        statuses: vec![Status::Active],
        ..Default::default()
    };
    assert_eq!(
        store
            .list_accounts(&project.id, &front)
            .await
            .unwrap()
            .len(),
        7
    );
    let errored = AccountFilter {
        statuses: vec![Status::Error],
        ..Default::default()
    };
    assert!(
        store
            .list_accounts(&project.id, &errored)
            .await
            .unwrap()
            .is_empty()
    );
    let other = AccountFilter {
        providers: vec!["other".to_owned()],
        ..Default::default()
    };
    assert!(
        store
            .list_accounts(&project.id, &other)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn patches_update_fields_and_refuse_a_taken_owner(db: &TestDatabase) {
    let store = open(db).await;
    let project = store.project("default").await.unwrap();
    let (a, _) = store
        .save_account(&project.id, new_account("owner-a", "t"))
        .await
        .unwrap();
    store
        .save_account(&project.id, new_account("owner-b", "t"))
        .await
        .unwrap();
    let mut metadata = serde_json::Map::new();
    metadata.insert("plan".to_owned(), serde_json::json!("pro"));
    let patched = store
        .update_account(
            &project.id,
            &a.id,
            &AccountPatch {
                label: Some(Some("Main".to_owned())),
                metadata: Some(Some(metadata.clone())),
                allowed_actions: Some(Some(vec!["front_list_tags".to_owned()])),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(patched.label.as_deref(), Some("Main"));
    assert_eq!(patched.metadata, Some(metadata));
    assert!(patched.updated_at >= a.updated_at);
    let cleared = store
        .update_account(
            &project.id,
            &a.id,
            &AccountPatch {
                label: Some(None),
                allowed_actions: Some(None),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(cleared.label, None);
    assert_eq!(cleared.allowed_actions, None);
    assert!(
        cleared.metadata.is_some(),
        "fields not in the patch are kept"
    );

    let taken = store
        .update_account(
            &project.id,
            &a.id,
            &AccountPatch {
                origin_owner_id: Some("owner-b".to_owned()),
                label: Some(Some("should not stick".to_owned())),
                ..Default::default()
            },
        )
        .await;
    assert!(matches!(taken, Err(StoreError::OwnerTaken)), "{taken:?}");
    let after = store.account(&project.id, &a.id).await.unwrap();
    assert_eq!(after.origin_owner_id, "owner-a");
    assert_eq!(after.label, None, "a failed patch changes nothing");
}

async fn deleting_an_account_deletes_its_credentials(db: &TestDatabase) {
    let store = open(db).await;
    let project = store.project("default").await.unwrap();
    let (account, _) = store
        .save_account(&project.id, new_account("owner", "token"))
        .await
        .unwrap();
    let deleted = store
        .delete_account(&project.id, &account.id)
        .await
        .unwrap();
    assert_eq!(deleted.id, account.id);
    assert!(matches!(
        store.account(&project.id, &account.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .account_credential(&project.id, &account.id, "api_token")
            .await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        db.execute(&format!(
            "DELETE FROM credentials WHERE account_id = '{}'",
            account.id
        ))
        .await,
        0,
        "no orphaned credential row"
    );
    assert!(matches!(
        store.delete_account(&project.id, &account.id).await,
        Err(StoreError::NotFound)
    ));
}

async fn concurrent_relinks_of_one_owner_make_one_account(db: &TestDatabase) {
    let store = open(db).await;
    let project = store.project("default").await.unwrap();
    let mut tasks = Vec::new();
    for n in 0..12 {
        let store = store.clone();
        let project_id = project.id.clone();
        tasks.push(tokio::spawn(async move {
            store
                .save_account(
                    &project_id,
                    new_account("same-owner", &format!("token-{n}")),
                )
                .await
                .map(|(account, created)| (account.id, created))
        }));
    }
    let mut ids = Vec::new();
    let mut creations = 0;
    for task in tasks {
        let (id, created) = task.await.unwrap().unwrap();
        ids.push(id);
        creations += usize::from(created);
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "one account for one owner");
    assert_eq!(creations, 1);
    let token = token_of(&store, &project.id, &ids[0]).await;
    assert!(token.starts_with("token-"));
}

/// The SQLite files and the key file hold secrets (sealed) and customer data: owner-only.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_files_and_the_key_file_are_created_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let db = TestDatabase::sqlite();
    let dir = db.dir().unwrap().to_path_buf();
    let mode = |name: &str| {
        std::fs::metadata(dir.join(name))
            .unwrap_or_else(|error| panic!("{name}: {error}"))
            .permissions()
            .mode()
            & 0o777
    };
    let store = open(&db).await;
    // A write, so that the write-ahead log and its index exist.
    store.project("modes").await.unwrap();
    for name in ["actionhub.db", "actionhub.db-wal", "actionhub.db-shm"] {
        assert_eq!(mode(name), 0o600, "{name}");
    }
    store.close().await;
    let (_, created) = Keyring::read_or_create_file(&dir.join("key")).unwrap();
    assert!(created);
    assert_eq!(mode("key"), 0o600);
}

/// What tells a lost key file from a first start: sealed data in the database beside it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sealed_data_is_found_only_where_a_store_has_been() {
    let db = TestDatabase::sqlite();
    let file = db.dir().unwrap().join("actionhub.db");
    assert!(!sqlite_holds_sealed_data(&file).await.unwrap());
    std::fs::write(&file, b"").unwrap();
    assert!(!sqlite_holds_sealed_data(&file).await.unwrap());
    open(&db).await.close().await;
    assert!(sqlite_holds_sealed_data(&file).await.unwrap());
}

fn run_at(project_id: &str, n: i64) -> Run {
    let started_at = Timestamp(1_767_261_600_000 + n);
    Run {
        id: new_run_id(started_at).unwrap(),
        project_id: project_id.to_owned(),
        account_id: format!("acc_{n}"),
        action: "front_list_tags".to_owned(),
        source: "rpc".to_owned(),
        outcome: "ok".to_owned(),
        front_status: Some(200),
        duration_us: 1_000,
        retries: 0,
        waited_ms: 0,
        error: None,
        started_at,
    }
}

/// One row the database refuses (an id already taken, here twice in one batch) loses only that
/// row; hostile values (NUL, which Postgres cannot store, and huge strings) are cleaned so that
/// their run is kept.
async fn a_batch_holding_one_bad_run_loses_no_other_run(db: &TestDatabase) {
    let store = open(db).await;
    let project = store.project("default").await.unwrap();
    let other = store.project("other").await.unwrap();
    let mut runs: Vec<Run> = (0..40)
        .map(|n| run_at(if n % 2 == 0 { &project.id } else { &other.id }, n))
        .collect();
    let mut hostile = run_at(&project.id, 40);
    hostile.account_id = "acc_\0nul".to_owned();
    hostile.action = format!("front_\0{}", "x".repeat(2_000_000));
    hostile.error = Some(format!("bad \0 {}", "e".repeat(100_000)));
    runs.push(hostile.clone());
    let mut duplicate = run_at(&other.id, 41);
    duplicate.id = runs[7].id.clone();
    runs.push(duplicate);
    assert_eq!(
        store.insert_runs(&runs).await.unwrap(),
        1,
        "one row refused"
    );

    let all = RunFilter {
        account_id: None,
        limit: 100,
    };
    let mut listed = store.list_runs(&project.id, &all).await.unwrap();
    listed.extend(store.list_runs(&other.id, &all).await.unwrap());
    assert_eq!(listed.len(), 41, "every run but the refused duplicate");
    let kept = listed.iter().find(|run| run.id == runs[7].id).unwrap();
    assert_eq!(kept.account_id, "acc_7", "the first of the two ids is kept");
    let cleaned = listed.iter().find(|run| run.id == hostile.id).unwrap();
    assert_eq!(cleaned.account_id, "acc_\u{fffd}nul");
    assert!(cleaned.action.starts_with("front_\u{fffd}xxx"));
    assert!(cleaned.action.chars().count() <= 100);
    let error = cleaned.error.as_deref().unwrap();
    assert!(error.starts_with("bad \u{fffd} eee") && error.chars().count() <= 1_000);

    // A batch whose every row is refused writes nothing and says so.
    assert_eq!(store.insert_runs(&runs[..3]).await.unwrap(), 3);
}

/// Stored answers are sealed: replayed exactly, never in the database in plaintext, and
/// carried along by a key rotation.
async fn stored_idempotent_answers_are_sealed(db: &TestDatabase) {
    const LOCK_MS: i64 = 120_000;
    const TTL_MS: i64 = 86_400_000;
    let store = open_with(db, &format!("1:{KEY_V1}")).await;
    let project = store.project("default").await.unwrap();
    let answer = r#"{"data":{"id":"tag_1","name":"plaintext-answer-canary-4242"},"next":null}"#;
    let hash = b"request-hash";
    let begun = store
        .idempotency_begin(&project.id, "key-1", hash, LOCK_MS, TTL_MS)
        .await
        .unwrap();
    assert_eq!(begun, IdempotencyBegin::Fresh);
    store
        .idempotency_finish(&project.id, "key-1", 201, answer)
        .await
        .unwrap();
    let replay = IdempotencyBegin::Replay {
        status: 201,
        response: answer.to_owned(),
    };
    let again = store
        .idempotency_begin(&project.id, "key-1", hash, LOCK_MS, TTL_MS)
        .await
        .unwrap();
    assert_eq!(again, replay);
    let raw = db.raw_contents();
    assert!(contains_secret(&raw, "key-1"), "the raw dump is readable");
    assert!(
        !contains_secret(&raw, "plaintext-answer-canary-4242"),
        "a stored answer is in plaintext"
    );
    store.close().await;

    let both = open_with(db, &format!("2:{KEY_V2},1:{KEY_V1}")).await;
    let report = both.rotate_vault().await.unwrap();
    assert_eq!(report.rotated, 2, "the pepper and the answer");
    assert_eq!(report.remaining, 0);
    both.close().await;
    let new_only = open_with(db, &format!("2:{KEY_V2}")).await;
    let after = new_only
        .idempotency_begin(&project.id, "key-1", hash, LOCK_MS, TTL_MS)
        .await
        .unwrap();
    assert_eq!(after, replay);
}

/// A claim whose holder stopped without a result is never taken over: the request may have
/// reached Front, so sending it again could do it twice.
async fn an_abandoned_claim_is_answered_outcome_unknown(db: &TestDatabase) {
    const TTL_MS: i64 = 86_400_000;
    let store = open(db).await;
    let project = store.project("default").await.unwrap();
    let hash = b"request-hash";
    let begin = |key: &'static str, lock_ms: i64| {
        let store = store.clone();
        let project_id = project.id.clone();
        async move {
            store
                .idempotency_begin(&project_id, key, hash, lock_ms, TTL_MS)
                .await
                .unwrap()
        }
    };
    assert_eq!(begin("held", 120_000).await, IdempotencyBegin::Fresh);
    assert_eq!(begin("held", 120_000).await, IdempotencyBegin::InProgress);
    // A claim that lapsed at once, as if its hub had been killed mid-call.
    assert_eq!(begin("lapsed", 0).await, IdempotencyBegin::Fresh);
    assert_eq!(
        begin("lapsed", 120_000).await,
        IdempotencyBegin::OutcomeUnknown
    );
    assert_eq!(
        begin("lapsed", 120_000).await,
        IdempotencyBegin::OutcomeUnknown
    );
    // A released claim (nothing reached Front) may run again.
    store
        .idempotency_release(&project.id, "held")
        .await
        .unwrap();
    assert_eq!(begin("held", 120_000).await, IdempotencyBegin::Fresh);
}

async fn webhook_events_are_queued_once_under_a_lease_and_purged_when_old(db: &TestDatabase) {
    let store = open(db).await;
    let project = store.project("default").await.unwrap();
    store
        .save_account(&project.id, new_account("owner", "token"))
        .await
        .unwrap();
    let endpoint = NewEndpoint {
        url: "https://example.com/hook".to_owned(),
        event_types: vec!["front.*".to_owned()],
        account_ids: None,
        description: None,
    };
    let hook = store
        .create_endpoint(
            &project.id,
            &endpoint,
            &SecretString::from("whsec_c2lnbmluZw=="),
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .followed_companies()
            .await
            .unwrap()
            .into_iter()
            .collect::<Vec<_>>(),
        ["cmp_1"]
    );
    let lease = std::time::Duration::from_secs(60);
    let mut position = store
        .take_stream("cmp_1", "hub_a", lease)
        .await
        .unwrap()
        .unwrap();
    assert!(
        store
            .take_stream("cmp_1", "hub_b", lease)
            .await
            .unwrap()
            .is_none()
    );
    let now = Timestamp::now().millis() as f64 / 1000.0;
    let events: Vec<FrontEvent> = [("evt_old", now - 40.0 * 86_400.0), ("evt_new", now)]
        .into_iter()
        .map(|(id, at)| FrontEvent {
            id: id.to_owned(),
            front_type: "tag".to_owned(),
            emitted_at: at,
            payload: format!(r#"{{"id":"{id}"}}"#),
        })
        .collect();
    for event in &events {
        position.take(event);
    }
    assert!(matches!(
        store
            .advance_stream("cmp_1", "hub_b", &events, &position)
            .await,
        Err(StoreError::LeaseLost)
    ));
    assert_eq!(
        store
            .advance_stream("cmp_1", "hub_a", &events, &position)
            .await
            .unwrap(),
        2
    );
    // Read again (a page boundary, a restart): nothing more is queued.
    assert_eq!(
        store
            .advance_stream("cmp_1", "hub_a", &events, &position)
            .await
            .unwrap(),
        0
    );
    let claim = std::time::Duration::from_secs(30);
    let due = store.claim_deliveries("hub_a", 10, claim).await.unwrap();
    assert_eq!(due.len(), 2);
    assert!(
        store
            .claim_deliveries("hub_b", 10, claim)
            .await
            .unwrap()
            .is_empty()
    );
    for delivery in &due {
        let attempt = AttemptRecord {
            attempted_at: Timestamp::now(),
            status_code: Some(200),
            latency_ms: 1,
            error_kind: None,
            excerpt: None,
        };
        let disabled = store
            .record_attempt(delivery, &attempt, AttemptOutcome::Delivered, lease)
            .await
            .unwrap();
        assert!(!disabled);
    }
    let day = 86_400_000;
    let purged = store
        .purge(
            Some(Timestamp(Timestamp::now().millis() - 30 * day)),
            Timestamp(0),
        )
        .await
        .unwrap();
    assert_eq!(purged.events, 1);
    let left = store
        .list_deliveries(&project.id, &hook.id, 10)
        .await
        .unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].event_id, "evt_new");
    assert_eq!(left[0].attempts.len(), 1);
}

fn policy(rules: &[&str]) -> Policy {
    Policy {
        rules: rules.iter().map(|rule| rule.parse().unwrap()).collect(),
    }
}

const DELETE_CONTACT: ActionFacts<'static> = ActionFacts {
    id: "front_delete_contact",
    group: "contacts",
    destructive: true,
    sends: false,
    read_only: false,
};

async fn policies_are_kept_per_project_and_account(db: &TestDatabase) {
    let store = open(db).await;
    let project = store.project("default").await.unwrap();
    let other = store.project("other").await.unwrap();
    let (account, _) = store
        .save_account(&project.id, new_account("owner", "token"))
        .await
        .unwrap();
    let (stranger, _) = store
        .save_account(&other.id, new_account("owner", "token"))
        .await
        .unwrap();
    assert_eq!(store.project_policy(&project.id).await.unwrap(), None);
    assert_eq!(
        store
            .account_policy(&project.id, &account.id)
            .await
            .unwrap(),
        None
    );

    let project_rules = policy(&["hint:destructive=approve", "group:tags=deny"]);
    store
        .put_project_policy(&project.id, &project_rules)
        .await
        .unwrap();
    let replaced = policy(&["hint:destructive=deny", "*=allow"]);
    store
        .put_project_policy(&project.id, &replaced)
        .await
        .unwrap();
    assert_eq!(
        store.project_policy(&project.id).await.unwrap(),
        Some(replaced.clone()),
        "a second put replaces the policy"
    );
    assert_eq!(store.project_policy(&other.id).await.unwrap(), None);

    let account_rules = policy(&["front_delete_contact=approve"]);
    store
        .put_account_policy(&project.id, &account.id, &account_rules)
        .await
        .unwrap();
    store
        .put_account_policy(&project.id, &account.id, &account_rules)
        .await
        .unwrap();
    assert_eq!(
        store
            .account_policy(&project.id, &account.id)
            .await
            .unwrap(),
        Some(account_rules.clone())
    );
    for (project_id, account_id) in [
        (&project.id, &stranger.id),
        (&project.id, &"acc_gone".to_owned()),
    ] {
        assert!(matches!(
            store
                .put_account_policy(project_id, account_id, &account_rules)
                .await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            store.account_policy(project_id, account_id).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            store.delete_account_policy(project_id, account_id).await,
            Err(StoreError::NotFound)
        ));
    }

    // The account's rule overrides the project's; without it the project's decides.
    let through_account = store
        .policies(&project.id, Some(&account.id))
        .await
        .unwrap();
    assert_eq!(through_account.account, Some(account_rules));
    assert_eq!(through_account.project, Some(replaced.clone()));
    let verdict = through_account.decide(&DELETE_CONTACT);
    assert_eq!(
        (verdict.decision, verdict.rule.level),
        (Decision::Approve, PolicyLevel::Account)
    );
    assert!(
        store
            .delete_account_policy(&project.id, &account.id)
            .await
            .unwrap()
    );
    assert!(
        !store
            .delete_account_policy(&project.id, &account.id)
            .await
            .unwrap()
    );
    let fallback = store
        .policies(&project.id, Some(&account.id))
        .await
        .unwrap()
        .decide(&DELETE_CONTACT);
    assert_eq!(
        (fallback.decision, fallback.rule.level),
        (Decision::Deny, PolicyLevel::Project)
    );

    // An account's policy goes with the account.
    store
        .put_account_policy(&project.id, &account.id, &policy(&["*=deny"]))
        .await
        .unwrap();
    store
        .delete_account(&project.id, &account.id)
        .await
        .unwrap();
    let (relinked, _) = store
        .save_account(&project.id, new_account("owner", "token"))
        .await
        .unwrap();
    assert_eq!(
        store
            .account_policy(&project.id, &relinked.id)
            .await
            .unwrap(),
        None
    );

    assert!(store.delete_project_policy(&project.id).await.unwrap());
    assert!(!store.delete_project_policy(&project.id).await.unwrap());
    let none = store.policies(&project.id, None).await.unwrap();
    assert_eq!(
        none.decide(&DELETE_CONTACT).rule.level,
        PolicyLevel::Default
    );
}

fn held_call(account_id: &str, input: serde_json::Value, expires_in_seconds: i64) -> NewApproval {
    NewApproval {
        account_id: account_id.to_owned(),
        action_id: "front_delete_contact".to_owned(),
        input,
        requested_by: "key ak_1 (ci)".to_owned(),
        expires_at: Timestamp::now().plus_seconds(expires_in_seconds),
    }
}

async fn a_pending_call_is_held_once_per_input(db: &TestDatabase) {
    let store = open(db).await;
    let project = store.project("default").await.unwrap();
    let (account, _) = store
        .save_account(&project.id, new_account("owner", "token"))
        .await
        .unwrap();
    let input = serde_json::json!({"contact_id": "crd_1", "options": {"a": 1, "b": 2}});
    let first = store
        .request_approval(&project.id, &held_call(&account.id, input.clone(), 900))
        .await
        .unwrap();
    assert!(first.created);
    assert_eq!(first.approval.status, ApprovalStatus::Pending);
    assert!(first.approval.id.starts_with("apr_"));
    assert_eq!(first.approval.input, input);

    // The same call, its keys in another order: the same approval.
    let reordered: serde_json::Value =
        serde_json::from_str(r#"{"options": {"b": 2, "a": 1}, "contact_id": "crd_1"}"#).unwrap();
    let (reordered_call, same_call) = (
        held_call(&account.id, reordered, 900),
        held_call(&account.id, input.clone(), 900),
    );
    let (again, at_once) = tokio::join!(
        store.request_approval(&project.id, &reordered_call),
        store.request_approval(&project.id, &same_call),
    );
    for repeat in [again.unwrap(), at_once.unwrap()] {
        assert!(!repeat.created);
        assert_eq!(repeat.approval.id, first.approval.id);
    }

    // A changed input is another call.
    let changed = store
        .request_approval(
            &project.id,
            &held_call(&account.id, serde_json::json!({"contact_id": "crd_2"}), 900),
        )
        .await
        .unwrap();
    assert!(changed.created);
    assert_ne!(changed.approval.id, first.approval.id);
    assert_ne!(changed.approval.input_hash, first.approval.input_hash);

    let pending = store
        .list_approvals(
            &project.id,
            &ApprovalFilter {
                status: Some(ApprovalStatus::Pending),
                ..ApprovalFilter::default()
            },
        )
        .await
        .unwrap();
    let ids: Vec<&str> = pending.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(
        ids,
        [changed.approval.id.as_str(), first.approval.id.as_str()],
        "newest first"
    );
    let next_page = store
        .list_approvals(
            &project.id,
            &ApprovalFilter {
                status: Some(ApprovalStatus::Pending),
                before: Some(changed.approval.id.clone()),
                limit: 1,
            },
        )
        .await
        .unwrap();
    assert_eq!(next_page.len(), 1);
    assert_eq!(next_page[0].id, first.approval.id);
    let other = store.project("other").await.unwrap();
    assert!(matches!(
        store.approval(&other.id, &first.approval.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(
        store
            .list_approvals(&other.id, &ApprovalFilter::default())
            .await
            .unwrap()
            .is_empty()
    );

    // Once decided, a repeat is a new approval.
    store
        .decide_approval(
            &project.id,
            &first.approval.id,
            &ApprovalVerdict::Reject {
                reason: Some("not this one".to_owned()),
            },
            "alice",
        )
        .await
        .unwrap();
    let after = store
        .request_approval(&project.id, &held_call(&account.id, input.clone(), 900))
        .await
        .unwrap();
    assert!(after.created);
    assert_ne!(after.approval.id, first.approval.id);

    // A pending approval past its expiry (the sweep has not run yet) gives way to a new one.
    let stale_input = serde_json::json!({"contact_id": "crd_3"});
    let stale = store
        .request_approval(
            &project.id,
            &held_call(&account.id, stale_input.clone(), -1),
        )
        .await
        .unwrap();
    let fresh = store
        .request_approval(&project.id, &held_call(&account.id, stale_input, 900))
        .await
        .unwrap();
    assert!(fresh.created);
    assert_eq!(
        store
            .approval(&project.id, &stale.approval.id)
            .await
            .unwrap()
            .status,
        ApprovalStatus::Expired
    );
}

/// Two deciders at once, in one hub (tokio::join!) and in two hubs (two stores on one
/// database): exactly one wins, the other is told the approval is already decided.
async fn concurrent_decisions_have_exactly_one_winner(db: &TestDatabase) {
    let hub_a = open(db).await;
    let hub_b = open(db).await;
    let project = hub_a.project("default").await.unwrap();
    let (account, _) = hub_a
        .save_account(&project.id, new_account("owner", "token"))
        .await
        .unwrap();
    let reject = ApprovalVerdict::Reject { reason: None };
    for round in 0..6 {
        let held = hub_a
            .request_approval(
                &project.id,
                &held_call(&account.id, serde_json::json!({ "round": round }), 900),
            )
            .await
            .unwrap()
            .approval;
        let second_hub = if round % 2 == 0 { &hub_a } else { &hub_b };
        let (approved, rejected) = tokio::join!(
            hub_a.decide_approval(&project.id, &held.id, &ApprovalVerdict::Approve, "alice"),
            second_hub.decide_approval(&project.id, &held.id, &reject, "bob"),
        );
        let stored = hub_b.approval(&project.id, &held.id).await.unwrap();
        match (approved, rejected) {
            (Ok(won), Err(StoreError::ApprovalDecided(ApprovalStatus::Approved))) => {
                assert_eq!(won.status, ApprovalStatus::Approved);
                assert_eq!(stored.status, ApprovalStatus::Approved);
                assert_eq!(stored.decided_by.as_deref(), Some("alice"));
            }
            (Err(StoreError::ApprovalDecided(ApprovalStatus::Rejected)), Ok(won)) => {
                assert_eq!(won.status, ApprovalStatus::Rejected);
                assert_eq!(stored.status, ApprovalStatus::Rejected);
                assert_eq!(stored.decided_by.as_deref(), Some("bob"));
            }
            other => panic!("round {round}: expected exactly one winner, got {other:?}"),
        }
        assert!(stored.decided_at.is_some());
    }
}

async fn only_an_approved_call_runs_and_only_once(db: &TestDatabase) {
    let store = open(db).await;
    let project = store.project("default").await.unwrap();
    let (account, _) = store
        .save_account(&project.id, new_account("owner", "token"))
        .await
        .unwrap();
    let hook = store
        .create_endpoint(
            &project.id,
            &NewEndpoint {
                url: "https://example.com/hook".to_owned(),
                event_types: vec!["approval.*".to_owned()],
                account_ids: None,
                description: None,
            },
            &SecretString::from("whsec_c2lnbmluZw=="),
        )
        .await
        .unwrap();
    let hold =
        |n: i64, expires_in: i64| held_call(&account.id, serde_json::json!({ "n": n }), expires_in);

    // Rejected: never runs.
    let rejected = store
        .request_approval(&project.id, &hold(1, 900))
        .await
        .unwrap()
        .approval;
    let decided = store
        .decide_approval(
            &project.id,
            &rejected.id,
            &ApprovalVerdict::Reject {
                reason: Some("no".to_owned()),
            },
            "alice",
        )
        .await
        .unwrap();
    assert_eq!(decided.reason.as_deref(), Some("no"));
    assert!(matches!(
        store.start_approved_run(&project.id, &rejected.id).await,
        Err(StoreError::ApprovalState {
            status: ApprovalStatus::Rejected,
            expected: ApprovalStatus::Approved
        })
    ));
    assert!(matches!(
        store
            .decide_approval(&project.id, &rejected.id, &ApprovalVerdict::Approve, "bob")
            .await,
        Err(StoreError::ApprovalDecided(ApprovalStatus::Rejected))
    ));

    // Expired: a late approval is refused before and after the sweep, and it never runs.
    let late = store
        .request_approval(&project.id, &hold(2, -1))
        .await
        .unwrap()
        .approval;
    assert!(matches!(
        store
            .decide_approval(&project.id, &late.id, &ApprovalVerdict::Approve, "alice")
            .await,
        Err(StoreError::ApprovalExpired)
    ));
    let unexpired = store
        .request_approval(&project.id, &hold(3, 900))
        .await
        .unwrap()
        .approval;
    let swept = store.expire_approvals(Timestamp::now()).await.unwrap();
    assert_eq!(swept, [(project.id.clone(), late.id.clone())]);
    assert!(
        store
            .expire_approvals(Timestamp::now())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        store
            .decide_approval(&project.id, &late.id, &ApprovalVerdict::Approve, "alice")
            .await,
        Err(StoreError::ApprovalExpired)
    ));
    assert!(matches!(
        store.start_approved_run(&project.id, &late.id).await,
        Err(StoreError::ApprovalState {
            status: ApprovalStatus::Expired,
            ..
        })
    ));
    assert!(matches!(
        store.start_approved_run(&project.id, "apr_missing").await,
        Err(StoreError::NotFound)
    ));

    // Approved: runs once, then keeps its result.
    assert!(matches!(
        store.start_approved_run(&project.id, &unexpired.id).await,
        Err(StoreError::ApprovalState {
            status: ApprovalStatus::Pending,
            ..
        })
    ));
    store
        .decide_approval(
            &project.id,
            &unexpired.id,
            &ApprovalVerdict::Approve,
            "alice",
        )
        .await
        .unwrap();
    let (first, second) = tokio::join!(
        store.start_approved_run(&project.id, &unexpired.id),
        store.start_approved_run(&project.id, &unexpired.id),
    );
    assert!(
        first.is_ok() != second.is_ok(),
        "exactly one start wins: {first:?} / {second:?}"
    );
    let result = ApprovalResult {
        status: 200,
        body: r#"{"ok":true}"#.to_owned(),
    };
    let finished = store
        .finish_approved_run(&project.id, &unexpired.id, true, &result)
        .await
        .unwrap();
    assert_eq!(finished.status, ApprovalStatus::Succeeded);
    assert_eq!(finished.result, Some(result.clone()));
    assert!(matches!(
        store
            .finish_approved_run(&project.id, &unexpired.id, false, &result)
            .await,
        Err(StoreError::ApprovalState {
            status: ApprovalStatus::Succeeded,
            expected: ApprovalStatus::Running
        })
    ));
    assert_eq!(
        store
            .approval(&project.id, &unexpired.id)
            .await
            .unwrap()
            .result,
        Some(result)
    );

    // A body past the bound is replaced by a note; the status stays.
    let big = store
        .request_approval(&project.id, &hold(4, 900))
        .await
        .unwrap()
        .approval;
    store
        .decide_approval(&project.id, &big.id, &ApprovalVerdict::Approve, "alice")
        .await
        .unwrap();
    store
        .start_approved_run(&project.id, &big.id)
        .await
        .unwrap();
    let huge = ApprovalResult {
        status: 502,
        body: "x".repeat(actionhub_store::MAX_RESULT_BODY_BYTES + 1),
    };
    let kept = store
        .finish_approved_run(&project.id, &big.id, false, &huge)
        .await
        .unwrap()
        .result
        .unwrap();
    assert_eq!(
        (kept.status, kept.body.contains("larger than the hub keeps")),
        (502, true)
    );

    // Every request and decision was an event: 4 requested, 4 decided (rejected, expired, 2
    // approved).
    let deliveries = store
        .list_deliveries(&project.id, &hook.id, 100)
        .await
        .unwrap();
    let count = |event_type: &str| {
        deliveries
            .iter()
            .filter(|d| d.event_type == event_type)
            .count()
    };
    assert_eq!(
        (count("approval.requested"), count("approval.decided")),
        (4, 4)
    );

    // Settled approvals are purged with old runs; a pending one stays.
    let waiting = store
        .request_approval(&project.id, &hold(5, 900))
        .await
        .unwrap()
        .approval;
    let purged = store
        .purge(Some(Timestamp::now().plus_seconds(1)), Timestamp(0))
        .await
        .unwrap();
    assert_eq!(purged.approvals, 4);
    assert!(matches!(
        store.approval(&project.id, &rejected.id).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store
            .approval(&project.id, &waiting.id)
            .await
            .unwrap()
            .status,
        ApprovalStatus::Pending
    );
}

async fn approval_inputs_and_results_are_sealed(db: &TestDatabase) {
    let store = open_with(db, &format!("1:{KEY_V1}")).await;
    let project = store.project("default").await.unwrap();
    let (account, _) = store
        .save_account(&project.id, new_account("owner", "token"))
        .await
        .unwrap();
    let input = serde_json::json!({"body": "plaintext-input-canary-7531"});
    let held = store
        .request_approval(&project.id, &held_call(&account.id, input.clone(), 900))
        .await
        .unwrap()
        .approval;
    store
        .decide_approval(&project.id, &held.id, &ApprovalVerdict::Approve, "alice")
        .await
        .unwrap();
    store
        .start_approved_run(&project.id, &held.id)
        .await
        .unwrap();
    let result = ApprovalResult {
        status: 201,
        body: r#"{"id":"msg_1","text":"plaintext-result-canary-8642"}"#.to_owned(),
    };
    store
        .finish_approved_run(&project.id, &held.id, true, &result)
        .await
        .unwrap();
    let raw = db.raw_contents();
    assert!(contains_secret(&raw, &held.id), "the raw dump is readable");
    for canary in [
        "plaintext-input-canary-7531",
        "plaintext-result-canary-8642",
    ] {
        assert!(
            !contains_secret(&raw, canary),
            "{canary} is stored in plaintext"
        );
    }
    store.close().await;

    let both = open_with(db, &format!("2:{KEY_V2},1:{KEY_V1}")).await;
    let report = both.rotate_vault().await.unwrap();
    assert_eq!(
        report.rotated,
        1 + 1 + 2,
        "the credential, the pepper, the approval's input and result"
    );
    assert_eq!(report.remaining, 0);
    both.close().await;
    let new_only = open_with(db, &format!("2:{KEY_V2}")).await;
    let reopened = new_only.approval(&project.id, &held.id).await.unwrap();
    assert_eq!((reopened.input, reopened.result), (input, Some(result)));
}
