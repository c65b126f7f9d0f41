// StackOne's own Hub web component (@stackone/hub, pinned in package.json) on a page of another
// origin than the hub, in headless Chromium (Debian's package, driven by playwright-core): the
// page is served by a small HTTP server of this test from the component's built bundle in
// node_modules (no CDN), with a connect session token made with the API key and `base-url`
// pointing at the hub, which links against the Front simulator. Every request the component
// sends to the hub is recorded, so the tests check what it really sends (edit mode included).
//
// Screenshots go to ARTIFACTS_DIR/screenshots (default artifacts/).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";
import { FRONT_TOKEN, REPO, startHub } from "./harness.mjs";

const require = createRequire(import.meta.url);
// The package's `./webcomponent` export: a self-contained bundle (React included).
const BUNDLE = readFileSync(require.resolve("@stackone/hub/webcomponent"));
const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const SHOTS = join(resolve(process.env.ARTIFACTS_DIR || join(REPO, "artifacts")), "screenshots");

// The app's page: the component with the token and hub URL from the query string; its
// `success` event is kept in `window.hubEvents`.
const PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>An app embedding the Hub</title>
<script src="/webcomponent.js"></script></head>
<body>
<main>
<h1>An app embedding the Hub</h1>
<stackone-hub height="560px"></stackone-hub>
</main>
<script>
  window.hubEvents = [];
  const params = new URLSearchParams(location.search);
  const hub = document.querySelector("stackone-hub");
  hub.addEventListener("success", (event) => window.hubEvents.push(event.detail));
  hub.setAttribute("base-url", params.get("hub"));
  // Edit mode: the app names the account, as StackOne documents (\`account-id\`); without it
  // the component reads the session's \`existing_account_id\` from /hub/settings, but only when
  // that answer comes before it has settled on a new account (a race of the component's own).
  if (params.get("account")) hub.setAttribute("account-id", params.get("account"));
  hub.setAttribute("token", params.get("token"));
</script>
</body>
</html>`;

let hub;
let app;
let appUrl;
let browser;

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  hub = await startHub();
  app = createServer((request, response) => {
    const path = new URL(request.url, "http://app").pathname;
    if (path === "/") {
      response.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(PAGE);
    } else if (path === "/webcomponent.js") {
      response.writeHead(200, { "content-type": "text/javascript" }).end(BUNDLE);
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise((done) => app.listen(0, "127.0.0.1", done));
  appUrl = `http://127.0.0.1:${app.address().port}`;
  assert.notEqual(new URL(appUrl).origin, new URL(hub.url).origin);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  await browser?.close();
  await new Promise((done) => (app ? app.close(done) : done()));
  await hub?.stop();
});

async function connectSession(body) {
  const { status, body: session } = await hub.api("POST", "/connect_sessions", body);
  assert.equal(status, 201, JSON.stringify(session));
  return session.token;
}

/**
 * Opens the app's page with the component for `token` (editing `account` when given); records
 * the Hub API requests it sends, and as problems the page's errors and any request to a third
 * origin.
 */
async function openHub(token, account) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const sent = [];
  const problems = [];
  page.on("request", (request) => {
    const url = new URL(request.url());
    if (url.origin === new URL(hub.url).origin && url.pathname.startsWith("/hub/")) {
      sent.push({ method: request.method(), path: url.pathname, body: request.postData() });
    } else if (![appUrl, hub.url].includes(url.origin) && url.protocol !== "data:") {
      problems.push(`a request to another origin: ${request.url()}`);
    }
  });
  page.on("pageerror", (error) => problems.push(error.message));
  const query = new URLSearchParams({ hub: hub.url, token, ...(account ? { account } : {}) });
  await page.goto(`${appUrl}/?${query}`);
  return { page, sent, problems };
}

async function accounts(owner) {
  const { status, body } = await hub.api("GET", `/accounts?origin_owner_id=${owner}&page_size=100`);
  assert.equal(status, 200);
  return body;
}

const tokenField = (page) => page.getByLabel("API Token", { exact: false }).first();
const connect = (page) => page.getByRole("button", { name: "Connect", exact: true });

test("a wrong token shows Front's reason and links nothing; the right one links the account", async () => {
  const token = await connectSession({ origin_owner_id: "hub-embed", origin_owner_name: "Embed Inc" });
  const { page, sent, problems } = await openHub(token);

  await tokenField(page).waitFor();
  await page.screenshot({ path: join(SHOTS, "stackone-hub-form.png"), fullPage: true });
  await tokenField(page).fill("not-a-front-token");
  await connect(page).click();
  await page.getByText("Front rejected this token").first().waitFor();
  await page.screenshot({ path: join(SHOTS, "stackone-hub-rejected.png"), fullPage: true });
  assert.deepEqual(await accounts("hub-embed"), []);

  await tokenField(page).fill(FRONT_TOKEN);
  await connect(page).click();
  await page.getByText("Connection Successful").waitFor();
  await page.screenshot({ path: join(SHOTS, "stackone-hub-linked.png"), fullPage: true });

  const linked = await accounts("hub-embed");
  assert.equal(linked.length, 1);
  assert.equal(linked[0].status, "active");
  assert.deepEqual(await page.evaluate(() => window.hubEvents), [{ id: linked[0].id, provider: "front" }]);
  const posts = sent.filter((request) => request.method === "POST");
  assert.deepEqual(posts.map((request) => request.path), ["/hub/accounts", "/hub/accounts"]);
  assert.deepEqual(JSON.parse(posts[1].body), { integration_id: "front", credentials: { api_token: FRONT_TOKEN } });
  assert.deepEqual(problems, []);
  await page.close();
});

test("edit mode keeps the saved token when it is not typed again", async () => {
  const id = hub.link("hub-edit");
  const token = await connectSession({ origin_owner_id: "hub-edit", origin_owner_name: "Edit Inc", account_id: id });
  const { page, sent, problems } = await openHub(token, id);

  // The saved token is shown masked (the hub's redacted placeholder), with an Edit button.
  await page.getByRole("button", { name: "Edit", exact: true }).waitFor();
  assert.equal(await page.locator('input[name="api_token-display"]').inputValue(), "••••••••••");
  await page.screenshot({ path: join(SHOTS, "stackone-hub-edit.png"), fullPage: true });
  await connect(page).click();
  await page.getByText("Connection Successful").waitFor();

  const patches = sent.filter((request) => request.method === "PATCH");
  assert.deepEqual(patches.map((request) => request.path), [`/hub/accounts/${id}`]);
  // What @stackone/hub really sends when the secret is left as it was.
  assert.deepEqual(JSON.parse(patches[0].body), { integration_id: "front", credentials: {} });
  assert.deepEqual(await page.evaluate(() => window.hubEvents), [{ id, provider: "front" }]);

  const [account] = await accounts("hub-edit");
  assert.equal(account.id, id);
  assert.equal(account.status, "active");
  const run = await fetch(`${hub.url}/actions/rpc`, {
    method: "POST",
    headers: { authorization: hub.auth, "content-type": "application/json", "x-account-id": id },
    body: JSON.stringify({ action: "front_list_tags", query: { limit: 1 } }),
  });
  assert.equal(run.status, 200, "the saved token still runs actions");
  assert.deepEqual(problems, []);
  await page.close();
});

test("edit mode with a wrong token typed again shows the reason and keeps the account", async () => {
  const id = hub.link("hub-edit-wrong");
  const token = await connectSession({ origin_owner_id: "hub-edit-wrong", origin_owner_name: "Edit Inc", account_id: id });
  const { page, sent, problems } = await openHub(token, id);

  await page.getByRole("button", { name: "Edit", exact: true }).click();
  await tokenField(page).fill("not-a-front-token");
  await connect(page).click();
  await page.getByText("Front rejected this token").first().waitFor();

  const patches = sent.filter((request) => request.method === "PATCH");
  assert.deepEqual(patches.map((request) => JSON.parse(request.body)), [
    { integration_id: "front", credentials: { api_token: "not-a-front-token" } },
  ]);
  assert.deepEqual(await page.evaluate(() => window.hubEvents), []);
  const [account] = await accounts("hub-edit-wrong");
  assert.equal(account.status, "active");
  assert.deepEqual(problems, []);
  await page.close();
});
