//! `actionhub demo`: everything offline in one process — a Front simulator, a hub on a fresh
//! embedded database, a demo API key and a linked demo account — with copy-paste examples.

use actionhub_engine::FrontClient;
use actionhub_server::AppState;
use actionhub_server::linking::{self, LinkRequest, Owner};
use actionhub_store::{Keyring, LinkTarget, Policy, PolicyRule, Store};
use actionhub_worker::{AddressPolicy, Worker, WorkerConfig};
use clap::Args;
use secrecy::{ExposeSecret, SecretString};
use tokio::net::TcpListener;

use crate::config;
use crate::error::CliError;

/// The demo project's policy: deleting and writing to customers wait for a person.
const DEMO_POLICY: [&str; 2] = ["hint:destructive=approve", "hint:sends=approve"];

/// Enough for new events to show up within a minute, few enough to read them.
const DEMO_ACTIVITY_PER_MINUTE: u32 = 6;

/// Everything offline: a Front simulator, a hub on a fresh SQLite database, a demo API key and
/// a linked demo account.
///
/// Prints the hub's URL, the key, the account and ready-to-paste curl and Python (stackone-ai)
/// examples, then serves until Ctrl-C (or SIGTERM). Nothing reaches the real Front; the data is the
/// simulator's (seeded, the same every time) and lives in a temporary directory removed on exit.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Address the demo hub listens on (port 0 picks a free one).
    #[arg(long, value_name = "ADDR", env = "ACTIONHUB_BIND", default_value = config::DEFAULT_BIND)]
    bind: String,
}

pub fn run(args: &DemoArgs) -> Result<(), CliError> {
    config::init_logging("warn");
    config::runtime()?.block_on(async {
        let dir = tempfile::Builder::new()
            .prefix("actionhub-demo-")
            .tempdir()
            .map_err(|error| {
                CliError::Config(format!("cannot create a temporary directory: {error}"))
            })?;
        let sim_config = frontsim::SimConfig {
            activity_per_minute: DEMO_ACTIVITY_PER_MINUTE,
            ..frontsim::SimConfig::default()
        };
        let sim = frontsim::bind(sim_config, "127.0.0.1:0").await?;
        let (keyring, _) =
            Keyring::read_or_create_file(&dir.path().join("actionhub.db.master-key"))?;
        let database = format!("sqlite://{}", dir.path().join("actionhub.db").display());
        let store = Store::open(&database, keyring).await?;
        let front = FrontClient::new(Some(sim.base_url()))?;
        let listener = TcpListener::bind(&args.bind)
            .await
            .map_err(|source| CliError::Bind {
                addr: args.bind.clone(),
                source,
            })?;
        let address = listener.local_addr().map_err(CliError::Serve)?;
        let url = format!("http://{address}");
        let project = store.project("default").await?;
        let (_, key) = store.create_api_key(&project, "demo").await?;
        let token = sim
            .demo_token()
            .ok_or_else(|| CliError::Config("the simulator has no demo token".to_owned()))?;
        let linked = linking::link_account(
            &store,
            &front,
            &project.id,
            LinkRequest {
                provider: "front".to_owned(),
                token: SecretString::from(token.to_owned()),
                owner: Some(Owner {
                    id: "demo-customer".to_owned(),
                    name: "Demo customer".to_owned(),
                }),
                origin_username: None,
                label: Some("Demo".to_owned()),
                metadata: None,
                allowed_actions: None,
                target: LinkTarget::Owner,
                session_id: None,
            },
        )
        .await?;
        let policy = Policy {
            rules: DEMO_POLICY
                .iter()
                .map(|rule| rule.parse::<PolicyRule>())
                .collect::<Result<_, _>>()
                .map_err(|error| CliError::Config(error.to_string()))?,
        };
        store.put_project_policy(&project.id, &policy).await?;
        println!(
            "{}",
            banner(
                &url,
                sim.base_url(),
                key.expose_secret(),
                &linked.account.id,
                &database
            )
        );
        println!(
            "Events are flowing: the simulated company has about {DEMO_ACTIVITY_PER_MINUTE} customer actions a minute (front_list_events shows them)."
        );
        // Webhooks may go to the developer's own machine in the demo.
        let worker_config = WorkerConfig {
            address_policy: AddressPolicy::AllowPrivate,
            ..WorkerConfig::default()
        };
        let mut state = AppState::new(store.clone(), front.clone(), &url);
        state.webhooks.address_policy = AddressPolicy::AllowPrivate;
        let worker = Worker::spawn(store.clone(), front, worker_config, state.metrics.clone())
            .map_err(|error| CliError::Config(error.to_string()))?;
        actionhub_server::serve(listener, state, crate::serve::shutdown_signal())
            .await
            .map_err(CliError::Serve)?;
        worker.shutdown().await;
        store.close().await;
        sim.shutdown().await;
        drop(dir);
        eprintln!("actionhub demo stopped; its temporary data is gone");
        Ok(())
    })
}

fn banner(url: &str, sim: &str, key: &str, account: &str, database: &str) -> String {
    let policy = DEMO_POLICY.join(" ");
    format!(
        r#"actionhub demo: everything offline (Ctrl-C stops it)

  hub          {url}
  API key      {key}
  account      {account}   (a linked demo Front account)
  Front        {sim}   (the simulator)
  database     {database}

Try it:

  curl -s -u '{key}:' {url}/actions/rpc \
    -H 'x-account-id: {account}' -H 'content-type: application/json' \
    -d '{{"action": "front_list_conversations", "query": {{"limit": 5}}}}'

  curl -s -u '{key}:' '{url}/actions?include=action_details&search=tag'
  curl -s -u '{key}:' {url}/runs

Policy: {policy}
  Destructive calls and messages to customers wait for a person's approval (HTTP 202);
  decide at {url}/dashboard/approvals or with `actionhub approvals list|approve|reject
  --database '{database}'`; see docs/approvals.md.

Webhooks (Front's events, signed; print them as they arrive, or send them to any local receiver;
see docs/webhooks.md):

  actionhub listen --database '{database}' --webhook-allow-private

  curl -s -u '{key}:' {url}/webhooks -H 'content-type: application/json' \
    -d '{{"url": "http://127.0.0.1:9000/hooks", "events": ["front.*", "account.*"]}}'

Python (pip install 'stackone-ai[mcp]'):

  from stackone_ai import StackOneToolSet
  toolset = StackOneToolSet(api_key="{key}", account_id="{account}", base_url="{url}")
  tools = toolset.fetch_tools(actions=["front_*"])
  print(tools.get_tool("front_list_conversations").execute({{"query_limit": 5}}))

Hub pages: {url}/dashboard   Scope guide: {url}/connectors/front/guides/link-account/api-token
"#
    )
}
