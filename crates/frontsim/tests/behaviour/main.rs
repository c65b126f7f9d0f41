//! Behaviour of the simulator beyond response shapes: pagination, rate limits, writes and
//! their events, authentication, search, messages, robustness and faults. Each test starts
//! its own simulator on a free port, so tests run in parallel without sharing state.

#[path = "../common/mod.rs"]
mod common;

mod auth;
mod events;
mod faults;
mod limits;
mod messages;
mod pagination;
mod robustness;
mod search;
mod writes;
