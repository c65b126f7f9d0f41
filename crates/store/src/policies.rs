//! Policies: which actions run at once, wait for a person's approval, or are refused.
//!
//! A policy is an ordered list of rules `SELECTOR=DECISION`. A project has one; an account may
//! have its own, which overrides the project's. [`decide`] is the whole decision, a pure
//! function of the two policies and what the action is, so the server, the CLI's `explain` and
//! the tests share it; the store only keeps the policies (as JSON of the rules' text form).

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::accounts::{parse_json, to_json};
use crate::db::{from_row, on_pool};
use crate::model::Timestamp;
use crate::{Store, StoreError};

/// Rules a policy holds at most, so that a policy stays something a person can read and the
/// decision stays cheap.
pub const MAX_POLICY_RULES: usize = 500;
/// Longest action id or group name a selector names.
const MAX_NAME_LEN: usize = 100;

/// An action hint a rule can select on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Hint {
    /// The action deletes or irreversibly changes something.
    Destructive,
    /// The action sends something to people outside the company (a message to a customer).
    Sends,
    ReadOnly,
    /// Every action that is not read-only.
    Write,
}

impl Hint {
    pub fn as_str(self) -> &'static str {
        match self {
            Hint::Destructive => "destructive",
            Hint::Sends => "sends",
            Hint::ReadOnly => "read_only",
            Hint::Write => "write",
        }
    }

    fn parse(text: &str) -> Option<Hint> {
        match text {
            "destructive" => Some(Hint::Destructive),
            "sends" => Some(Hint::Sends),
            "read_only" => Some(Hint::ReadOnly),
            "write" => Some(Hint::Write),
            _ => None,
        }
    }
}

/// What a rule applies to, from most to least specific: one action (`front_delete_contact`),
/// the actions of a resource group (`group:tags`), the actions with a hint
/// (`hint:destructive`), every action (`*`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Selector {
    Action(String),
    Group(String),
    Hint(Hint),
    Any,
}

impl Selector {
    /// Higher is more specific: within one policy the most specific matching rule decides.
    fn specificity(&self) -> u8 {
        match self {
            Selector::Action(_) => 3,
            Selector::Group(_) => 2,
            Selector::Hint(_) => 1,
            Selector::Any => 0,
        }
    }

    /// Whether the rule applies to `action`.
    pub fn matches(&self, action: &ActionFacts<'_>) -> bool {
        match self {
            Selector::Action(id) => id == action.id,
            Selector::Group(group) => group == action.group,
            Selector::Hint(Hint::Destructive) => action.destructive,
            Selector::Hint(Hint::Sends) => action.sends,
            Selector::Hint(Hint::ReadOnly) => action.read_only,
            Selector::Hint(Hint::Write) => !action.read_only,
            Selector::Any => true,
        }
    }
}

/// Why a policy text was refused; the message quotes the part at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyParseError {
    #[error(
        "`{0}` is not a selector: expected an action id, group:NAME, hint:destructive, hint:sends, hint:read_only, hint:write or *"
    )]
    Selector(String),
    #[error("`{0}` is not a decision: expected allow, approve or deny")]
    Decision(String),
    #[error("`{0}` is not a rule: expected SELECTOR=DECISION (e.g. hint:destructive=approve)")]
    Rule(String),
    #[error("a policy holds at most {MAX_POLICY_RULES} rules")]
    TooManyRules,
}

/// An action id or group name: letters, digits, `_`, `-` and `.`, as catalogue names are.
fn is_name(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= MAX_NAME_LEN
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

impl FromStr for Selector {
    type Err = PolicyParseError;

    fn from_str(text: &str) -> Result<Selector, PolicyParseError> {
        let refused = || PolicyParseError::Selector(text.to_owned());
        if text == "*" {
            return Ok(Selector::Any);
        }
        if let Some(hint) = text.strip_prefix("hint:") {
            return Hint::parse(hint).map(Selector::Hint).ok_or_else(refused);
        }
        if let Some(group) = text.strip_prefix("group:") {
            return is_name(group)
                .then(|| Selector::Group(group.to_owned()))
                .ok_or_else(refused);
        }
        is_name(text)
            .then(|| Selector::Action(text.to_owned()))
            .ok_or_else(refused)
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Selector::Action(id) => f.write_str(id),
            Selector::Group(group) => write!(f, "group:{group}"),
            Selector::Hint(hint) => write!(f, "hint:{}", hint.as_str()),
            Selector::Any => f.write_str("*"),
        }
    }
}

impl Serialize for Selector {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Selector {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Selector, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// What a rule says; ordered from least to most strict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    Allow,
    /// Hold the call until a person approves it.
    Approve,
    Deny,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::Approve => "approve",
            Decision::Deny => "deny",
        }
    }
}

impl FromStr for Decision {
    type Err = PolicyParseError;

    fn from_str(text: &str) -> Result<Decision, PolicyParseError> {
        match text {
            "allow" => Ok(Decision::Allow),
            "approve" => Ok(Decision::Approve),
            "deny" => Ok(Decision::Deny),
            _ => Err(PolicyParseError::Decision(text.to_owned())),
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One rule: `{"match": SELECTOR, "decision": DECISION}`, written `SELECTOR=DECISION`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyRule {
    #[serde(rename = "match")]
    pub selector: Selector,
    pub decision: Decision,
}

impl FromStr for PolicyRule {
    type Err = PolicyParseError;

    /// The CLI's form, `SELECTOR=DECISION`.
    fn from_str(text: &str) -> Result<PolicyRule, PolicyParseError> {
        let (selector, decision) = text
            .rsplit_once('=')
            .ok_or_else(|| PolicyParseError::Rule(text.to_owned()))?;
        Ok(PolicyRule {
            selector: selector.parse()?,
            decision: decision.parse()?,
        })
    }
}

impl fmt::Display for PolicyRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.selector, self.decision)
    }
}

/// A project's or an account's policy: rules in the order they were written (the order does
/// not change the decision; it is kept for the person reading them).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub rules: Vec<PolicyRule>,
}

impl Policy {
    /// Refuses a policy too long to store.
    pub fn check(&self) -> Result<(), PolicyParseError> {
        if self.rules.len() > MAX_POLICY_RULES {
            return Err(PolicyParseError::TooManyRules);
        }
        Ok(())
    }

    /// The rule of this policy that decides for `action`: the most specific matching one,
    /// the strictest among equally specific ones (the first written among identical ones).
    fn deciding_rule(&self, action: &ActionFacts<'_>) -> Option<&PolicyRule> {
        self.rules
            .iter()
            .filter(|rule| rule.selector.matches(action))
            .fold(None, |best: Option<&PolicyRule>, rule| match best {
                Some(best)
                    if (best.selector.specificity(), best.decision)
                        >= (rule.selector.specificity(), rule.decision) =>
                {
                    Some(best)
                }
                _ => Some(rule),
            })
    }
}

/// What a policy needs to know about an action (from the catalogue, which this crate does not
/// depend on).
#[derive(Debug, Clone, Copy, Default)]
pub struct ActionFacts<'a> {
    pub id: &'a str,
    /// The action's resource group (its file's stem in the connector).
    pub group: &'a str,
    pub destructive: bool,
    pub sends: bool,
    pub read_only: bool,
}

/// Which policy decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PolicyLevel {
    Account,
    Project,
    /// No rule matched anywhere: the call is allowed.
    Default,
}

/// The rule that decided: its level and selector (none for the default).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecidingRule {
    pub level: PolicyLevel,
    #[serde(rename = "match", skip_serializing_if = "Option::is_none")]
    pub selector: Option<Selector>,
}

/// A decision and the rule that made it: `{decision, rule: {level, match}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub decision: Decision,
    pub rule: DecidingRule,
}

impl fmt::Display for Verdict {
    /// Names the rule, for messages: `the project policy rule hint:destructive=deny`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.rule.level {
            PolicyLevel::Account => "account",
            PolicyLevel::Project => "project",
            PolicyLevel::Default => return write!(f, "the default ({})", self.decision),
        };
        match &self.rule.selector {
            Some(selector) => write!(f, "the {level} policy rule {selector}={}", self.decision),
            None => write!(f, "the {level} policy"),
        }
    }
}

/// The decision for `action`: the account's policy first, then the project's; within a policy
/// the most specific matching rule (action > group > hint > `*`), the strictest among equals
/// (deny > approve > allow); no matching rule anywhere allows the call.
pub fn decide(
    account: Option<&Policy>,
    project: Option<&Policy>,
    action: &ActionFacts<'_>,
) -> Verdict {
    [
        (PolicyLevel::Account, account),
        (PolicyLevel::Project, project),
    ]
    .into_iter()
    .find_map(|(level, policy)| {
        let rule = policy?.deciding_rule(action)?;
        Some(Verdict {
            decision: rule.decision,
            rule: DecidingRule {
                level,
                selector: Some(rule.selector.clone()),
            },
        })
    })
    .unwrap_or(Verdict {
        decision: Decision::Allow,
        rule: DecidingRule {
            level: PolicyLevel::Default,
            selector: None,
        },
    })
}

/// The policies that apply to calls through one account: its own and its project's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policies {
    pub account: Option<Policy>,
    pub project: Option<Policy>,
}

impl Policies {
    pub fn decide(&self, action: &ActionFacts<'_>) -> Verdict {
        decide(self.account.as_ref(), self.project.as_ref(), action)
    }
}

#[derive(Debug)]
struct PolicyRow {
    account_id: Option<String>,
    rules: String,
}
from_row!(PolicyRow { account_id, rules });

fn policy_of(row: &PolicyRow) -> Result<Policy, StoreError> {
    Ok(Policy {
        rules: parse_json(&row.rules, "policies.rules")?,
    })
}

impl Store {
    /// The project's own policy (`None` when it has none).
    pub async fn project_policy(&self, project_id: &str) -> Result<Option<Policy>, StoreError> {
        Ok(self.policies(project_id, None).await?.project.clone())
    }

    /// An account's own policy (`None` when it has none and the project's applies);
    /// [`StoreError::NotFound`] if the project has no such account.
    pub async fn account_policy(
        &self,
        project_id: &str,
        account_id: &str,
    ) -> Result<Option<Policy>, StoreError> {
        self.account(project_id, account_id).await?;
        Ok(self
            .policies(project_id, Some(account_id))
            .await?
            .account
            .clone())
    }

    /// The policies that decide calls through `account_id` (or the project's alone), read
    /// together. An account id the project does not have simply has no policy of its own.
    /// Read on every call, so cached like the other reads of an execution ([`crate::CACHE_TTL`]:
    /// another hub's change is seen within it, this process's at once).
    pub async fn policies(
        &self,
        project_id: &str,
        account_id: Option<&str>,
    ) -> Result<Arc<Policies>, StoreError> {
        let key = format!("{project_id}\0{}\0", account_id.unwrap_or_default());
        if let Some(cached) = self.inner.policies.get(key.as_str()) {
            return Ok(cached);
        }
        let rows: Vec<PolicyRow> = on_pool!(self.db(), pool => sqlx::query_as(
            "SELECT account_id, rules FROM policies \
             WHERE project_id = $1 AND (account_id IS NULL OR account_id = $2)",
        )
        .bind(project_id)
        .bind(account_id)
        .fetch_all(pool)
        .await?);
        let mut policies = Policies::default();
        for row in &rows {
            match row.account_id {
                None => policies.project = Some(policy_of(row)?),
                Some(_) => policies.account = Some(policy_of(row)?),
            }
        }
        let policies = Arc::new(policies);
        self.inner.policies.insert(key, policies.clone());
        Ok(policies)
    }

    /// Sets the project's own policy, replacing the one it had.
    pub async fn put_project_policy(
        &self,
        project_id: &str,
        policy: &Policy,
    ) -> Result<(), StoreError> {
        policy.check()?;
        let now = Timestamp::now().millis();
        on_pool!(self.db(), pool => sqlx::query(
            "INSERT INTO policies (project_id, account_id, rules, updated_at) \
             VALUES ($1, NULL, $2, $3) \
             ON CONFLICT (project_id) WHERE account_id IS NULL \
             DO UPDATE SET rules = excluded.rules, updated_at = excluded.updated_at",
        )
        .bind(project_id)
        .bind(to_json(&policy.rules))
        .bind(now)
        .execute(pool)
        .await?
        .rows_affected());
        self.forget_project_policies(project_id);
        Ok(())
    }

    /// Sets an account's own policy, replacing the one it had; [`StoreError::NotFound`] if the
    /// project has no such account.
    pub async fn put_account_policy(
        &self,
        project_id: &str,
        account_id: &str,
        policy: &Policy,
    ) -> Result<(), StoreError> {
        policy.check()?;
        let now = Timestamp::now().millis();
        // Written only if the account is the project's, in the same statement.
        let written = on_pool!(self.db(), pool => sqlx::query(
            "INSERT INTO policies (project_id, account_id, rules, updated_at) \
             SELECT project_id, id, $3, $4 FROM accounts WHERE project_id = $1 AND id = $2 \
             ON CONFLICT (project_id, account_id) WHERE account_id IS NOT NULL \
             DO UPDATE SET rules = excluded.rules, updated_at = excluded.updated_at",
        )
        .bind(project_id)
        .bind(account_id)
        .bind(to_json(&policy.rules))
        .bind(now)
        .execute(pool)
        .await?
        .rows_affected());
        if written == 0 {
            return Err(StoreError::NotFound);
        }
        self.forget_account(project_id, account_id);
        Ok(())
    }

    /// Removes the project's own policy (every call is then allowed unless an account's policy
    /// says otherwise). Returns whether it had one.
    pub async fn delete_project_policy(&self, project_id: &str) -> Result<bool, StoreError> {
        let deleted = on_pool!(self.db(), pool => sqlx::query(
            "DELETE FROM policies WHERE project_id = $1 AND account_id IS NULL",
        )
        .bind(project_id)
        .execute(pool)
        .await?
        .rows_affected());
        self.forget_project_policies(project_id);
        Ok(deleted > 0)
    }

    /// Removes an account's own policy, so the project's applies again. Returns whether it had
    /// one; [`StoreError::NotFound`] if the project has no such account.
    pub async fn delete_account_policy(
        &self,
        project_id: &str,
        account_id: &str,
    ) -> Result<bool, StoreError> {
        self.account(project_id, account_id).await?;
        let deleted = on_pool!(self.db(), pool => sqlx::query(
            "DELETE FROM policies WHERE project_id = $1 AND account_id = $2",
        )
        .bind(project_id)
        .bind(account_id)
        .execute(pool)
        .await?
        .rows_affected());
        self.forget_account(project_id, account_id);
        Ok(deleted > 0)
    }

    /// Forgets every cached read of a project's policies after this process changed its own.
    fn forget_project_policies(&self, project_id: &str) {
        let prefix = format!("{project_id}\0");
        self.inner.policies.retain(|key| !key.starts_with(&prefix));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    const REPLY: ActionFacts<'static> = ActionFacts {
        id: "front_reply_to_conversation",
        group: "conversations",
        destructive: false,
        sends: true,
        read_only: false,
    };
    const LIST_TAGS: ActionFacts<'static> = ActionFacts {
        id: "front_list_tags",
        group: "tags",
        destructive: false,
        sends: false,
        read_only: true,
    };

    /// (decision, level, deciding rule's selector) as text, for compact tables.
    fn outcome(verdict: &Verdict) -> (&'static str, PolicyLevel, Option<String>) {
        (
            verdict.decision.as_str(),
            verdict.rule.level,
            verdict.rule.selector.as_ref().map(Selector::to_string),
        )
    }

    #[test]
    fn selectors_and_rules_read_what_they_print() {
        for text in [
            "front_delete_contact",
            "group:knowledge_bases",
            "hint:destructive",
            "hint:sends",
            "hint:read_only",
            "hint:write",
            "*",
        ] {
            let selector: Selector = text.parse().unwrap();
            assert_eq!(selector.to_string(), text);
            let json = serde_json::to_string(&selector).unwrap();
            assert_eq!(json, format!("\"{text}\""));
            assert_eq!(serde_json::from_str::<Selector>(&json).unwrap(), selector);
        }
        let rule: PolicyRule = "hint:destructive=approve".parse().unwrap();
        assert_eq!(rule.to_string(), "hint:destructive=approve");
        assert_eq!(
            serde_json::to_value(&rule).unwrap(),
            serde_json::json!({"match": "hint:destructive", "decision": "approve"})
        );
        let read: Policy = serde_json::from_value(serde_json::json!({
            "rules": [
                {"match": "group:tags", "decision": "deny"},
                {"match": "*", "decision": "allow"}
            ]
        }))
        .unwrap();
        assert_eq!(read, policy(&["group:tags=deny", "*=allow"]));
    }

    #[test]
    fn malformed_rules_are_refused_naming_the_part_at_fault() {
        for (text, error) in [
            (
                "hint:loud=deny",
                PolicyParseError::Selector("hint:loud".into()),
            ),
            ("group:=deny", PolicyParseError::Selector("group:".into())),
            ("=deny", PolicyParseError::Selector(String::new())),
            (
                "front list=deny",
                PolicyParseError::Selector("front list".into()),
            ),
            (
                "front_list_tags=maybe",
                PolicyParseError::Decision("maybe".into()),
            ),
            (
                "front_list_tags",
                PolicyParseError::Rule("front_list_tags".into()),
            ),
        ] {
            assert_eq!(text.parse::<PolicyRule>(), Err(error), "{text}");
        }
        let unknown_field = serde_json::from_value::<Policy>(serde_json::json!({
            "rules": [{"match": "*", "decision": "deny", "why": "x"}]
        }));
        assert!(unknown_field.is_err());
        let too_many = Policy {
            rules: vec!["*=allow".parse().unwrap(); MAX_POLICY_RULES + 1],
        };
        assert_eq!(too_many.check(), Err(PolicyParseError::TooManyRules));
    }

    #[test]
    fn no_policy_allows_by_default() {
        let verdict = decide(None, None, &DELETE_CONTACT);
        assert_eq!(outcome(&verdict), ("allow", PolicyLevel::Default, None));
        assert_eq!(
            serde_json::to_value(&verdict).unwrap(),
            serde_json::json!({"decision": "allow", "rule": {"level": "default"}})
        );
        let unrelated = policy(&["front_list_tags=deny", "group:tags=deny"]);
        assert_eq!(
            decide(Some(&unrelated), Some(&unrelated), &DELETE_CONTACT)
                .rule
                .level,
            PolicyLevel::Default
        );
    }

    /// Within one policy: action id > group > hint > `*`, whatever the order written and
    /// whatever the decisions; among equally specific rules the strictest.
    #[test]
    fn the_most_specific_rule_wins_then_the_strictest() {
        let table: &[(&[&str], ActionFacts<'_>, &str, &str)] = &[
            (
                &["*=deny", "hint:destructive=approve"],
                DELETE_CONTACT,
                "approve",
                "hint:destructive",
            ),
            (
                &["hint:destructive=deny", "group:contacts=allow"],
                DELETE_CONTACT,
                "allow",
                "group:contacts",
            ),
            (
                &["group:contacts=deny", "front_delete_contact=allow"],
                DELETE_CONTACT,
                "allow",
                "front_delete_contact",
            ),
            (
                &[
                    "front_delete_contact=allow",
                    "*=deny",
                    "group:contacts=deny",
                    "hint:write=deny",
                ],
                DELETE_CONTACT,
                "allow",
                "front_delete_contact",
            ),
            (
                &["hint:destructive=approve", "hint:write=deny"],
                DELETE_CONTACT,
                "deny",
                "hint:write",
            ),
            (
                &["hint:write=allow", "hint:destructive=approve"],
                DELETE_CONTACT,
                "approve",
                "hint:destructive",
            ),
            (
                &["hint:sends=approve", "hint:write=allow"],
                REPLY,
                "approve",
                "hint:sends",
            ),
            (
                &["hint:sends=approve", "hint:read_only=deny"],
                LIST_TAGS,
                "deny",
                "hint:read_only",
            ),
            (&["hint:write=deny", "*=allow"], LIST_TAGS, "allow", "*"),
            (
                &["*=allow", "*=approve", "*=allow"],
                LIST_TAGS,
                "approve",
                "*",
            ),
            (
                &["front_list_tags=allow", "front_list_tags=deny"],
                LIST_TAGS,
                "deny",
                "front_list_tags",
            ),
        ];
        for (rules, action, decision, selector) in table {
            let project = policy(rules);
            let verdict = decide(None, Some(&project), action);
            assert_eq!(
                outcome(&verdict),
                (
                    *decision,
                    PolicyLevel::Project,
                    Some((*selector).to_owned())
                ),
                "{rules:?} for {}",
                action.id
            );
        }
    }

    /// The account's policy overrides the project's as soon as one of its rules matches, even a
    /// less specific one; otherwise the project's decides.
    #[test]
    fn the_account_policy_overrides_the_project_policy() {
        let project = policy(&["front_delete_contact=deny", "hint:sends=approve"]);
        let table: &[(&[&str], ActionFacts<'_>, &str, PolicyLevel, &str)] = &[
            (
                &["*=allow"],
                DELETE_CONTACT,
                "allow",
                PolicyLevel::Account,
                "*",
            ),
            (
                &["hint:read_only=deny"],
                DELETE_CONTACT,
                "deny",
                PolicyLevel::Project,
                "front_delete_contact",
            ),
            (
                &["hint:read_only=deny"],
                LIST_TAGS,
                "deny",
                PolicyLevel::Account,
                "hint:read_only",
            ),
            (
                &["group:conversations=deny"],
                REPLY,
                "deny",
                PolicyLevel::Account,
                "group:conversations",
            ),
            (&[], REPLY, "approve", PolicyLevel::Project, "hint:sends"),
        ];
        for (rules, action, decision, level, selector) in table {
            let account = policy(rules);
            let verdict = decide(Some(&account), Some(&project), action);
            assert_eq!(
                outcome(&verdict),
                (*decision, *level, Some((*selector).to_owned())),
                "{rules:?} for {}",
                action.id
            );
        }
        let only_account = decide(Some(&policy(&["*=approve"])), None, &LIST_TAGS);
        assert_eq!(
            outcome(&only_account),
            ("approve", PolicyLevel::Account, Some("*".to_owned()))
        );
    }

    #[test]
    fn a_verdict_names_its_rule() {
        let project = policy(&["hint:destructive=deny"]);
        let verdict = decide(None, Some(&project), &DELETE_CONTACT);
        assert_eq!(
            verdict.to_string(),
            "the project policy rule hint:destructive=deny"
        );
        assert_eq!(
            serde_json::to_value(&verdict).unwrap(),
            serde_json::json!({
                "decision": "deny",
                "rule": {"level": "project", "match": "hint:destructive"}
            })
        );
        let account = policy(&["group:contacts=approve"]);
        assert_eq!(
            decide(Some(&account), Some(&project), &DELETE_CONTACT).to_string(),
            "the account policy rule group:contacts=approve"
        );
        assert_eq!(
            decide(None, None, &LIST_TAGS).to_string(),
            "the default (allow)"
        );
    }
}
