//! `frontsim`: an offline simulator of Front's Core API.
//!
//! It serves, at its root, every operation of the Front connector in `actionhub-catalog`
//! (`GET /me` included), faithful to Front's OpenAPI spec (`core-api.json`, read by the tests through
//! `actionhub_testkit::front_spec`) and to what Front documents beyond it: the `_results` /
//! `_pagination.next` / `_links` envelope with absolute `next` URLs and opaque page tokens, Front's
//! `_error` body, 201/202/204 where Front uses them, bearer-token authentication with per-operation
//! scopes (401/403), per-company rate limits with `x-ratelimit-*`, `retry-after`, a burst tier and
//! search's 40% share, resource aliases (`alt:email:`, `alt:uid:`, contact handles, …),
//! conversation search, and the events that writes leave behind (and, with
//! `activity_per_minute`, the events of the company's own simulated people). Its data — one company with
//! teammates, inboxes, channels, tags, contacts, accounts and 2,000 conversations, and its
//! teams, templates, knowledge base, shifts and the like, with every example id of the
//! connector's `resources` — is generated from a seed, so a run is repeatable. It can also
//! inject latency, 503s and dropped connections.
//!
//! Operations with behaviour of their own (conversations, replies and drafts, comments,
//! contacts, tags, events, analytics, downloads…) have hand-written handlers; the long tail
//! (teams, shifts, time off, rules, views, templates, knowledge bases, custom fields…) is served
//! generically from each operation's path and response schema (see `handlers::generic`).
//!
//! It is used in-process by tests and by `actionhub demo`, and alone by `actionhub sim`:
//!
//! ```no_run
//! # async fn example() -> Result<(), frontsim::SimError> {
//! let sim = frontsim::bind(frontsim::SimConfig::default(), "127.0.0.1:0").await?;
//! println!("{} accepts {:?}", sim.base_url(), sim.demo_token());
//! sim.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! What it must never do: reach the network beyond its own listener (no test, demo or
//! benchmark may touch the real Front), panic on any request (every bad input gets Front's
//! error body and a 4xx), let a refused request change state, or serve anything that does not
//! validate against the spec's response schemas (the contract test checks every operation).

mod config;
mod error;
mod faults;
mod handlers;
mod kinds;
mod limits;
mod paging;
mod render;
mod request;
mod rng;
mod routes;
mod server;
mod spec;
mod world;

pub use config::{
    DEFAULT_BURST, DEFAULT_RPM, DEFAULT_SEED, DEFAULT_WINDOW_SECS, MAX_ACTIVITY_PER_MINUTE,
    MAX_WINDOW_SECS, SimConfig, TokenGrant,
};
pub use error::SimError;
pub use server::{RunningSim, bind, spawn};
