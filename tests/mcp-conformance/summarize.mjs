// Reads the conformance suite's results (one `server-<scenario>-<time>/checks.json` per scenario,
// written by `conformance server -o DIR`) and prints a Markdown table: each scenario, whether it
// passed, and for the scenarios that do not apply to actionhub, why.
//
// A scenario passes when none of its checks is a FAILURE. Exits 1 when a scenario that applies
// (APPLIES below) failed or did not run, so the test script fails.
//
// Usage: node summarize.mjs RESULTS_DIR
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

// What /mcp must pass: it serves tools (and ping) over stateless streamable HTTP.
const APPLIES = new Set([
  "server-initialize",
  "ping",
  "tools-list",
  "tools-call-error",
  "dns-rebinding-protection",
]);

// Why the others do not apply: they call the suite's own test fixtures or features actionhub
// does not offer.
const WHY_NOT = [
  [/^(tools-call-|elicitation-)/, "calls the suite's own test tool (test_…), which is not a Front action"],
  [/^(logging-set-level)$/, "actionhub declares no logging capability"],
  [/^completion-complete$/, "actionhub declares no completions capability"],
  [/^(resources|prompts)-/, "actionhub offers tools only, no resources or prompts"],
  [/^server-sse-/, "checks session streams; /mcp is stateless (no Mcp-Session-Id), as StackOne's is"],
];

const dir = process.argv[2];
const rows = [];
for (const entry of readdirSync(dir).sort()) {
  const match = entry.match(/^server-(.+)-\d{4}-\d{2}-\d{2}T/);
  if (!match) continue;
  const scenario = match[1];
  let checks;
  try {
    checks = JSON.parse(readFileSync(join(dir, entry, "checks.json"), "utf8"));
  } catch {
    checks = [];
  }
  const failed = checks.filter((check) => check.status === "FAILURE");
  const warned = checks.some((check) => check.status === "WARNING");
  const passed = checks.length > 0 && failed.length === 0;
  const applies = APPLIES.has(scenario);
  let note = applies ? "applies" : WHY_NOT.find(([re]) => re.test(scenario))?.[1] ?? "does not apply";
  if (!passed && failed.length > 0 && applies) note = failed.map((c) => `${c.id}: ${c.errorMessage ?? ""}`).join("; ");
  rows.push({ scenario, passed, warned, applies, note });
}

console.log("| scenario | result | applies to actionhub |");
console.log("|---|---|---|");
for (const row of rows) {
  console.log(`| \`${row.scenario}\` | ${row.passed ? (row.warned ? "pass (warning)" : "pass") : "fail"} | ${row.note} |`);
}
const missing = [...APPLIES].filter((name) => !rows.some((row) => row.scenario === name));
const broken = rows.filter((row) => row.applies && !row.passed);
const applicablePassed = rows.filter((row) => row.applies && row.passed).length;
console.log(
  `\n${applicablePassed} of ${APPLIES.size} applicable scenarios pass; ` +
    `${rows.filter((row) => row.passed).length} of ${rows.length} scenarios pass in all.`,
);
if (missing.length > 0) console.log(`did not run: ${missing.join(", ")}`);
if (missing.length > 0 || broken.length > 0) process.exit(1);
