// A Front simulator and a hub for one test file, from the real `actionhub` binary
// (ACTIONHUB_BIN, default target/debug/actionhub): each on a port the system picks, with a
// temporary SQLite database and key ring, so that test files can run side by side.

import { spawn, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const REPO = resolve(import.meta.dirname, "../..");
export const BIN = process.env.ACTIONHUB_BIN || join(REPO, "target/debug/actionhub");
export const FRONT_TOKEN = "clients-test-token";

const ANSI = /\x1b\[[0-9;]*m/g;

/** Starts `actionhub ARGS` and resolves once `ready(stdout, stderr)` returns a value. */
function start(args, env, ready) {
  return new Promise((done, fail) => {
    const child = spawn(BIN, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    const check = () => {
      const value = ready(out, err.replace(ANSI, ""));
      if (value !== undefined) done({ child, value });
    };
    child.stdout.on("data", (chunk) => { out += chunk; check(); });
    child.stderr.on("data", (chunk) => { err += chunk; check(); });
    child.once("error", fail);
    child.once("exit", (code) => fail(new Error(`actionhub ${args.join(" ")} exited with ${code}: ${err}`)));
  });
}

/**
 * Starts the simulator (one token with every scope, no rate limits) and a hub in front of it.
 * Returns the hub's URL, an API key, `cli(...)`, the environment the CLI and `actionhub mcp`
 * need, helpers for the HTTP API, and `stop()`.
 */
export async function startHub({ serveArgs = [] } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "actionhub-clients-"));
  const children = [];
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith("ACTIONHUB_") && name !== "RUST_LOG"),
  );
  try {
    const sim = await start(
      ["sim", "--bind", "127.0.0.1:0", "--rpm", "0", "--burst", "0", "--token", FRONT_TOKEN],
      base,
      (out) => (out.includes("\n") ? out.split("\n")[0].trim() : undefined),
    );
    children.push(sim.child);
    const env = {
      ...base,
      ACTIONHUB_DATA_DIR: join(dir, "data"),
      ACTIONHUB_DATABASE_URL: `sqlite://${join(dir, "hub.db")}`,
      ACTIONHUB_MASTER_KEY: `1:${randomBytes(32).toString("base64")}`,
      ACTIONHUB_FRONT_BASE_URL: sim.value,
      RUST_LOG: "warn",
    };
    const cli = (...args) =>
      execFileSync(BIN, args, { env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
    const apiKey = cli("keys", "create", "--name", "clients");
    const hub = await start(
      ["serve", "--bind", "127.0.0.1:0", ...serveArgs],
      { ...env, RUST_LOG: "info" },
      (_, err) => err.match(/actionhub serving.*address=(\S+)/)?.[1],
    );
    children.push(hub.child);
    const url = `http://${hub.value}`;
    const auth = "Basic " + Buffer.from(`${apiKey}:`).toString("base64");

    /** Calls the hub's HTTP API with the API key; resolves with `{status, body}`. */
    async function api(method, path, body) {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: { authorization: auth, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : null };
    }

    return {
      url,
      apiKey,
      auth,
      env,
      frontUrl: sim.value,
      cli,
      api,
      /** Links the simulator's company for a new owner through the CLI; returns the account id. */
      link(owner = `owner-${randomBytes(4).toString("hex")}`, ...extra) {
        return cli("accounts", "link", "--token", FRONT_TOKEN, "--owner-id", owner, "--owner-name", owner, ...extra);
      },
      async stop() {
        for (const child of children.reverse()) {
          if (child.exitCode === null) {
            const exited = new Promise((done) => child.once("exit", done));
            child.kill("SIGTERM");
            await exited;
          }
        }
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    for (const child of children) child.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
