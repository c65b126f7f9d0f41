//! What the server's test suites share: a hub served in-process on a random port, on a fresh
//! database (SQLite unless a suite brings its own), talking to a Front at `front_url` (the
//! simulator, or nothing at all).

use actionhub_engine::{FrontClient, SecretString};
use actionhub_server::linking::{LinkRequest, Owner, link_account};
use actionhub_server::{AppState, ServeConfig};
use actionhub_store::{Account, Keyring, LinkTarget, Store};
use actionhub_testkit::{KEY_V1, TestDatabase};
use tokio::net::TcpListener;

/// A running hub. Keep `db` alive as long as the hub is used.
pub struct Served {
    pub url: String,
    pub store: Store,
    /// The hub's Front client, for tests that link accounts directly.
    #[allow(
        dead_code,
        reason = "each test crate includes this module; not all link directly"
    )]
    pub front: FrontClient,
    #[allow(
        dead_code,
        reason = "kept alive for the hub; not every test crate reads it"
    )]
    pub db: TestDatabase,
}

#[allow(
    dead_code,
    reason = "each test crate includes this module; not all choose the database or Front client"
)]
pub async fn serve_hub(front_url: &str) -> Served {
    serve_hub_on(
        TestDatabase::sqlite(),
        FrontClient::new(Some(front_url)).unwrap(),
    )
    .await
}

/// A hub on `db` (either backend), keyed with the test keyring's [`KEY_V1`], talking to Front
/// through `front` (e.g. a client whose pacer the test inspects).
#[allow(
    dead_code,
    reason = "each test crate includes this module; only some choose the database or Front client"
)]
pub async fn serve_hub_on(db: TestDatabase, front: FrontClient) -> Served {
    serve_hub_with(db, front, ServeConfig::default()).await
}

/// A hub as [`serve_hub_on`] serves it, under `config` (e.g. with CORS origins).
#[allow(
    dead_code,
    reason = "each test crate includes this module; only some choose the serve config"
)]
pub async fn serve_hub_with(db: TestDatabase, front: FrontClient, config: ServeConfig) -> Served {
    let store = Store::open(db.url(), Keyring::parse(KEY_V1).unwrap())
        .await
        .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let state = AppState::new(store.clone(), front.clone(), &url);
    tokio::spawn(actionhub_server::serve_with(
        listener,
        state,
        config,
        std::future::pending(),
    ));
    Served {
        url,
        store,
        front,
        db,
    }
}

/// Links a Front account with `token` in `project_id` (owned by the Front company itself unless
/// an `owner` is named), as `actionhub accounts link` would.
#[allow(
    dead_code,
    reason = "each test crate includes this module; not all link accounts"
)]
pub async fn link_front_account(
    store: &Store,
    front: &FrontClient,
    project_id: &str,
    token: &str,
    owner: Option<Owner>,
) -> Account {
    let request = LinkRequest {
        provider: "front".into(),
        token: SecretString::from(token.to_owned()),
        owner,
        origin_username: None,
        label: None,
        metadata: None,
        allowed_actions: None,
        target: LinkTarget::Owner,
        session_id: None,
    };
    link_account(store, front, project_id, request)
        .await
        .expect("link a Front account")
        .account
}
