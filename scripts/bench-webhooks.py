#!/usr/bin/env python3
"""Webhooks benchmark (issue 14), driven by scripts/bench-webhooks.sh: the real `actionhub`
binary (`serve` and `sim`), a receiver on loopback (python3's standard library only), and
writes through `/actions/rpc`.

Scenarios, each on a fresh simulator and hub:

1. latency: comments added one at a time at random intervals; for each, the time from the
   RPC write's answer to the receiver getting its `front.comment` message, and (the baseline)
   from the simulator's own `emitted_at` to receipt. At the default poll settings (15 s,
   budget share 0.1 of the simulator's default 100 requests a minute), then with
   `--events-poll-secs 5` and `1` without a budget, and `1` under the budget share.
2. throughput: a replay queues N stored events at once to a new endpoint; events per second
   until the receiver has all N.
3. budget: with a small budget (`--rpm`, `--window-secs`) and a backlog of events, how many
   events the hub follows per minute, against the ceiling share x budget x 15 events a page
   (twice the share while events wait), before and after the hub has learnt the window.

Prints a Markdown report on stdout; progress on stderr.
"""

import argparse
import base64
import json
import os
import pathlib
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FRONT_TOKEN = "bench-front-token"
PAGE_OF_EVENTS = 15


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Receiver:
    """Keeps (receipt time, path, parsed body) of every POST and answers 204."""

    def __init__(self):
        self.received = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                at = time.time()
                with receiver.lock:
                    receiver.received.append((at, self.path, json.loads(body)))
                self.send_response(204)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def at(self, path: str) -> list:
        with self.lock:
            return [(at, body) for at, p, body in self.received if p == path]

    def wait(self, path: str, count: int, timeout: float, what: str) -> list:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.at(path)
            if len(got) >= count:
                return got
            time.sleep(0.05)
        raise SystemExit(f"{what}: {len(self.at(path))} of {count} messages within {timeout:.0f} s")

    def close(self):
        self.server.shutdown()


def wait_for_line(path: pathlib.Path, needle: str, process: subprocess.Popen) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for line in path.read_text(errors="replace").splitlines():
            if needle in line:
                return line
        if process.poll() is not None:
            raise SystemExit(f"exited early: {path.read_text(errors='replace')}")
        time.sleep(0.05)
    raise SystemExit(f"`{needle}` did not appear in {path}")


class Stack:
    """A simulator and a hub with one API key and one linked account."""

    def __init__(self, binary: str, sim_args: list, serve_args: list):
        self.binary = binary
        self.work = pathlib.Path(tempfile.mkdtemp(prefix="actionhub-bench-webhooks-"))
        self.processes = []
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("ACTIONHUB_") and k != "RUST_LOG"}
        sim_out = self.work / "sim.out"
        with open(sim_out, "w") as out, open(self.work / "sim.err", "w") as err:
            sim = subprocess.Popen(
                [binary, "sim", "--bind", "127.0.0.1:0", "--token", FRONT_TOKEN, *sim_args],
                stdout=out, stderr=err, env=self.env,
            )
        self.processes.append(sim)
        front_url = wait_for_line(sim_out, "http://", sim).strip()
        self.env.update({
            "ACTIONHUB_DATA_DIR": str(self.work / "data"),
            "ACTIONHUB_FRONT_BASE_URL": front_url,
            "ACTIONHUB_WEBHOOK_ALLOW_PRIVATE": "1",
        })
        self.key = self.cli("keys", "create", "--name", "bench")
        self.account = self.cli(
            "accounts", "link", "--token", FRONT_TOKEN, "--owner-id", "bench", "--owner-name", "bench"
        )
        hub_log = self.work / "hub.log"
        with open(hub_log, "w") as err:
            hub = subprocess.Popen(
                [binary, "serve", "--bind", "127.0.0.1:0", *serve_args],
                stdout=subprocess.DEVNULL, stderr=err, env={**self.env, "RUST_LOG": "info"},
            )
        self.processes.append(hub)
        address = wait_for_line(hub_log, "actionhub serving", hub).split("address=")[1].split()[0]
        self.url = f"http://{address}"

    def cli(self, *args: str) -> str:
        done = subprocess.run([self.binary, *args], env=self.env, capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise SystemExit(f"actionhub {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout.strip()

    def api(self, method: str, path: str, body=None) -> dict:
        request = urllib.request.Request(
            f"{self.url}{path}", method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"content-type": "application/json", "x-account-id": self.account},
        )
        request.add_header("authorization", "Basic " + base64.b64encode(f"{self.key}:".encode()).decode())
        with urllib.request.urlopen(request, timeout=60) as response:
            text = response.read()
        return json.loads(text) if text else {}

    def rpc(self, action: str, **input) -> dict:
        return self.api("POST", "/actions/rpc", {"action": action, **input})

    def endpoint(self, url: str, events: list) -> str:
        return self.api("POST", "/webhooks", {"url": url, "events": events})["id"]

    def conversation(self) -> str:
        return self.rpc("front_list_conversations", query={"limit": 1})["data"][0]["id"]

    def close(self):
        for process in reversed(self.processes):
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def percentile(values: list, share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def latency(binary: str, receiver: Receiver, label: str, sim_args: list, serve_args: list,
            writes: int, gap: tuple, warm_up: float = 0) -> dict:
    log(f"latency ({label}): {writes} comments, {gap[0]}-{gap[1]} s apart")
    stack = Stack(binary, sim_args, serve_args)
    try:
        path = f"/latency-{random.randrange(1 << 30)}"
        stack.endpoint(receiver.base + path, ["front.comment"])
        conversation = stack.conversation()
        # See `budget`: the share applies once the hub has seen a window open.
        time.sleep(warm_up)
        answered = {}
        rpc_seconds = []
        for n in range(writes):
            time.sleep(random.uniform(*gap))
            sent = time.time()
            comment = stack.rpc(
                "front_add_conversation_comment",
                path={"conversation_id": conversation}, body={"body": f"bench {n}"},
            )["data"]["id"]
            answered[comment] = time.time()
            rpc_seconds.append(answered[comment] - sent)
        got = receiver.wait(path, writes, 120, f"latency ({label})")
        from_answer, from_emitted = [], []
        for at, body in got:
            event = body["data"]["event"]
            from_answer.append(at - answered[event["target"]["data"]["id"]])
            from_emitted.append(at - event["emitted_at"])
        return {
            "label": label,
            "samples": len(from_answer),
            "p50": percentile(from_answer, 0.5),
            "p99": percentile(from_answer, 0.99),
            "max": max(from_answer),
            "emitted_p50": percentile(from_emitted, 0.5),
            "emitted_p99": percentile(from_emitted, 0.99),
            "rpc_p50": percentile(rpc_seconds, 0.5),
        }
    finally:
        stack.close()


def tag_all(stack: Stack, conversation: str, tags: list, rounds: int) -> None:
    """`rounds` writes alternately adding and removing every tag: up to 50 events each."""
    for n in range(rounds):
        action = "front_add_conversation_tag" if n % 2 == 0 else "front_remove_conversation_tag"
        stack.rpc(action, path={"conversation_id": conversation}, body={"tag_ids": tags})


def throughput(binary: str, receiver: Receiver, rounds: int) -> dict:
    log(f"throughput: {rounds} tag-all/untag-all writes, then a replay to a new endpoint")
    stack = Stack(binary, ["--rpm", "0", "--burst", "0"], ["--events-poll-secs", "1"])
    try:
        follow_path = f"/follow-{random.randrange(1 << 30)}"
        stack.endpoint(receiver.base + follow_path, ["front.*"])
        since = int(time.time()) - 1
        conversation = stack.conversation()
        tags = [tag["id"] for tag in stack.rpc("front_list_tags", query={"limit": 100})["data"]][:50]
        tag_all(stack, conversation, tags, rounds)
        # Every event is stored once the first endpoint has them all and nothing more comes.
        quiet_since, seen = time.monotonic(), -1
        while time.monotonic() - quiet_since < 3:
            count = len(receiver.at(follow_path))
            if count != seen:
                seen, quiet_since = count, time.monotonic()
            time.sleep(0.1)
        replay_path = f"/replay-{random.randrange(1 << 30)}"
        endpoint = stack.endpoint(receiver.base + replay_path, ["front.*"])
        started = time.time()
        queued = stack.api("POST", f"/webhooks/{endpoint}/replay", {"since": since})["queued"]
        got = receiver.wait(replay_path, queued, 300, "throughput")
        elapsed = max(at for at, _ in got) - started
        return {"events": queued, "seconds": elapsed, "per_second": queued / elapsed}
    finally:
        stack.close()


def budget(binary: str, receiver: Receiver, label: str, rpm: int, window: int, share: float,
           warm_up: float, rounds: int, minutes: float) -> dict:
    log(f"budget ({label}): --rpm {rpm} --window-secs {window}, share {share}, "
        f"{warm_up:g} s warm-up, {rounds} tag-all writes, {minutes:g} min")
    stack = Stack(binary, ["--rpm", str(rpm), "--window-secs", str(window)],
                  ["--events-budget-share", str(share)])
    try:
        path = f"/budget-{random.randrange(1 << 30)}"
        stack.endpoint(receiver.base + path, ["front.*"])
        conversation = stack.conversation()
        tags = [tag["id"] for tag in stack.rpc("front_list_tags", query={"limit": 100})["data"]][:50]
        # The hub learns a window's length from an answer that opens a window; the CLI's link
        # opened the first one, so until a window of the hub's own, the share has no budget to
        # divide.
        time.sleep(warm_up)
        started = time.time()
        tag_all(stack, conversation, tags, rounds)
        time.sleep(max(0.0, started + minutes * 60 - time.time()))
        followed = [at for at, _ in receiver.at(path) if started <= at <= started + minutes * 60]
        per_minute_budget = rpm * 60 / window
        return {
            "label": label,
            "rpm": rpm,
            "window": window,
            "share": share,
            "minutes": minutes,
            "events": len(followed),
            "per_minute": len(followed) / minutes,
            "ceiling_idle": share * per_minute_budget * PAGE_OF_EVENTS,
            "ceiling_backlog": min(2 * share, 0.5) * per_minute_budget * PAGE_OF_EVENTS,
        }
    finally:
        stack.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("binary")
    parser.add_argument("--quick", action="store_true", help="few samples: checks the script runs")
    args = parser.parse_args()
    quick = args.quick
    receiver = Receiver()
    try:
        latencies = [
            latency(args.binary, receiver, "default: poll 15 s; share 0.1 of 100 rpm", [], [],
                    writes=10 if quick else 80, gap=(0.5, 2.5)),
            latency(args.binary, receiver, "--events-poll-secs 5; no budget (sim --rpm 0)",
                    ["--rpm", "0", "--burst", "0"], ["--events-poll-secs", "5"],
                    writes=5 if quick else 40, gap=(0.2, 1.5)),
            latency(args.binary, receiver, "--events-poll-secs 1; no budget (sim --rpm 0)",
                    ["--rpm", "0", "--burst", "0"], ["--events-poll-secs", "1"],
                    writes=5 if quick else 60, gap=(0.1, 0.6)),
            latency(args.binary, receiver, "--events-poll-secs 1; share 0.1 of 100 rpm, window learnt",
                    [], ["--events-poll-secs", "1"], warm_up=5 if quick else 65,
                    writes=5 if quick else 30, gap=(0.5, 2.5)),
        ]
        burst = throughput(args.binary, receiver, rounds=4 if quick else 40)
        budgets = [
            budget(args.binary, receiver, "first window", rpm=20, window=20, share=0.1,
                   warm_up=0, rounds=4 if quick else 16, minutes=0.5 if quick else 1),
            budget(args.binary, receiver, "window learnt", rpm=20, window=20, share=0.1,
                   warm_up=5 if quick else 45, rounds=4 if quick else 16, minutes=0.5 if quick else 2),
        ]
    finally:
        receiver.close()

    print("| poll settings | writes | write→delivery p50 | p99 | max | emitted_at→delivery p50 | p99 | RPC write p50 |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in latencies:
        print(f"| {r['label']} | {r['samples']} | {r['p50']:.2f} s | {r['p99']:.2f} s | {r['max']:.2f} s "
              f"| {r['emitted_p50']:.2f} s | {r['emitted_p99']:.2f} s | {r['rpc_p50'] * 1000:.1f} ms |")
    print()
    print(f"Delivery throughput: {burst['events']} queued messages delivered in {burst['seconds']:.2f} s "
          f"= **{burst['per_second']:.0f} events/s**")
    print()
    print("| budget (sim) | share | when | events followed | per minute | ceiling at the share | at twice the share (backlog) |")
    print("|---|---:|---|---:|---:|---:|---:|")
    for r in budgets:
        print(f"| --rpm {r['rpm']} --window-secs {r['window']} | {r['share']} | {r['label']} "
              f"| {r['events']} in {r['minutes']:g} min | **{r['per_minute']:.0f}/min** "
              f"| {r['ceiling_idle']:.0f}/min | {r['ceiling_backlog']:.0f}/min |")


if __name__ == "__main__":
    main()
