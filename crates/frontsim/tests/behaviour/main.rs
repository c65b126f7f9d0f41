//! Behaviour of the simulator beyond response shapes: pagination, rate limits, writes and
//! their events, authentication, search, messages, the long tail of operations (replies,
//! drafts, templates, knowledge bases, analytics, memberships, downloads), robustness and
//! faults. Each test starts
//! its own simulator on a free port, so tests run in parallel without sharing state.

#[path = "../common/mod.rs"]
mod common;

mod auth;
mod events;
mod faults;
mod limits;
mod longtail;
mod messages;
mod pagination;
mod robustness;
mod search;
mod writes;
