use std::time::{Duration, Instant};

use frontsim::SimConfig;

use crate::common::start;

fn fresh_client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_fail_rate_answers_503_with_front_error_body() {
    let sim = start(SimConfig {
        fail_rate: 1.0,
        ..SimConfig::unlimited()
    })
    .await;
    sim.get("/me").await.expect_error(503);

    let sim = start(SimConfig {
        fail_rate: 0.5,
        ..SimConfig::unlimited()
    })
    .await;
    let mut statuses = Vec::new();
    for _ in 0..40 {
        statuses.push(sim.get("/teammates").await.status.as_u16());
    }
    assert!(
        statuses.contains(&503) && statuses.contains(&200),
        "{statuses:?}"
    );
    assert!(statuses.iter().all(|s| [200, 503].contains(s)));
}

#[tokio::test]
async fn a_drop_rate_closes_connections_mid_response_after_processing() {
    let sim = start(SimConfig {
        drop_rate: 1.0,
        ..SimConfig::unlimited()
    })
    .await;
    let client = fresh_client();
    for _ in 0..3 {
        let outcome = client
            .get(sim.url("/me"))
            .bearer_auth(&sim.token)
            .send()
            .await;
        assert!(outcome.is_err(), "the connection was dropped: {outcome:?}");
    }

    let sim = start(SimConfig {
        drop_rate: 0.5,
        ..SimConfig::unlimited()
    })
    .await;
    let client = fresh_client();
    let (mut dropped, mut answered) = (0, 0);
    for index in 0..40 {
        let outcome = client
            .post(sim.url("/tags"))
            .bearer_auth(&sim.token)
            .json(&serde_json::json!({"name": format!("dropped-{index}")}))
            .send()
            .await;
        match outcome {
            Ok(response) if response.status() == 201 => answered += 1,
            Ok(response) => panic!("unexpected {}", response.status()),
            Err(_) => dropped += 1,
        }
    }
    assert!(
        dropped > 0 && answered > 0,
        "dropped {dropped}, answered {answered}"
    );
    // Every write was processed, answered or not: only the answers were lost.
    let mut names = Vec::new();
    let mut next = Some(sim.url("/tags?limit=100"));
    while let Some(url) = next {
        let page = loop {
            if let Ok(response) = client.get(&url).bearer_auth(&sim.token).send().await
                && let Ok(body) = response.json::<serde_json::Value>().await
            {
                break body;
            }
        };
        names.extend(
            page["_results"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|t| t["name"].as_str().map(str::to_owned)),
        );
        next = page["_pagination"]["next"].as_str().map(str::to_owned);
    }
    assert_eq!(
        names.iter().filter(|n| n.starts_with("dropped-")).count(),
        40
    );
}

#[tokio::test]
async fn latency_is_added_to_every_response() {
    let sim = start(SimConfig {
        latency_ms: 150,
        ..SimConfig::unlimited()
    })
    .await;
    let started = Instant::now();
    assert_eq!(sim.get("/me").await.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(150));
}
