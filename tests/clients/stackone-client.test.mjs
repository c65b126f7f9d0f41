// StackOne's TypeScript client (@stackone/stackone-client-ts, pinned in package.json), unchanged,
// pointed at the hub with `serverURL`: connect sessions, linked accounts (listed, fetched,
// described, updated, deleted), the actions meta and RPC calls, and refused calls as the
// client's typed errors. Every answer passes the client's own (zod) validation, or the call
// would throw a ResponseValidationError.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { StackOne } from "@stackone/stackone-client-ts";
import * as errors from "@stackone/stackone-client-ts/sdk/models/errors/index.js";
import { FRONT_TOKEN, startHub } from "./harness.mjs";

let hub;
let stackOne;

before(async () => {
  hub = await startHub();
  stackOne = new StackOne({ serverURL: hub.url, security: { username: hub.apiKey, password: "" } });
});

after(() => hub?.stop());

test("a connect session is created, authenticated and links an account", async () => {
  const created = await stackOne.connectSessions.createConnectSession({
    originOwnerId: "ts-client",
    originOwnerName: "TS Client Inc",
    provider: "front",
    categories: ["ticketing"],
    label: "Support",
    metadata: { plan: "pro" },
    expiresIn: 600,
  });
  assert.equal(created.statusCode, 201);
  const link = created.connectSessionTokenAuthLink;
  assert.ok(link.token, "the session has a token");
  assert.ok(link.authLinkUrl.startsWith(`${hub.url}/link?token=`), link.authLinkUrl);
  assert.equal(link.originOwnerId, "ts-client");
  assert.ok(link.createdAt instanceof Date);

  const authenticated = await stackOne.connectSessions.authenticateConnectSession({ token: link.token });
  assert.equal(authenticated.statusCode, 201);
  const session = authenticated.connectSession;
  assert.equal(session.originOwnerId, "ts-client");
  assert.equal(session.originOwnerName, "TS Client Inc");
  assert.equal(session.provider, "front");

  // The end user's side: what the Hub page (or @stackone/hub) posts with the session token.
  const linked = await fetch(`${hub.url}/hub/accounts`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-hub-session-token": link.token },
    body: JSON.stringify({ credentials: { api_token: FRONT_TOKEN } }),
  });
  assert.equal(linked.status, 201, await linked.clone().text());
  const { id } = await linked.json();

  const listed = await stackOne.accounts.listLinkedAccounts({ originOwnerId: "ts-client" });
  assert.equal(listed.statusCode, 200);
  assert.deepEqual(listed.classes.map((account) => account.id), [id]);
  const [account] = listed.classes;
  assert.equal(account.provider, "front");
  assert.equal(account.originOwnerName, "TS Client Inc");
  assert.equal(account.label, "Support");
  assert.equal(account.status, "active");
  assert.ok(account.createdAt instanceof Date);
});

test("accounts are listed, fetched and described (getAccountMetaInfo)", async () => {
  const id = hub.link("ts-accounts");
  const all = await stackOne.accounts.listLinkedAccounts({ providers: ["front"], status: ["active"], pageSize: 100 });
  assert.ok(all.classes.some((account) => account.id === id));

  const one = await stackOne.accounts.getAccount({ id });
  assert.equal(one.statusCode, 200);
  assert.equal(one.linkedAccount.id, id);
  assert.equal(one.linkedAccount.originOwnerId, "ts-accounts");

  const meta = await stackOne.accounts.getAccountMetaInfo({ id });
  assert.equal(meta.statusCode, 200);
  assert.deepEqual(meta.linkedAccountMeta, { provider: "front", category: "ticketing", models: {} });
});

test("an account is updated and deleted", async () => {
  const id = hub.link("ts-update");
  // (The client types `label` as an object here, so it cannot send a label.)
  const updated = await stackOne.accounts.updateAccount({
    id,
    patchAccountExternalDto: { originOwnerName: "Renamed Inc", originUsername: "someone@renamed.example" },
  });
  assert.equal(updated.statusCode, 200);
  assert.equal(updated.linkedAccount.originOwnerName, "Renamed Inc");
  assert.equal(updated.linkedAccount.originUsername, "someone@renamed.example");
  assert.equal(updated.linkedAccount.status, "active");

  const deleted = await stackOne.accounts.deleteAccount({ id });
  assert.equal(deleted.statusCode, 200);
  assert.equal(deleted.linkedAccount.id, id);
  await assert.rejects(stackOne.accounts.getAccount({ id }), errors.NotFoundResponse);
});

test("the actions meta lists Front's actions and an action runs over RPC", async () => {
  const id = hub.link("ts-actions");
  const pages = await stackOne.actions.listActionsMeta({
    filter: { connectors: "front", accountIds: id },
    include: ["operation_details"],
    pageSize: "100",
  });
  const connectors = [];
  for await (const page of pages) {
    assert.equal(page.statusCode, 200);
    connectors.push(...page.actionsMetaPaginated.data);
  }
  const front = connectors.find((connector) => connector.key === "front");
  assert.ok(front, "Front is listed");
  const ids = front.actions.map((action) => action.id);
  assert.ok(ids.includes("front_list_tags"), JSON.stringify(ids.slice(0, 5)));

  const result = await stackOne.actions.rpcAction({
    action: "front_list_tags",
    query: { limit: 3 },
    headers: { "x-account-id": id },
  });
  assert.equal(result.statusCode, 200);
  // The client's model of an item is an empty object (zod strips every field): only the
  // count and the cursor are visible through it.
  const { data, next } = result.actionsRpcResponse;
  assert.equal(data.length, 3);
  assert.equal(typeof next, "string");
  const following = await stackOne.actions.rpcAction({
    action: "front_list_tags",
    query: { next, limit: 2 },
    headers: { "x-account-id": id },
  });
  assert.equal(following.actionsRpcResponse.data.length, 2);
});

test("a refused call comes back as the client's typed error with StackOne's body", async () => {
  const id = hub.link("ts-errors");
  await assert.rejects(
    stackOne.actions.rpcAction({ action: "front_list_tags", query: { limit: 101 }, headers: { "x-account-id": id } }),
    (error) => {
      assert.ok(error instanceof errors.BadRequestResponse, `${error?.name}: ${error?.message}`);
      assert.equal(error.statusCode, 400);
      assert.equal(error.data$.statusCode, 400);
      assert.match(error.message, /\/query\/limit/);
      assert.ok(error.timestamp instanceof Date);
      return true;
    },
  );
  await assert.rejects(stackOne.accounts.getAccount({ id: "acc_unknown" }), (error) => {
    assert.ok(error instanceof errors.NotFoundResponse, `${error?.name}: ${error?.message}`);
    assert.equal(error.statusCode, 404);
    return true;
  });
  const anonymous = new StackOne({ serverURL: hub.url, security: { username: "ahk_live_wrong", password: "" } });
  await assert.rejects(anonymous.accounts.listLinkedAccounts({}), (error) => {
    assert.ok(error instanceof errors.UnauthorizedResponse, `${error?.name}: ${error?.message}`);
    return true;
  });
});
