//! `actionhub sim`: the Front simulator alone, in the foreground until Ctrl-C.

use clap::Args;
use frontsim::{SimConfig, TokenGrant};

use crate::config;
use crate::error::CliError;
use crate::output::emit;

/// The Front simulator alone: Front's API on generated data, until Ctrl-C.
///
/// Serves Front's Core API (every catalogued operation, GET /me included) at its root, with
/// Front's pagination, errors, scopes and rate limits, on one generated company: teammates,
/// inboxes, channels, tags, 500 contacts, 50 accounts, 2,000 conversations, and its teams,
/// message templates, knowledge base and the rest of its library. Prints the base URL alone on stdout (point ACTIONHUB_FRONT_BASE_URL at it) and everything
/// else on stderr: without --token, the demo token that every scope is granted to. The data is
/// generated from --seed, so the same seed always gives the same company, ids and demo token.
/// With --activity, the company also lives on its own: customers write in and teammates assign
/// and tag, leaving events in GET /events as Front would. Runs until interrupted (Ctrl-C).
#[derive(Debug, Args)]
pub struct SimArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8081")]
    bind: String,
    /// Accept this API token: TOKEN alone has every scope, TOKEN:SCOPE,SCOPE... has just those
    /// (e.g. `ci:conversations:read,tags:read`; `ci:` has none and can only call GET /me).
    /// Repeat for several tokens. Without any, one demo token with every scope is accepted.
    #[arg(long = "token", value_name = "TOKEN[:SCOPE,SCOPE...]", value_parser = parse_token)]
    tokens: Vec<TokenGrant>,
    /// Requests the company may make per window (Front plans allow 50, 100 or 200 per
    /// minute); 0 turns the budget and search's 40% share off.
    #[arg(long, value_name = "N", default_value_t = frontsim::DEFAULT_RPM)]
    rpm: u32,
    /// Length of the rate-limit window in seconds (at most a year).
    #[arg(long, value_name = "N", default_value_t = frontsim::DEFAULT_WINDOW_SECS, value_parser = clap::value_parser!(u64).range(1..=frontsim::MAX_WINDOW_SECS))]
    window_secs: u64,
    /// Requests per second per resource type (conversations, tags...) before a 429 with
    /// x-front-tier; 0 turns the burst limit off.
    #[arg(long, value_name = "N", default_value_t = frontsim::DEFAULT_BURST)]
    burst: u32,
    /// Seed of the generated data, the demo token and the fault draws.
    #[arg(long, value_name = "N", default_value_t = frontsim::DEFAULT_SEED)]
    seed: u64,
    /// Milliseconds added to every response.
    #[arg(long, value_name = "N", default_value_t = 0)]
    latency_ms: u64,
    /// Share of requests answered 503 instead of being processed, from 0 to 1.
    #[arg(long, value_name = "P", default_value_t = 0.0, value_parser = parse_rate)]
    fail_rate: f64,
    /// Share of requests processed whose connection is then closed mid-response, from 0 to 1.
    #[arg(long, value_name = "P", default_value_t = 0.0, value_parser = parse_rate)]
    drop_rate: f64,
    /// Actions per minute of the company's own people, spread over time: customers' messages
    /// (new conversations and replies), assignments and tags, each with the events Front
    /// records (type inbound, assign, tag). 0 (the default): only API calls change anything.
    #[arg(long, value_name = "N", default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=i64::from(frontsim::MAX_ACTIVITY_PER_MINUTE)))]
    activity: u32,
}

fn parse_token(spec: &str) -> Result<TokenGrant, String> {
    TokenGrant::parse(spec).map_err(|error| error.to_string())
}

fn parse_rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(rate) if (0.0..=1.0).contains(&rate) => Ok(rate),
        _ => Err(format!("`{text}` is not a number from 0 to 1")),
    }
}

pub fn run(args: &SimArgs) -> Result<(), CliError> {
    let config = SimConfig {
        seed: args.seed,
        rpm: args.rpm,
        window_secs: args.window_secs,
        burst: args.burst,
        latency_ms: args.latency_ms,
        fail_rate: args.fail_rate,
        drop_rate: args.drop_rate,
        tokens: args.tokens.clone(),
        public_url: None,
        activity_per_minute: args.activity,
    };
    config::runtime()?.block_on(async {
        let sim = frontsim::bind(config, &args.bind).await?;
        emit(sim.base_url())?;
        match sim.demo_token() {
            Some(token) => eprintln!("demo token (every scope): {token}"),
            None => eprintln!("accepting {} configured token(s)", args.tokens.len()),
        }
        let limits = if args.rpm == 0 {
            "off".to_owned()
        } else {
            format!("{} requests per {} s", args.rpm, args.window_secs)
        };
        let activity = match args.activity {
            0 => "no activity".to_owned(),
            n => format!("{n} customer actions per minute"),
        };
        eprintln!(
            "Front simulator (seed {}) listening; rate limit {limits}; {activity}; press Ctrl-C to stop",
            args.seed
        );
        tokio::signal::ctrl_c().await.map_err(CliError::Runtime)?;
        sim.shutdown().await;
        Ok(())
    })
}
