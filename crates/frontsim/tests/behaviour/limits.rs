use std::time::{Duration, SystemTime, UNIX_EPOCH};

use frontsim::SimConfig;

use crate::common::{encode, start};

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test]
async fn the_company_budget_counts_down_refuses_and_comes_back_after_the_window() {
    let sim = start(SimConfig {
        rpm: 3,
        window_secs: 2,
        burst: 0,
        ..SimConfig::default()
    })
    .await;
    for expected in [2, 1, 0] {
        let answer = sim.get("/me").await;
        assert_eq!(answer.status, 200);
        assert_eq!(answer.header_u64("x-ratelimit-limit"), Some(3));
        assert_eq!(answer.header_u64("x-ratelimit-remaining"), Some(expected));
        let reset = answer
            .header_u64("x-ratelimit-reset")
            .expect("x-ratelimit-reset");
        assert!(
            (now()..=now() + 3).contains(&reset),
            "reset {reset} is within the window"
        );
    }
    let refused = sim.get("/conversations").await;
    refused.expect_error(429);
    assert_eq!(refused.header_u64("x-ratelimit-remaining"), Some(0));
    let retry_after = refused.header_u64("retry-after").expect("retry-after");
    assert!((1..=2).contains(&retry_after), "retry-after {retry_after}");
    assert!(
        refused.header("x-front-tier").is_none(),
        "only burst limits name a tier"
    );
    // Refused requests do not use the budget, and waiting as told is enough.
    tokio::time::sleep(Duration::from_secs(retry_after)).await;
    let again = sim.get("/me").await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.header_u64("x-ratelimit-remaining"), Some(2));
}

#[tokio::test]
async fn search_may_use_only_forty_percent_of_the_budget() {
    let sim = start(SimConfig {
        rpm: 10,
        burst: 0,
        ..SimConfig::default()
    })
    .await;
    let search = format!("/conversations/search/{}", encode("is:open"));
    for _ in 0..4 {
        assert_eq!(sim.get(&search).await.status, 200);
    }
    let refused = sim.get(&search).await;
    refused.expect_error(429);
    assert_eq!(
        refused.header_u64("x-ratelimit-remaining"),
        Some(6),
        "the company budget is not spent"
    );
    assert!(refused.header_u64("retry-after").is_some());
    assert_eq!(sim.get("/conversations?limit=1").await.status, 200);
}

#[tokio::test]
async fn bursts_per_resource_type_get_429_with_x_front_tier() {
    let sim = start(SimConfig {
        rpm: 100,
        burst: 2,
        ..SimConfig::default()
    })
    .await;
    assert_eq!(sim.get("/tags?limit=1").await.status, 200);
    assert_eq!(sim.get("/tags?limit=2").await.status, 200);
    let refused = sim.get("/tags?limit=3").await;
    refused.expect_error(429);
    assert_eq!(refused.header("x-front-tier"), Some("tier-2"));
    assert_eq!(refused.header_u64("retry-after"), Some(1));
    assert!(refused.header_u64("x-ratelimit-remaining").unwrap() > 0);
    assert_eq!(
        sim.get("/contacts?limit=1").await.status,
        200,
        "another resource type"
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(sim.get("/tags?limit=1").await.status, 200);
}

#[tokio::test]
async fn without_a_budget_there_are_no_rate_headers_and_no_429() {
    let sim = start(SimConfig::unlimited()).await;
    for _ in 0..30 {
        let answer = sim.get("/teammates").await;
        assert_eq!(answer.status, 200);
        assert!(answer.header("x-ratelimit-limit").is_none());
    }
}
