//! `actions list|show` and `scopes`: the catalogue and the scope guide on the command line.

use std::fmt::Write as _;

use actionhub_catalog::{Action, Catalog, Connector, Location, ParamStyle, Returns, Separator};
use clap::{Args, Subcommand};
use serde_json::{Value, json};

use crate::config;
use crate::error::CliError;
use crate::output::{emit, table};

/// The connector these commands describe.
const CONNECTOR: &str = "front";

#[derive(Debug, Subcommand)]
pub enum ActionsCommand {
    /// List every action: id, label, group, Front operation, scopes and risk hints; the core
    /// actions (the default face: the scope guide's default selection, MCP's default tools)
    /// come first. A summary on stderr counts the Front operations covered and names those
    /// left out, with why.
    ///
    /// With --json, prints an array of objects with the keys id, label, description, group,
    /// core, scopes, method, path, hints {read_only, destructive, idempotent}, paginated and
    /// returns (json or file).
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show one action: its group, description, inputs, example and input JSON Schema.
    ///
    /// With --json, prints an object with the keys of `actions list --json` plus
    /// param_style, input_schema and example.
    Show {
        /// The action id, e.g. front_list_conversations.
        id: String,
        /// The parameter style of the schema shown.
        #[arg(long, default_value = "nested", value_parser = parse_style)]
        param_style: ParamStyle,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct ScopesArgs {
    /// Comma-separated action ids (default: every action of the catalogue).
    #[arg(long, value_delimiter = ',', conflicts_with = "core")]
    actions: Vec<String>,
    /// Only the core actions (the seed page's 52, which the guide selects when opened without
    /// a selection).
    #[arg(long)]
    core: bool,
    /// How to separate the scopes: space, comma, semicolon, pipe or newline.
    #[arg(long, default_value = "space", value_parser = parse_separator)]
    separator: Separator,
    /// Print the Dynamic Guide URL for the selection instead of the scopes.
    #[arg(long)]
    url: bool,
    /// Where the hub is reached, for --url [default: ACTIONHUB_PUBLIC_URL, else
    /// http:// + ACTIONHUB_BIND, else http://127.0.0.1:8080].
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
}

fn parse_style(s: &str) -> Result<ParamStyle, String> {
    s.parse()
}

fn parse_separator(s: &str) -> Result<Separator, String> {
    s.parse()
}

fn front() -> &'static Connector {
    Catalog::builtin()
        .connector(CONNECTOR)
        .expect("the Front connector is built in")
}

pub fn actions(command: &ActionsCommand) -> Result<(), CliError> {
    match command {
        ActionsCommand::List { json } => {
            let actions = front().actions();
            if *json {
                let list: Vec<Value> = actions.iter().map(summary).collect();
                emit(&pretty(&Value::Array(list)))?;
            } else {
                let rows: Vec<Vec<String>> = actions
                    .iter()
                    .map(|a| {
                        vec![
                            a.id.clone(),
                            a.label.clone(),
                            a.group.clone(),
                            if a.core { "core" } else { "" }.to_owned(),
                            a.method.to_string(),
                            a.path.clone(),
                            a.scopes.join(" "),
                            hint_flags(a),
                        ]
                    })
                    .collect();
                emit(&table(
                    &[
                        "ID", "LABEL", "GROUP", "CORE", "METHOD", "PATH", "SCOPES", "HINTS",
                    ],
                    &rows,
                ))?;
                eprint!("{}", coverage(front()));
                eprintln!("HINTS: r = read-only, d = destructive, i = idempotent.");
            }
        }
        ActionsCommand::Show {
            id,
            param_style,
            json,
        } => {
            let action = front().action(id)?;
            let schema = action.input_schema(*param_style);
            if *json {
                let mut shown = summary(action);
                shown["param_style"] = json!(param_style.as_str());
                shown["input_schema"] = schema.clone();
                shown["example"] = action.example.clone();
                emit(&pretty(&shown))?;
            } else {
                emit(&describe_action(action, *param_style, schema))?;
            }
        }
    }
    Ok(())
}

/// The catalogue's reach: how many actions, how many of Front's operations they cover, and
/// every operation left out with its reason.
fn coverage(connector: &Connector) -> String {
    let actions = connector.actions();
    let mut operations: Vec<(&str, &str)> = actions
        .iter()
        .map(|a| (a.method.as_str(), a.path.as_str()))
        .collect();
    operations.sort_unstable();
    operations.dedup();
    let core = actions.iter().filter(|a| a.core).count();
    // The spec test holds that every Front operation is an action or excluded.
    let total = operations.len() + connector.excluded.len();
    let mut out = format!(
        "{} actions ({core} core) cover {} of {}'s {total} operations",
        actions.len(),
        operations.len(),
        connector.name,
    );
    if connector.excluded.is_empty() {
        out.push_str(".\n");
    } else {
        out.push_str("; left out:\n");
        for exclusion in &connector.excluded {
            let _ = writeln!(
                out,
                "  {} {}: {}",
                exclusion.method, exclusion.path, exclusion.reason
            );
        }
    }
    out
}

pub fn scopes(args: &ScopesArgs) -> Result<(), CliError> {
    let front = front();
    let selected = if args.core {
        front.core_actions()
    } else if args.actions.is_empty() {
        front.actions().iter().collect()
    } else {
        front.select(&args.actions)?
    };
    if args.url {
        // Without a selection the guide opens on its default face: the core actions. A URL
        // naming every action would say the same at a length no one can share.
        let chosen = if args.actions.is_empty() {
            &[][..]
        } else {
            &selected[..]
        };
        let base = args
            .base_url
            .clone()
            .unwrap_or_else(config::configured_public_url);
        emit(&format!(
            "{}{}",
            base.trim_end_matches('/'),
            front.guide_url(chosen)
        ))
    } else {
        let scopes = front.scopes_for(&selected);
        emit(&args.separator.join(scopes.iter().map(|s| s.name.as_str())))
    }
}

/// The stable JSON summary of an action shared by `list --json` and `show --json`.
fn summary(action: &Action) -> Value {
    json!({
        "id": action.id,
        "label": action.label,
        "description": action.description,
        "group": action.group,
        "core": action.core,
        "scopes": action.scopes,
        "method": action.method.as_str(),
        "path": action.path,
        "hints": {
            "read_only": action.hints.read_only,
            "destructive": action.hints.destructive,
            "idempotent": action.hints.idempotent,
        },
        "paginated": action.is_paginated(),
        "returns": action.returns,
    })
}

fn hint_flags(action: &Action) -> String {
    [
        (action.hints.read_only, 'r'),
        (action.hints.destructive, 'd'),
        (action.hints.idempotent, 'i'),
    ]
    .iter()
    .map(|(on, flag)| if *on { *flag } else { '-' })
    .collect()
}

fn describe_action(action: &Action, style: ParamStyle, schema: &Value) -> String {
    let mut out = String::new();
    let hints = format!(
        "read-only {}, destructive {}, idempotent {}",
        yes_no(action.hints.read_only),
        yes_no(action.hints.destructive),
        yes_no(action.hints.idempotent)
    );
    let _ = writeln!(out, "{}  ({})", action.id, action.label);
    let face = if action.core {
        "core: selected by the scope guide and listed by MCP by default"
    } else {
        "not core: MCP lists it with toolset=all or its group"
    };
    let _ = writeln!(out, "Group:           {} — {face}", action.group);
    let _ = writeln!(out, "Front operation: {} {}", action.method, action.path);
    let _ = writeln!(out, "Scopes:          {}", action.scopes.join(" "));
    let _ = writeln!(out, "Hints:           {hints}");
    let returns = match action.returns {
        Returns::Json => "JSON",
        Returns::File => "a file's bytes (an attachment download)",
    };
    let _ = writeln!(out, "Returns:         {returns}");
    let _ = writeln!(out, "\n{}\n", action.description);
    let rows: Vec<Vec<String>> = Location::ALL
        .into_iter()
        .flat_map(|location| {
            action.fields(location).iter().map(move |(name, field)| {
                vec![
                    location.as_str().to_owned(),
                    name.clone(),
                    field.ty.as_str().to_owned(),
                    if field.required { "yes" } else { "" }.to_owned(),
                    field.description.clone().unwrap_or_default(),
                ]
            })
        })
        .collect();
    if rows.is_empty() {
        out.push_str("Inputs: none\n");
    } else {
        out.push_str(&table(
            &["IN", "NAME", "TYPE", "REQUIRED", "DESCRIPTION"],
            &rows,
        ));
    }
    let _ = writeln!(
        out,
        "\nExample input (nested):\n{}",
        pretty(&action.example)
    );
    let _ = write!(out, "\nInput schema ({style}):\n{}", pretty(schema));
    out
}

fn yes_no(flag: bool) -> &'static str {
    if flag { "yes" } else { "no" }
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).expect("JSON values serialise")
}
