//! `actionhub run` (run one action in-process, through the same path as `/actions/rpc`) and
//! `actionhub runs` (the run log).

use std::collections::HashSet;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use actionhub_catalog::{
    Action, Catalog, FieldType, Location, NEXT_CURSOR_FIELD, ParamStyle, Returns,
};
use actionhub_server::AppState;
use actionhub_server::execution::{ActionRequest, ActionResponse, RunSource, run_action};
use actionhub_store::RunFilter;
use clap::Args;
use serde_json::{Map, Value};

use crate::config::{self, DatabaseArgs};
use crate::error::CliError;
use crate::keys::{DEFAULT_PROJECT, non_empty};
use crate::output::{emit, table};

/// Run one action for a linked account, as `POST /actions/rpc` would.
///
/// Runs in this process against the configured database and Front (ACTIONHUB_FRONT_BASE_URL),
/// paced per Front company (shared through ACTIONHUB_REDIS_URL when set) and recorded in the
/// run log. Prints `data` (pretty JSON), or with --json the whole answer on one line
/// (`{"data": …, "next": …}`). A next-page cursor is announced on stderr; pass it back with
/// --query next=CURSOR, or use --all-pages. An action that returns a file (the
/// front_download_* actions) writes it to --output FILE, or without --output prints it as
/// `/actions/rpc` answers it: `{"filename", "content_type", "size", "content_base64"}`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The action id, e.g. front_list_conversations (see `actionhub actions list`).
    action: String,
    /// The linked account to run it for (acc_…).
    #[arg(long, value_name = "ID")]
    account: String,
    /// A path parameter, e.g. --path conversation_id=cnv_123 (repeatable).
    #[arg(long = "path", value_name = "KEY=VALUE")]
    path: Vec<String>,
    /// A query parameter, e.g. --query limit=25 (repeatable). Values of non-string fields are
    /// read as JSON: --query 'q={"statuses":["assigned"]}'.
    #[arg(long = "query", value_name = "KEY=VALUE")]
    query: Vec<String>,
    /// The JSON body, e.g. --body '{"name":"VIP"}'. Files (`attachments`, `avatar`) go in it
    /// as {"filename", "content_type", "content_base64"} and are sent as a multipart upload.
    #[arg(long, value_name = "JSON")]
    body: Option<String>,
    /// Follow `next` to the end, streaming every item (JSON Lines with --json); a progress line
    /// goes to stderr when it is a terminal.
    #[arg(long)]
    all_pages: bool,
    /// Validate and print the Front request (token redacted) without sending it.
    #[arg(long)]
    dry_run: bool,
    /// Print machine-readable JSON on one line.
    #[arg(long)]
    json: bool,
    /// For an action that returns a file: write the file's bytes to FILE (replacing it if it
    /// exists); its path, name, media type and size go to stderr.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Make a retried write safe: a repeat with the same key gets the first result.
    #[arg(long, value_name = "KEY")]
    idempotency_key: Option<String>,
    /// The project (tenant) the account belongs to.
    #[arg(long, value_name = "NAME", default_value = DEFAULT_PROJECT)]
    project: String,
    #[command(flatten)]
    database: DatabaseArgs,
}

/// Show the run log: the most recent executions of actions, newest first.
#[derive(Debug, Args)]
pub struct RunsArgs {
    /// Only this account's runs.
    #[arg(long, value_name = "ID")]
    account: Option<String>,
    /// How many runs to show (1–1000).
    #[arg(long, value_name = "N", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=1000))]
    limit: u32,
    /// Print a JSON array.
    #[arg(long)]
    json: bool,
    /// The project whose runs to show.
    #[arg(long, value_name = "NAME", default_value = DEFAULT_PROJECT)]
    project: String,
    #[command(flatten)]
    database: DatabaseArgs,
}

pub fn run(args: &RunArgs) -> Result<(), CliError> {
    config::init_logging("warn");
    let action = Catalog::builtin().action(&args.action)?;
    if args.output.is_some() && action.returns != Returns::File {
        return Err(CliError::Config(format!(
            "--output is for actions that return a file (front_download_*); {} returns JSON",
            action.id
        )));
    }
    let mut input = input(action, args)?;
    config::runtime()?.block_on(async {
        let store = config::open_store(&args.database).await?;
        let front = config::front_client(config::max_answer_mb()?).await?;
        let state = AppState::new(store.clone(), front, &config::configured_public_url());
        let project = store
            .project(&non_empty("--project", &args.project)?)
            .await?;
        let mut progress = Progress::new(args.all_pages);
        let mut followed = FollowedCursors::default();
        if let Some(given) = input
            .pointer(&format!("/query/{NEXT_CURSOR_FIELD}"))
            .and_then(Value::as_str)
        {
            followed.first_time(given);
        }
        // The key covers the first request: later pages are other requests.
        let mut idempotency_key = args.idempotency_key.as_deref();
        let outcome = async {
            loop {
                let request = ActionRequest {
                    project_id: &project.id,
                    account_id: &args.account,
                    action_id: &action.id,
                    style: ParamStyle::Nested,
                    input: input.clone(),
                    idempotency_key: idempotency_key.take(),
                    dry_run: args.dry_run,
                    source: RunSource::Cli,
                    api_key_id: None,
                };
                let response =
                    run_action(&state, request)
                        .await
                        .map_err(|error| CliError::Run {
                            action: action.id.clone(),
                            error,
                        })?;
                if let ActionResponse::Held(held) = response {
                    return Err(CliError::Held {
                        action: action.id.clone(),
                        approval: held.approval,
                    });
                }
                let next = response.next().map(str::to_owned);
                if !args.all_pages {
                    print_one(&response, args)?;
                    if let Some(next) = next {
                        eprintln!("more: --query next={next}  (or --all-pages)");
                    }
                    return Ok(());
                }
                progress.page(&response, args)?;
                let Some(next) = next else {
                    return Ok(());
                };
                if !followed.first_time(&next) {
                    return Err(CliError::RepeatedCursor {
                        action: action.id.clone(),
                        pages: progress.pages,
                    });
                }
                set_cursor(&mut input, next);
            }
        }
        .await;
        progress.finish(args.json)?;
        state.run_log.flush().await;
        store.close().await;
        outcome
    })
}

/// The nested input from the flags.
fn input(action: &Action, args: &RunArgs) -> Result<Value, CliError> {
    let mut input = Map::new();
    let mut path = Map::new();
    for pair in &args.path {
        let (key, value) = split_pair("--path", pair)?;
        path.insert(key.to_owned(), Value::String(value.to_owned()));
    }
    let mut query = Map::new();
    for pair in &args.query {
        let (key, value) = split_pair("--query", pair)?;
        let is_text = key == NEXT_CURSOR_FIELD
            || action
                .fields(Location::Query)
                .get(key)
                .is_none_or(|field| field.ty == FieldType::String);
        let value = if is_text {
            Value::String(value.to_owned())
        } else {
            serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_owned()))
        };
        query.insert(key.to_owned(), value);
    }
    if !path.is_empty() {
        input.insert("path".into(), Value::Object(path));
    }
    if !query.is_empty() {
        input.insert("query".into(), Value::Object(query));
    }
    if let Some(body) = &args.body {
        let body: Value = serde_json::from_str(body)
            .map_err(|error| CliError::Config(format!("--body is not JSON: {error}")))?;
        input.insert("body".into(), body);
    }
    Ok(Value::Object(input))
}

fn split_pair<'a>(flag: &str, pair: &'a str) -> Result<(&'a str, &'a str), CliError> {
    pair.split_once('=')
        .filter(|(key, _)| !key.is_empty())
        .ok_or_else(|| CliError::Config(format!("{flag} takes KEY=VALUE, got `{pair}`")))
}

fn set_cursor(input: &mut Value, next: String) {
    if let Value::Object(map) = input {
        let query = map
            .entry("query")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(query) = query {
            query.insert(NEXT_CURSOR_FIELD.to_owned(), Value::String(next));
        }
    }
}

fn print_one(response: &ActionResponse, args: &RunArgs) -> Result<(), CliError> {
    if let (ActionResponse::File(file), Some(path)) = (response, &args.output) {
        std::fs::write(path, &file.bytes).map_err(|error| {
            CliError::Config(format!("cannot write {}: {error}", path.display()))
        })?;
        eprintln!(
            "wrote {} ({}, {}, {} bytes)",
            path.display(),
            file.filename,
            file.content_type,
            file.size()
        );
        return Ok(());
    }
    let text = if args.json {
        response.json_text()
    } else {
        match response {
            ActionResponse::Data { data, .. } => serde_json::from_slice::<Value>(data.as_bytes())
                .and_then(|value| serde_json::to_string_pretty(&value)),
            // `data` as `/actions/rpc` writes it: the file's name, type, size and base64.
            ActionResponse::File(_) => response
                .json_text()
                .and_then(|text| serde_json::from_str::<Value>(&text))
                .and_then(|answer| serde_json::to_string_pretty(&answer["data"])),
            ActionResponse::DryRun(shown) => serde_json::to_string_pretty(shown),
            ActionResponse::Held(held) => serde_json::to_string_pretty(held),
        }
    };
    emit(&text.map_err(|error| CliError::Config(format!("cannot print the answer: {error}")))?)
}

/// The cursors an --all-pages run has followed: a `next` that comes back would make it loop
/// forever, fetching the same pages again.
#[derive(Debug, Default)]
struct FollowedCursors(HashSet<String>);

impl FollowedCursors {
    /// Records `cursor`; false when it was followed before.
    fn first_time(&mut self, cursor: &str) -> bool {
        self.0.insert(cursor.to_owned())
    }
}

/// Streams the items of every page, and shows how far it got on a terminal's stderr.
struct Progress {
    show: bool,
    pages: u64,
    items: u64,
}

impl Progress {
    fn new(all_pages: bool) -> Progress {
        Progress {
            show: all_pages && std::io::stderr().is_terminal(),
            pages: 0,
            items: 0,
        }
    }

    fn page(&mut self, response: &ActionResponse, args: &RunArgs) -> Result<(), CliError> {
        let json = args.json;
        let ActionResponse::Data { data, .. } = response else {
            return print_one(response, args);
        };
        let items = match serde_json::from_slice::<Value>(data.as_bytes()) {
            Ok(Value::Array(items)) => items,
            Ok(other) => vec![other],
            Err(error) => return Err(CliError::Config(format!("cannot read the answer: {error}"))),
        };
        let mut stdout = std::io::stdout().lock();
        for item in &items {
            let text = if json {
                serde_json::to_string(item)
            } else {
                serde_json::to_string_pretty(item).map(|text| {
                    let separator = if self.items == 0 { "[\n" } else { ",\n" };
                    format!("{separator}{text}")
                })
            }
            .map_err(|error| CliError::Config(format!("cannot print an item: {error}")))?;
            if json {
                writeln!(stdout, "{text}").map_err(CliError::Output)?;
            } else {
                write!(stdout, "{text}").map_err(CliError::Output)?;
            }
            self.items += 1;
        }
        stdout.flush().map_err(CliError::Output)?;
        self.pages += 1;
        if self.show {
            eprint!("\r\x1b[2Kpage {} · {} items", self.pages, self.items);
        }
        Ok(())
    }

    fn finish(&self, json: bool) -> Result<(), CliError> {
        if self.show {
            eprintln!();
        }
        if self.pages > 0 && !json {
            emit(if self.items == 0 { "[]" } else { "\n]" })?;
        }
        Ok(())
    }
}

pub fn runs(args: &RunsArgs) -> Result<(), CliError> {
    config::init_logging("warn");
    config::runtime()?.block_on(async {
        let store = config::open_store(&args.database).await?;
        let project = store
            .project(&non_empty("--project", &args.project)?)
            .await?;
        let filter = RunFilter {
            account_id: args.account.clone(),
            limit: args.limit,
        };
        let runs = store.list_runs(&project.id, &filter).await?;
        store.close().await;
        if args.json {
            let text = serde_json::to_string_pretty(&runs)
                .map_err(|error| CliError::Config(error.to_string()))?;
            return emit(&text);
        }
        if runs.is_empty() {
            eprintln!("no runs yet in project {}", project.name);
            return Ok(());
        }
        let rows: Vec<Vec<String>> = runs
            .iter()
            .map(|run| {
                vec![
                    run.started_at.to_string(),
                    run.action.clone(),
                    run.account_id.clone(),
                    run.source.clone(),
                    run.outcome.clone(),
                    run.front_status
                        .map_or_else(|| "-".to_owned(), |s| s.to_string()),
                    format!("{:.1}", run.duration_us as f64 / 1000.0),
                    run.retries.to_string(),
                    run.waited_ms.to_string(),
                    run.error.clone().unwrap_or_default(),
                ]
            })
            .collect();
        emit(&table(
            &[
                "STARTED",
                "ACTION",
                "ACCOUNT",
                "SOURCE",
                "OUTCOME",
                "FRONT",
                "MS",
                "RETRIES",
                "WAITED_MS",
                "ERROR",
            ],
            &rows,
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_followed_before_is_caught_however_far_back() {
        let mut followed = FollowedCursors::default();
        for cursor in ["a", "b", "c"] {
            assert!(followed.first_time(cursor), "{cursor}");
        }
        assert!(!followed.first_time("c"), "the same cursor again");
        assert!(!followed.first_time("a"), "a longer cycle");
        assert!(followed.first_time("d"));
    }
}
