//! The dashboard's approvals and policy pages against a hub and the Front simulator: a call a
//! project policy holds is approved from its page and runs once; a second decision is refused
//! with a clear message; forms need the session and its CSRF token; another project's approval
//! is not found; the Policy page lists the rules and edits the project's.

mod common;

use std::time::Duration;

use actionhub_catalog::Catalog;
use actionhub_server::linking::Owner;
use actionhub_store::{ApprovalStatus, NewApproval, Policy, Timestamp};
use common::{Served, link_front_account, serve_hub};
use reqwest::StatusCode;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

/// How long a test waits for something that must happen, before failing instead of hanging.
const PATIENCE: Duration = Duration::from_secs(60);

struct Dashboard {
    hub: Served,
    project_id: String,
    key: String,
    account_id: String,
    http: reqwest::Client,
    _sim: frontsim::RunningSim,
}

impl Dashboard {
    /// A hub on the simulator with one linked account and the project policy `rules`.
    async fn start(rules: &[&str]) -> Dashboard {
        let sim = frontsim::bind(frontsim::SimConfig::unlimited(), "127.0.0.1:0")
            .await
            .unwrap();
        let hub = serve_hub(sim.base_url()).await;
        let project = hub.store.project("default").await.unwrap();
        let (_, key) = hub.store.create_api_key(&project, "ops").await.unwrap();
        let owner = Owner {
            id: "cust-1".into(),
            name: "Customer One".into(),
        };
        let account = link_front_account(
            &hub.store,
            &hub.front,
            &project.id,
            sim.demo_token().unwrap(),
            Some(owner),
        )
        .await;
        let policy = Policy {
            rules: rules.iter().map(|rule| rule.parse().unwrap()).collect(),
        };
        hub.store
            .put_project_policy(&project.id, &policy)
            .await
            .unwrap();
        Dashboard {
            hub,
            project_id: project.id,
            key: key.expose_secret().to_owned(),
            account_id: account.id,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            _sim: sim,
        }
    }

    /// `POST /actions/rpc` with the action's catalogue example as input.
    async fn rpc_example(&self, action_id: &str) -> (StatusCode, Value) {
        let action = Catalog::builtin().action(action_id).unwrap();
        let mut body = action.example.clone();
        body["action"] = json!(action_id);
        let response = self
            .http
            .post(format!("{}/actions/rpc", self.hub.url))
            .basic_auth(&self.key, Some(""))
            .header("x-account-id", &self.account_id)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn page(&self, path: &str, cookie: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.hub.url))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap()
    }

    async fn form(&self, path: &str, cookie: &str, body: &str) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.hub.url))
            .header("cookie", cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_owned())
            .send()
            .await
            .unwrap()
    }

    /// Signs in with the project's key, as a browser does; returns the session cookie.
    async fn sign_in(&self) -> String {
        let form = self.page("/dashboard/sign-in", "").await;
        let pre_session = cookie_of(&form, "actionhub_sign_in");
        let csrf = csrf_of(&form.text().await.unwrap());
        let signed_in = self
            .form(
                "/dashboard/sign-in",
                &pre_session,
                &format!("api_key={}&csrf={csrf}", self.key),
            )
            .await;
        assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
        cookie_of(&signed_in, "actionhub_session")
    }

    async fn status_of(&self, approval_id: &str) -> ApprovalStatus {
        self.hub
            .store
            .approval(&self.project_id, approval_id)
            .await
            .unwrap()
            .status
    }

    /// How many times the run log saw `action_id` run as an approved call (the held call is
    /// logged too, from its RPC source).
    async fn approved_runs_of(&self, action_id: &str) -> usize {
        let runs: Value = self
            .http
            .get(format!("{}/runs?limit=1000", self.hub.url))
            .basic_auth(&self.key, Some(""))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        runs["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|run| run["action"] == action_id && run["source"] == "approval")
            .count()
    }
}

/// The value of `name="csrf"` in a page's first form.
fn csrf_of(html: &str) -> String {
    let at = html.find("name=\"csrf\"").expect("a CSRF field");
    let value = &html[at..];
    let start = value.find("value=\"").unwrap() + "value=\"".len();
    value[start..start + value[start..].find('"').unwrap()].to_owned()
}

/// `name=value` of the `Set-Cookie` header for cookie `name`.
fn cookie_of(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with(&format!("{name}=")))
        .and_then(|value| value.split(';').next())
        .expect("the cookie")
        .to_owned()
}

#[tokio::test]
async fn an_approval_approved_on_its_page_runs_once_and_cannot_be_decided_again() {
    let dash = Dashboard::start(&["hint:destructive=approve"]).await;
    let (status, held) = dash.rpc_example("front_delete_contact").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{held}");
    let id = held["approval"]["id"].as_str().unwrap().to_owned();
    let path = format!("/dashboard/approvals/{id}");
    assert_eq!(
        held["approval"]["approve_url"],
        json!(format!("{}{path}", dash.hub.url))
    );
    let approve = format!("{path}/approve");

    // Signed out: the page and its form lead to the sign-in, and nothing is decided.
    let anonymous = dash.page(&path, "").await;
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
    assert_eq!(anonymous.headers()["location"], "/dashboard/sign-in");
    let anonymous = dash.form(&approve, "", "csrf=x").await;
    assert_eq!(anonymous.headers()["location"], "/dashboard/sign-in");

    let session = dash.sign_in().await;
    let list = dash.page("/dashboard/approvals", &session).await;
    assert_eq!(list.status(), StatusCode::OK);
    let list = list.text().await.unwrap();
    assert!(list.contains(&path), "the list links the approval");
    assert!(list.contains("1 pending"), "the navigation counts it");

    let page = dash.page(&path, &session).await;
    assert_eq!(page.status(), StatusCode::OK);
    let csp = page.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let html = page.text().await.unwrap();
    let example = &Catalog::builtin()
        .action("front_delete_contact")
        .unwrap()
        .example;
    let contact_id = example["path"]["contact_id"].as_str().unwrap();
    for shown in [
        "front_delete_contact",
        &format!("DELETE /contacts/{contact_id}"),
        contact_id,
        "destructive",
        "API key",
        &approve,
    ] {
        assert!(html.contains(shown), "`{shown}` is not on the page: {html}");
    }

    // Without the session's CSRF token (another site's form) nothing is decided.
    let forged = dash.form(&approve, &session, "csrf=forged").await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(dash.status_of(&id).await, ApprovalStatus::Pending);

    let csrf = csrf_of(&html);
    let approved = dash.form(&approve, &session, &format!("csrf={csrf}")).await;
    assert_eq!(approved.status(), StatusCode::SEE_OTHER);
    assert_eq!(approved.headers()["location"], path.as_str());

    // The run is the hub's own task: wait for it to finish, then the page shows its result.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while dash.status_of(&id).await != ApprovalStatus::Succeeded {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the approved call did not succeed: {:?}",
            dash.status_of(&id).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let html = dash.page(&path, &session).await.text().await.unwrap();
    assert!(
        html.contains("data-approval-status=\"succeeded\""),
        "{html}"
    );
    assert!(html.contains("Approved by"), "{html}");
    assert!(html.contains("data-approval-result-status"), "{html}");
    assert!(!html.contains(&approve), "no buttons once decided");

    // A second Approve (a double submit, or another approver) is refused and runs nothing.
    let again = dash.form(&approve, &session, &format!("csrf={csrf}")).await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    let again = again.text().await.unwrap();
    assert!(again.contains("already succeeded"), "{again}");
    assert_eq!(dash.approved_runs_of("front_delete_contact").await, 1);
    assert_eq!(dash.status_of(&id).await, ApprovalStatus::Succeeded);
}

#[tokio::test]
async fn a_rejected_approval_shows_the_reason_and_other_projects_approvals_are_not_found() {
    let dash = Dashboard::start(&["front_delete_contact=approve"]).await;
    let (status, held) = dash.rpc_example("front_delete_contact").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{held}");
    let id = held["approval"]["id"].as_str().unwrap().to_owned();
    let path = format!("/dashboard/approvals/{id}");
    let session = dash.sign_in().await;
    let csrf = csrf_of(&dash.page(&path, &session).await.text().await.unwrap());

    let rejected = dash
        .form(
            &format!("{path}/reject"),
            &session,
            &format!("csrf={csrf}&reason=%3Cscript%3Enot+today%3C%2Fscript%3E"),
        )
        .await;
    assert_eq!(rejected.status(), StatusCode::SEE_OTHER);
    assert_eq!(dash.status_of(&id).await, ApprovalStatus::Rejected);
    let html = dash.page(&path, &session).await.text().await.unwrap();
    assert!(html.contains("Rejected by"), "{html}");
    assert!(
        html.contains("&lt;script&gt;not today&lt;/script&gt;"),
        "{html}"
    );
    let late = dash
        .form(
            &format!("{path}/approve"),
            &session,
            &format!("csrf={csrf}"),
        )
        .await;
    assert_eq!(late.status(), StatusCode::CONFLICT);
    assert!(late.text().await.unwrap().contains("already rejected"));
    assert_eq!(dash.approved_runs_of("front_delete_contact").await, 0);

    // Pending past its expiry (before the worker's sweep): shown expired, and refused.
    let stale = dash
        .hub
        .store
        .request_approval(
            &dash.project_id,
            &NewApproval {
                account_id: dash.account_id.clone(),
                action_id: "front_delete_contact".into(),
                input: json!({"path": {"contact_id": "crd_stale"}}),
                requested_by: "cli".into(),
                expires_at: Timestamp::now().plus_seconds(-1),
            },
        )
        .await
        .unwrap()
        .approval;
    let stale_path = format!("/dashboard/approvals/{}", stale.id);
    let html = dash.page(&stale_path, &session).await.text().await.unwrap();
    assert!(html.contains("data-approval-status=\"expired\""), "{html}");
    assert!(!html.contains(&format!("{stale_path}/approve")));
    let list = dash.page("/dashboard/approvals", &session).await;
    let list = list.text().await.unwrap();
    assert!(
        list.contains("Nothing is waiting for a decision."),
        "{list}"
    );
    let late = dash
        .form(
            &format!("{stale_path}/approve"),
            &session,
            &format!("csrf={csrf}"),
        )
        .await;
    assert_eq!(late.status(), StatusCode::CONFLICT);
    assert!(late.text().await.unwrap().contains("expired"));

    // Unknown ids and another project's approval: the dashboard's 404, nothing decided.
    let other = dash.hub.store.project("other").await.unwrap();
    let foreign = dash
        .hub
        .store
        .request_approval(
            &other.id,
            &NewApproval {
                account_id: "acc_other".into(),
                action_id: "front_delete_contact".into(),
                input: json!({"path": {"contact_id": "crd_1"}}),
                requested_by: "cli".into(),
                expires_at: Timestamp::now().plus_seconds(600),
            },
        )
        .await
        .unwrap()
        .approval;
    for id in ["apr_unknown", foreign.id.as_str()] {
        let page = dash
            .page(&format!("/dashboard/approvals/{id}"), &session)
            .await;
        assert_eq!(page.status(), StatusCode::NOT_FOUND, "{id}");
        let decided = dash
            .form(
                &format!("/dashboard/approvals/{id}/approve"),
                &session,
                &format!("csrf={csrf}"),
            )
            .await;
        assert_eq!(decided.status(), StatusCode::NOT_FOUND, "{id}");
    }
    let foreign_now = dash
        .hub
        .store
        .approval(&other.id, &foreign.id)
        .await
        .unwrap();
    assert_eq!(foreign_now.status, ApprovalStatus::Pending);
}

#[tokio::test]
async fn the_policy_page_lists_the_project_and_account_rules() {
    let dash = Dashboard::start(&["hint:destructive=approve", "group:tags=deny"]).await;
    let account_policy = Policy {
        rules: vec!["front_delete_contact=allow".parse().unwrap()],
    };
    dash.hub
        .store
        .put_account_policy(&dash.project_id, &dash.account_id, &account_policy)
        .await
        .unwrap();
    let anonymous = dash.page("/dashboard/policy", "").await;
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);

    let session = dash.sign_in().await;
    let page = dash.page("/dashboard/policy", &session).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    for shown in [
        "<code>hint:destructive</code>",
        "<code>group:tags</code>",
        "decision-deny",
        "<code>front_delete_contact</code>",
        "decision-allow",
        "Customer One",
        dash.account_id.as_str(),
    ] {
        assert!(html.contains(shown), "`{shown}` is not on the page: {html}");
    }

    // The project's rules edited as text: refused line by line, saved whole, or removed.
    let csrf = csrf_of(&html);
    let project_rules = || async {
        dash.hub
            .store
            .project_policy(&dash.project_id)
            .await
            .unwrap()
            .map(|policy| {
                policy
                    .rules
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
            })
    };
    let before = project_rules().await;
    let forged = dash
        .form("/dashboard/policy", &session, "csrf=forged&rules=*%3Ddeny")
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let refused = dash
        .form(
            "/dashboard/policy",
            &session,
            &format!("csrf={csrf}&rules=*%3Ddeny%0Ahint%3Anope%3Dallow%0A%0Agroup%3Atags%3Dmaybe"),
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused = refused.text().await.unwrap();
    assert!(
        refused.contains("line 2: `hint:nope` is not a selector"),
        "{refused}"
    );
    assert!(
        refused.contains("line 4: `maybe` is not a decision"),
        "{refused}"
    );
    assert_eq!(project_rules().await, before, "nothing saved");

    let saved = dash
        .form(
            "/dashboard/policy",
            &session,
            &format!("csrf={csrf}&rules=hint%3Asends%3Dapprove%0D%0A*%3Dallow%0D%0A"),
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        project_rules().await,
        Some(vec!["hint:sends=approve".to_owned(), "*=allow".to_owned()])
    );
    let cleared = dash
        .form(
            "/dashboard/policy",
            &session,
            &format!("csrf={csrf}&rules="),
        )
        .await;
    assert_eq!(cleared.status(), StatusCode::SEE_OTHER);
    assert_eq!(project_rules().await, None);
}
