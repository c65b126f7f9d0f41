// Browser tests of the Hub pages, as an end user and a developer use them: headless Chromium
// (Debian's package) driven by playwright-core, against a real hub and the Front simulator.
// Screenshots of every page at 1280 px and 360 px go to ARTIFACTS_DIR (default artifacts/).
//
// Run through scripts/test-browser.sh, which installs Chromium and the npm packages and builds
// the binary.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { createServer } from "node:net";
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const REPO = resolve(import.meta.dirname, "../..");
const BIN = process.env.ACTIONHUB_BIN || join(REPO, "target/debug/actionhub");
const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const SHOTS = join(resolve(process.env.ARTIFACTS_DIR || join(REPO, "artifacts")), "screenshots");
const WIDTHS = [1280, 360];

const children = [];
let dataDir;
let env;
let hubUrl;
let simToken;
let browser;

function freePort() {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

/** Starts a long-running command and resolves with its first stdout line. */
function start(args, extraEnv) {
  return new Promise((done, fail) => {
    const child = spawn(BIN, args, { env: { ...process.env, ...extraEnv }, stdio: ["ignore", "pipe", "pipe"] });
    children.push(child);
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const line = out.split("\n")[0];
      if (out.includes("\n")) done({ child, line: line.trim(), stderr: () => err });
    });
    child.stderr.on("data", (chunk) => { err += chunk; });
    child.once("exit", (code) => fail(new Error(`${args.join(" ")} exited with ${code}: ${err}`)));
  });
}

/** Runs a CLI command against the test hub's database; returns stdout without the newline. */
function cli(...args) {
  return execFileSync(BIN, args, { env, encoding: "utf8" }).trim();
}

async function waitForHealth(url) {
  for (let i = 0; i < 100; i += 1) {
    try {
      const response = await fetch(`${url}/healthz`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((wake) => setTimeout(wake, 100));
  }
  throw new Error(`the hub at ${url} did not become healthy`);
}

async function newPage(width = 1280, options = {}) {
  const context = await browser.newContext({ viewport: { width, height: 900 }, ...options });
  return context.newPage();
}

async function screenshot(page, name) {
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: join(SHOTS, `${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

/** Runs axe-core on a page and fails on any serious or critical violation. */
async function assertAccessible(url, setUp) {
  const page = await newPage(1280, { bypassCSP: true });
  await page.goto(url);
  if (setUp) await setUp(page);
  await page.addScriptTag({ content: AXE_SOURCE });
  const results = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(
    bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join("; ")})`),
    [],
    `accessibility violations on ${url}`,
  );
  await page.context().close();
}

async function accountsCount(key) {
  const response = await fetch(`${hubUrl}/accounts?page_size=100`, {
    headers: { authorization: "Basic " + Buffer.from(`${key}:`).toString("base64") },
  });
  assert.equal(response.status, 200);
  return (await response.json()).length;
}

/** Signs `page` in to the dashboard with `key`. */
async function signIn(page, key) {
  await page.goto(`${hubUrl}/dashboard/sign-in`);
  await page.getByLabel("API key").fill(key);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${hubUrl}/dashboard`);
}

function connectLink(owner, project = "default", extra = []) {
  return cli("connect-link", "--owner-id", owner, "--owner-name", `${owner} Inc`, "--project", project, ...extra);
}

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  dataDir = mkdtempSync(join(tmpdir(), "actionhub-browser-"));
  simToken = "browser-test-token";
  const sim = await start(["sim", "--bind", "127.0.0.1:0", "--rpm", "0", "--burst", "0", "--token", simToken], {});
  const port = await freePort();
  hubUrl = `http://127.0.0.1:${port}`;
  env = {
    ...process.env,
    ACTIONHUB_DATA_DIR: dataDir,
    ACTIONHUB_DATABASE_URL: `sqlite://${join(dataDir, "hub.db")}`,
    ACTIONHUB_FRONT_BASE_URL: sim.line,
    ACTIONHUB_PUBLIC_URL: hubUrl,
    RUST_LOG: "warn",
  };
  // The first command creates the database and its key file; serve then opens the same ones.
  cli("keys", "list");
  const hub = spawn(BIN, ["serve", "--bind", `127.0.0.1:${port}`], { env, stdio: ["ignore", "ignore", "inherit"] });
  children.push(hub);
  await waitForHealth(hubUrl);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  await browser?.close();
  for (const child of children) child.kill("SIGTERM");
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe("linking an account from a connect link", () => {
  test("a good token links the account, which then shows on the dashboard and runs actions", async () => {
    const key = cli("keys", "create", "--name", "browser");
    const before = await accountsCount(key);
    const link = connectLink("cust-good", "default", ["--actions", "front_list_tags,front_get_tag"]);
    const page = await newPage();
    await page.goto(link);
    assert.equal(await page.locator("h1").innerText(), "Connect Front");
    // Only the scopes of the session's actions are listed.
    const scopes = await page.locator("[data-guide-scope]:visible code").allInnerTexts();
    assert.deepEqual(scopes, ["tags:read"]);
    await screenshot(page, "link");
    await page.getByLabel("API Token").fill(simToken);
    await page.getByRole("button", { name: "Show" }).click();
    assert.equal(await page.locator("#api-token").getAttribute("type"), "text");
    await page.getByRole("button", { name: "Connect" }).click();
    const dialog = page.locator("dialog[open]");
    await dialog.waitFor();
    const company = await dialog.locator("[data-link-company]").innerText();
    assert.ok(company.length > 0, "the dialog names the Front company");
    await screenshot(page, "link-linked");
    assert.equal(await accountsCount(key), before + 1);

    const dashboard = await newPage();
    await dashboard.goto(`${hubUrl}/dashboard`);
    assert.match(dashboard.url(), /\/dashboard\/sign-in$/);
    await screenshot(dashboard, "dashboard-sign-in");
    await dashboard.getByLabel("API key").fill(key);
    await dashboard.getByRole("button", { name: "Sign in" }).click();
    await dashboard.waitForURL(`${hubUrl}/dashboard`);
    const row = dashboard.locator("tr", { hasText: "cust-good Inc" });
    await row.waitFor();
    assert.ok((await row.innerText()).includes(company), "the row shows the Front company");
    assert.ok((await row.innerText()).includes("front_list_tags"), "the row shows the allowed actions");
    await screenshot(dashboard, "dashboard-accounts");

    const accountId = (await row.getAttribute("data-account")) ?? "";
    const rpc = await fetch(`${hubUrl}/actions/rpc`, {
      method: "POST",
      headers: {
        authorization: "Basic " + Buffer.from(`${key}:`).toString("base64"),
        "content-type": "application/json",
        "x-account-id": accountId,
      },
      body: JSON.stringify({ action: "front_list_tags", query: { limit: 5 } }),
    });
    assert.equal(rpc.status, 200, await rpc.clone().text());
    assert.ok(Array.isArray((await rpc.json()).data));
  });

  test("a bad token is refused beside the field and links nothing; a spent link is refused", async () => {
    const key = cli("keys", "create", "--name", "browser-bad");
    const before = await accountsCount(key);
    const link = connectLink("cust-bad");
    const page = await newPage();
    await page.goto(link);
    await page.getByLabel("API Token").fill("not-a-real-token");
    await page.getByRole("button", { name: "Connect" }).click();
    const error = page.locator("#api-token-error");
    await error.waitFor({ state: "visible" });
    assert.match(await error.innerText(), /Front rejected this token/);
    assert.equal(await page.locator("#api-token").getAttribute("aria-invalid"), "true");
    await screenshot(page, "link-refused");
    assert.equal(await accountsCount(key), before);

    // The same link still works with a good token, once.
    await page.getByLabel("API Token").fill(simToken);
    await page.getByRole("button", { name: "Connect" }).click();
    await page.locator("dialog[open]").waitFor();
    const spent = await newPage();
    const response = await spent.goto(link);
    assert.equal(response.status(), 410);
    assert.match(await spent.locator("h1").innerText(), /already used/);
    await screenshot(spent, "link-spent");
  });

  test("without scripts the form posts back and the outcome is shown", async () => {
    const link = connectLink("cust-noscript");
    const page = await newPage(1280, { javaScriptEnabled: false });
    await page.goto(link);
    await page.getByLabel("API Token").fill("still-not-a-token");
    await page.getByRole("button", { name: "Connect" }).click();
    assert.match(await page.locator("#api-token-error").innerText(), /Front rejected this token/);
    await page.getByLabel("API Token").fill(simToken);
    await page.getByRole("button", { name: "Connect" }).click();
    assert.match(await page.locator("h2").first().innerText(), /Account linked/);
  });
});

describe("the scope guide", () => {
  const guidePath = "/connectors/front/guides/link-account/api-token";

  test("the core actions give 24 scopes; search narrows the list; Select all gives every scope; Clear gives none", async () => {
    const page = await newPage();
    await page.goto(`${hubUrl}${guidePath}`);
    await screenshot(page, "guide");
    assert.equal((await page.locator("[data-guide-scopes-output]").innerText()).split(" ").length, 24);
    await page.getByPlaceholder("Search actions...").fill("tag");
    const visible = await page.locator("[data-guide-action]:visible").allInnerTexts();
    assert.ok(visible.length > 0 && visible.length < 52, `${visible.length} rows`);
    for (const text of visible) assert.match(text.toLowerCase(), /tag/);
    await page.getByPlaceholder("Search actions...").fill("zzzz");
    await page.locator("[data-guide-no-results]").waitFor({ state: "visible" });
    await page.getByPlaceholder("Search actions...").fill("");
    await page.getByRole("button", { name: "Clear" }).click();
    assert.equal(await page.locator("[data-guide-scopes-output]").innerText(), "");
    await page.getByRole("button", { name: "Select all", exact: true }).click();
    const scopes = (await page.locator("[data-guide-scopes-output]").innerText()).split(" ");
    assert.equal(scopes.length, cli("scopes", "--separator", "newline").split("\n").length);
  });

  test("the other actions are one click away, by group; search looks inside the groups", async () => {
    const page = await newPage();
    await page.goto(`${hubUrl}${guidePath}`);
    const group = page.locator('[data-guide-group="knowledge_bases"]');
    assert.equal(await group.getAttribute("open"), null);
    assert.equal(await page.getByRole("checkbox", { name: /^List Knowledge Bases/ }).isVisible(), false);
    await group.locator("summary").click();
    await group.getByRole("button", { name: "Select group: Knowledge bases" }).click();
    assert.match(await group.locator("[data-guide-group-count]").innerText(), /^(\d+) of \1 selected$/);
    assert.match(await page.locator("[data-guide-scopes-output]").innerText(), /knowledge_bases:read/);
    assert.match(page.url(), /front_list_knowledge_bases/);
    await screenshot(page, "guide-group");

    const searching = await newPage();
    await searching.goto(`${hubUrl}${guidePath}`);
    await searching.getByPlaceholder("Search actions...").fill("shift");
    await searching.getByRole("checkbox", { name: /^Get Shift/ }).check();
    assert.match(await searching.locator("[data-guide-scopes-output]").innerText(), /shifts:read/);
    assert.equal(await searching.locator('[data-guide-group="knowledge_bases"]').isVisible(), false);
  });

  test("two actions with the Comma separator show their scopes; the copied URL reopens them", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: hubUrl });
    const page = await context.newPage();
    await page.goto(`${hubUrl}${guidePath}`);
    await page.getByRole("button", { name: "Clear" }).click();
    await page.getByRole("checkbox", { name: /^Send Message/ }).check();
    await page.getByRole("checkbox", { name: /^List Tags/ }).check();
    await page.getByLabel("Separator").selectOption("comma");
    assert.equal(await page.locator("[data-guide-scopes-output]").innerText(), "messages:send,tags:read");
    await page.getByRole("button", { name: "Copy URL" }).click();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    assert.equal(copied, `${hubUrl}${guidePath}?actions=front_send_message,front_list_tags`);
    const reopened = await newPage();
    await reopened.goto(copied);
    const checked = await reopened.locator('input[name="action"]:checked').evaluateAll((boxes) => boxes.map((b) => b.value));
    assert.deepEqual(checked, ["front_send_message", "front_list_tags"]);
    assert.equal(await reopened.locator("[data-guide-scopes-output]").innerText(), "messages:send tags:read");
    await context.close();
  });

  test("without scripts the page still shows the selection in its URL", async () => {
    const page = await newPage(1280, { javaScriptEnabled: false });
    await page.goto(`${hubUrl}${guidePath}?actions=front_get_tag`);
    assert.equal(await page.locator("[data-guide-scopes-output]").innerText(), "tags:read");
    assert.deepEqual(await page.locator("[data-guide-scope]:visible code").allInnerTexts(), ["tags:read"]);
  });
});

describe("access", () => {
  test("no page works without the right token or sign-in", async () => {
    const page = await newPage();
    for (const path of ["/link", "/link?token=ahs_unknown"]) {
      const response = await page.goto(`${hubUrl}${path}`);
      assert.equal(response.status(), 404, path);
      assert.match(await page.locator("h1").innerText(), /not valid/);
    }
    await screenshot(page, "link-unknown");
    const response = await page.goto(`${hubUrl}/dashboard`);
    assert.match(page.url(), /sign-in$/);
    assert.equal(response.status(), 200);
    for (const path of ["/dashboard/accounts/x/remove", "/dashboard/connect-links", "/dashboard/sign-out"]) {
      const posted = await fetch(`${hubUrl}${path}`, { method: "POST", redirect: "manual", body: "csrf=x" });
      assert.equal(posted.status, 303, path);
      assert.match(posted.headers.get("location"), /sign-in$/, path);
    }
    const wrongKey = await newPage();
    await wrongKey.goto(`${hubUrl}/dashboard/sign-in`);
    await wrongKey.getByLabel("API key").fill("ahk_live_wrong");
    await wrongKey.getByRole("button", { name: "Sign in" }).click();
    assert.match(await wrongKey.locator("#api-key-error").innerText(), /not a valid API key/);
    for (const path of ["/hub/settings", "/hub/connectors", "/hub/connectors/front"]) {
      const answer = await fetch(`${hubUrl}${path}`, { headers: { "x-hub-session-token": "ahs_unknown" } });
      assert.equal(answer.status, 401, path);
    }
  });

  test("another project's session sees and removes nothing of this project", async () => {
    const keyA = cli("keys", "create", "--name", "a", "--project", "alpha");
    const keyB = cli("keys", "create", "--name", "b", "--project", "beta");
    const linkA = connectLink("cust-alpha", "alpha");
    const linker = await newPage();
    await linker.goto(linkA);
    await linker.getByLabel("API Token").fill(simToken);
    await linker.getByRole("button", { name: "Connect" }).click();
    await linker.locator("dialog[open]").waitFor();
    assert.equal(await accountsCount(keyA), 1);

    const page = await newPage();
    await page.goto(`${hubUrl}/dashboard/sign-in`);
    await page.getByLabel("API key").fill(keyB);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${hubUrl}/dashboard`);
    assert.equal(await page.locator("tr", { hasText: "cust-alpha" }).count(), 0);
    // A remove form of project beta aimed at alpha's account changes nothing.
    const accounts = await (await fetch(`${hubUrl}/accounts`, {
      headers: { authorization: "Basic " + Buffer.from(`${keyA}:`).toString("base64") },
    })).json();
    const csrf = await page.locator('input[name="csrf"]').first().inputValue();
    await page.evaluate(async ({ id, token }) => {
      await fetch(`/dashboard/accounts/${id}/remove`, { method: "POST", body: new URLSearchParams({ csrf: token }) });
    }, { id: accounts[0].id, token: csrf });
    assert.equal(await accountsCount(keyA), 1);
  });
});

describe("approving a held call", () => {
  test("a destructive call the project policy holds is approved on its page, runs once and shows its result", async () => {
    // A project of its own, so that its policy holds nothing of the other tests.
    const key = cli("keys", "create", "--name", "approver", "--project", "approvals");
    const accountId = cli("accounts", "link", "--token", simToken, "--owner-id", "cust-approvals",
      "--owner-name", "Approvals Inc", "--project", "approvals");
    const page = await newPage();
    await signIn(page, key);

    // The policy is set on the Policy page: destructive actions wait for a person.
    await page.getByRole("link", { name: "Policy" }).click();
    await page.getByLabel(/^Rules, one/).fill("hint:destructive=approve");
    await page.getByRole("button", { name: "Save project policy" }).click();
    await page.waitForURL(`${hubUrl}/dashboard/policy`);
    const rules = page.getByRole("table", { name: "Project policy rules" });
    assert.match(await rules.innerText(), /hint:destructive\s+approve/);
    await screenshot(page, "dashboard-policy");

    const contactId = "crd_3cgz4ge";
    const rpc = await fetch(`${hubUrl}/actions/rpc`, {
      method: "POST",
      headers: {
        authorization: "Basic " + Buffer.from(`${key}:`).toString("base64"),
        "content-type": "application/json",
        "x-account-id": accountId,
      },
      body: JSON.stringify({ action: "front_delete_contact", path: { contact_id: contactId } }),
    });
    assert.equal(rpc.status, 202, await rpc.clone().text());
    const { approval } = await rpc.json();
    assert.equal(approval.status, "pending");
    assert.equal(approval.approve_url, `${hubUrl}/dashboard/approvals/${approval.id}`);

    // The navigation counts it; the list links it.
    await page.goto(`${hubUrl}/dashboard`);
    const approvalsLink = page.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name: /^Approvals/ });
    assert.match(await approvalsLink.innerText(), /1 pending/);
    await approvalsLink.click();
    await page.waitForURL(`${hubUrl}/dashboard/approvals`);
    await screenshot(page, "dashboard-approvals");
    await page.locator(`tr[data-approval="${approval.id}"]`).getByRole("link", { name: "Delete Contact" }).click();
    await page.waitForURL(approval.approve_url);

    assert.equal(await page.locator("[data-front-request]").innerText(), `DELETE /contacts/${contactId}`);
    const input = JSON.parse(await page.locator('pre[data-json="input"]').innerText());
    assert.deepEqual(input, { path: { contact_id: contactId } });
    assert.match(await page.locator("main").innerText(), /destructive/);
    assert.equal(await page.locator("[data-approval-status]").innerText(), "pending");
    await screenshot(page, "dashboard-approval");

    await page.getByRole("button", { name: "Approve" }).click();
    // Back on the page: it shows the result once the run has finished (reloading while it runs).
    await page.locator('[data-approval-status="succeeded"]').waitFor({ timeout: 60_000 });
    assert.match(await page.locator("[data-approval-result-status]").innerText(), /^HTTP 2\d\d$/);
    assert.match(await page.locator("main").innerText(), /Approved by dashboard \(API key/);
    assert.equal(await page.getByRole("button", { name: "Approve" }).count(), 0);
    await screenshot(page, "dashboard-approval-succeeded");

    // The call ran once, as the approval: the run log has it, and a second approval is refused.
    const runs = await (await fetch(`${hubUrl}/runs?account_id=${accountId}`, {
      headers: { authorization: "Basic " + Buffer.from(`${key}:`).toString("base64") },
    })).json();
    assert.equal(runs.data.filter((run) => run.source === "approval").length, 1);
    const csrf = await page.locator('input[name="csrf"]').first().inputValue();
    const again = await page.evaluate(async ({ id, token }) => {
      const answer = await fetch(`/dashboard/approvals/${id}/approve`, { method: "POST", body: new URLSearchParams({ csrf: token }) });
      return { status: answer.status, text: await answer.text() };
    }, { id: approval.id, token: csrf });
    assert.equal(again.status, 409);
    assert.match(again.text, /already succeeded/);
  });
});

describe("accessibility", () => {
  test("no serious or critical axe violation on any page", async () => {
    const key = cli("keys", "create", "--name", "axe");
    await assertAccessible(`${hubUrl}/connectors/front/guides/link-account/api-token`);
    await assertAccessible(`${hubUrl}/connectors/front/guides/link-account/api-token?actions=front_list_knowledge_bases`);
    await assertAccessible(connectLink("cust-axe"));
    await assertAccessible(`${hubUrl}/link?token=ahs_unknown`);
    await assertAccessible(`${hubUrl}/docs/api`);
    await assertAccessible(`${hubUrl}/dashboard/sign-in`);
    await assertAccessible(`${hubUrl}/dashboard/sign-in`, async (page) => {
      await page.getByLabel("API key").fill(key);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.waitForURL(`${hubUrl}/dashboard`);
    });
    // The Webhooks page with an endpoint and a delivery: linking queues `account.created`,
    // which the hub (not allowing private addresses) records as a refused attempt.
    cli("webhooks", "create", "--url", "http://127.0.0.1:9/hooks", "--events", "account.*", "--webhook-allow-private");
    cli("accounts", "link", "--token", simToken, "--owner-id", "cust-axe-hooks", "--owner-name", "Axe Hooks");
    await assertAccessible(`${hubUrl}/dashboard/sign-in`, async (page) => {
      await page.getByLabel("API key").fill(key);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.waitForURL(`${hubUrl}/dashboard`);
      await page.goto(`${hubUrl}/dashboard/webhooks`);
      await page.locator("tr[data-delivery]").first().waitFor();
      await screenshot(page, "dashboard-webhooks");
    });
  });

  test("no serious or critical axe violation on the approvals and policy pages, before and after a decision", async () => {
    const key = cli("keys", "create", "--name", "axe-approvals", "--project", "axe-approvals");
    const accountId = cli("accounts", "link", "--token", simToken, "--owner-id", "cust-axe-approvals",
      "--owner-name", "Axe Approvals", "--project", "axe-approvals");
    const auth = { authorization: "Basic " + Buffer.from(`${key}:`).toString("base64") };
    const policy = await newPage();
    await signIn(policy, key);
    await policy.goto(`${hubUrl}/dashboard/policy`);
    await policy.getByLabel(/^Rules, one/).fill("front_create_tag=approve\nnot a rule");
    await policy.getByRole("button", { name: "Save project policy" }).click();
    assert.match(await policy.locator("#policy-errors").innerText(), /line 2: `not a rule` is not a rule/);
    await policy.getByLabel(/^Rules, one/).fill("front_create_tag=approve");
    await policy.getByRole("button", { name: "Save project policy" }).click();
    await policy.waitForURL(`${hubUrl}/dashboard/policy`);
    await policy.context().close();

    const held = await fetch(`${hubUrl}/actions/rpc`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json", "x-account-id": accountId },
      body: JSON.stringify({ action: "front_create_tag", body: { name: "<script>alert(1)</script>" } }),
    });
    assert.equal(held.status, 202, await held.clone().text());
    const { approval } = await held.json();
    const signedIn = (path) => async (page) => {
      await page.getByLabel("API key").fill(key);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.waitForURL(`${hubUrl}/dashboard`);
      await page.goto(`${hubUrl}${path}`);
    };
    for (const path of ["/dashboard/policy", "/dashboard/approvals", `/dashboard/approvals/${approval.id}`]) {
      await assertAccessible(`${hubUrl}/dashboard/sign-in`, signedIn(path));
    }
    const rejected = await newPage();
    await signIn(rejected, key);
    await rejected.goto(approval.approve_url);
    // The hostile input is text on the page, not markup.
    assert.deepEqual(JSON.parse(await rejected.locator('pre[data-json="input"]').innerText()),
      { body: { name: "<script>alert(1)</script>" } });
    assert.equal(await rejected.locator("main script").count(), 0);
    await rejected.getByLabel("Reason for rejecting (optional)").fill("not this one");
    await rejected.getByRole("button", { name: "Reject" }).click();
    await rejected.locator('[data-approval-status="rejected"]').waitFor();
    await screenshot(rejected, "dashboard-approval-rejected");
    for (const path of ["/dashboard/approvals", `/dashboard/approvals/${approval.id}`]) {
      await assertAccessible(`${hubUrl}/dashboard/sign-in`, signedIn(path));
    }
  });
});
