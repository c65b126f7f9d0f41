//! The Hub's web pages: server-rendered HTML built from the connector data, plus the CSS, script
//! and icon files they use, embedded in the binary.
//!
//! Pages are pure functions from data to HTML; serving them (routes, sessions, headers) is the
//! server's job. Every page works without JavaScript for what it shows; scripts only add
//! interaction. Nothing is loaded from another origin: the pages are meant to be served with
//! [`CONTENT_SECURITY_POLICY`], which forbids inline scripts and styles.
//!
//! This crate must never read files, the network or a database at run time.

mod approvals;
mod assets;
mod checklist;
mod dashboard;
mod guide;
mod layout;
mod link;
mod reference;
mod rich_text;

pub use approvals::{
    AccountPolicy, ApprovalDecision, ApprovalOutcome, ApprovalPage, ApprovalRow, ApprovalsPage,
    JSON_SHOWN_CHARS, Moment, PolicyPage, RefusedEdit, RuleRow, approval_page, approvals_page,
    policy_page,
};
pub use assets::{ASSETS, Asset, CONTENT_SECURITY_POLICY, asset};
pub use dashboard::{
    AccountRow, AccountsPage, DeliveryRow, EndpointRow, SignedIn, WebhooksPage, accounts_page,
    sign_in_page, webhooks_page,
};
pub use guide::{GuideSelection, scope_guide};
pub use link::{
    LinkOutcome, LinkPage, LinkUnavailable, link_page, link_unavailable_page, message_page,
};
pub use reference::api_reference;
