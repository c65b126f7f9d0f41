// The official MCP TypeScript SDK (@modelcontextprotocol/sdk, pinned in package.json) as a
// client of the hub, over streamable HTTP (`/mcp`, API key as HTTP Basic, `x-account-id`) and
// over stdio (`actionhub mcp --account ID` with the database, key ring and Front URL in its
// environment): it lists the tools, calls a read and a write, and gets a refused call back as
// an `isError` result, not an exception.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { BIN, startHub } from "./harness.mjs";

let hub;
let catalogue;

before(async () => {
  hub = await startHub();
  // The tools listed by default: the core actions (toolset=all would list every one).
  catalogue = JSON.parse(hub.cli("actions", "list", "--json")).filter((action) => action.core).map((action) => action.id);
});

after(() => hub?.stop());

const transports = {
  http: (account) =>
    new StreamableHTTPClientTransport(new URL(`${hub.url}/mcp`), {
      requestInit: { headers: { authorization: hub.auth, "x-account-id": account } },
    }),
  stdio: (account) =>
    new StdioClientTransport({
      command: BIN,
      args: ["mcp", "--account", account],
      // Only what the README's desktop configuration names; the SDK adds HOME, PATH and such.
      env: {
        ACTIONHUB_DATABASE_URL: hub.env.ACTIONHUB_DATABASE_URL,
        ACTIONHUB_MASTER_KEY: hub.env.ACTIONHUB_MASTER_KEY,
        ACTIONHUB_FRONT_BASE_URL: hub.env.ACTIONHUB_FRONT_BASE_URL,
      },
      stderr: "pipe",
    }),
};

async function connect(kind, account) {
  const client = new Client({ name: "actionhub-clients-test", version: "1.0.0" });
  await client.connect(transports[kind](account));
  return client;
}

for (const kind of Object.keys(transports)) {
  describe(`over ${kind}`, () => {
    test("lists the core tools, runs a read and a write, and returns a refused call as isError", async () => {
      const account = hub.link(`mcp-${kind}`);
      const client = await connect(kind, account);
      try {
        assert.equal(client.getServerVersion().name, "actionhub");
        assert.ok(client.getServerCapabilities().tools);

        const { tools, nextCursor } = await client.listTools();
        assert.equal(nextCursor, undefined);
        assert.deepEqual(tools.map((tool) => tool.name), catalogue);
        const byName = Object.fromEntries(tools.map((tool) => [tool.name, tool]));
        assert.equal(byName.front_list_conversations.annotations.readOnlyHint, true);
        assert.equal(byName.front_delete_contact.annotations.destructiveHint, true);

        const read = await client.callTool({ name: "front_list_tags", arguments: { query: { limit: 2 } } });
        assert.notEqual(read.isError, true, JSON.stringify(read.content));
        // The answer comes once, as JSON text (compact by default), without a structured copy.
        assert.equal(read.structuredContent, undefined);
        assert.equal(JSON.parse(read.content[0].text).data.length, 2);

        const name = `ts-sdk-${kind}`;
        const written = await client.callTool({ name: "front_create_tag", arguments: { body: { name } } });
        assert.notEqual(written.isError, true, JSON.stringify(written.content));
        assert.equal(JSON.parse(written.content[0].text).data.name, name);

        // Refused by the hub's validation, and by Front (the simulator) for an unknown id.
        const invalid = await client.callTool({ name: "front_list_tags", arguments: { query: { limit: "x" } } });
        assert.equal(invalid.isError, true);
        assert.equal(invalid.structuredContent, undefined);
        assert.match(invalid.content[0].text, /\/query\/limit/);
        const missing = await client.callTool({ name: "front_get_tag", arguments: { path: { tag_id: "tag_zzzzzz" } } });
        assert.equal(missing.isError, true);
        assert.match(missing.content[0].text, /404|not found/i);
      } finally {
        await client.close();
      }
    });

    test("an account restricted to some actions sees and runs only those", async () => {
      const account = hub.link(`mcp-${kind}-restricted`, "--actions", "front_list_tags,front_get_tag");
      const client = await connect(kind, account);
      try {
        const { tools } = await client.listTools();
        assert.deepEqual(tools.map((tool) => tool.name).sort(), ["front_get_tag", "front_list_tags"]);
        const refused = await client.callTool({ name: "front_list_conversations", arguments: {} });
        assert.equal(refused.isError, true);
      } finally {
        await client.close();
      }
    });
  });
}
