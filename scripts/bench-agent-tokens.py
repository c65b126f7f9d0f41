"""What an agent reads over MCP, and what MCP costs the hub (issue 16).

Run by scripts/bench-agent-tokens.sh, which starts a simulator and a hub, links an account and
sets HUB_URL, HUB_PID, API_KEY and ACCOUNT_ID. Only talks to the hub it is given.

1. Tokens: a typical support session over MCP (list 25 conversations, read one conversation
   and its messages, list tags), counted with tiktoken's `o200k_base` over the whole JSON-RPC
   `result` of each call, serialised as a client hands it to a model. Three shapes of the same
   answers: before issue 16 (Front's full answer twice: `structuredContent` and its text copy),
   `_view: "full"` (Front's answer once) and the compact default.
2. Hub CPU: `tools/call front_list_conversations` (25) against `POST /actions/rpc` for the same
   action, as the hub process's utime + stime (/proc/PID/stat) over N sequential calls of each,
   in alternating rounds; medians.

Prints Markdown tables on stdout; progress on stderr.
"""

import hashlib
import http.client
import json
import os
import statistics
import struct
import sys
import urllib.parse
from base64 import b64encode

import quicktok
import tiktoken
from tiktoken_ext import openai_public

HUB_URL = os.environ["HUB_URL"]
HUB_PID = int(os.environ["HUB_PID"])
API_KEY = os.environ["API_KEY"]
ACCOUNT_ID = os.environ["ACCOUNT_ID"]
CALLS = int(os.environ.get("CALLS", "1000"))
ROUNDS = int(os.environ.get("ROUNDS", "3"))
PAGE = 25


def note(message):
    print(f"== {message}", file=sys.stderr, flush=True)


def o200k_base():
    """tiktoken's `o200k_base`, offline: tiktoken's own definition of the encoding (pattern,
    special tokens), with its ranks read from the vocabulary the `quicktok` package ships
    instead of downloaded. The ranks are written out in tiktoken's file format and must match
    the SHA-256 tiktoken expects for that file, so the tokens are exactly tiktoken's."""
    path = os.path.join(os.path.dirname(quicktok.__file__), "data", "o200k.vocab")
    with open(path, "rb") as file:
        data = file.read()
    # u32 count, then per token: u16 length, its bytes, u32 rank (all little-endian).
    (count,) = struct.unpack_from("<I", data, 0)
    ranks, offset = {}, 4
    while offset < len(data):
        (length,) = struct.unpack_from("<H", data, offset)
        token = data[offset + 2 : offset + 2 + length]
        (rank,) = struct.unpack_from("<I", data, offset + 2 + length)
        ranks[token] = rank
        offset += 6 + length
    assert len(ranks) == count, "the vocabulary file is not what this script reads"
    as_tiktoken_file = b"".join(
        b64encode(token) + b" " + str(rank).encode() + b"\n"
        for token, rank in sorted(ranks.items(), key=lambda item: item[1])
    )

    def load_tiktoken_bpe(_url, expected_hash=None):
        digest = hashlib.sha256(as_tiktoken_file).hexdigest()
        if expected_hash is not None and digest != expected_hash:
            raise SystemExit(f"quicktok's o200k vocabulary is not tiktoken's ({digest})")
        return ranks

    openai_public.load_tiktoken_bpe = load_tiktoken_bpe
    return tiktoken.Encoding(**openai_public.o200k_base())


class Hub:
    def __init__(self):
        url = urllib.parse.urlparse(HUB_URL)
        self.connection = http.client.HTTPConnection(url.hostname, url.port)
        token = b64encode(f"{API_KEY}:".encode()).decode()
        self.headers = {
            "Authorization": f"Basic {token}",
            "x-account-id": ACCOUNT_ID,
            "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream",
        }
        self.ids = 0

    def post(self, path, body):
        self.connection.request("POST", path, json.dumps(body), self.headers)
        response = self.connection.getresponse()
        text = response.read()
        if response.status != 200:
            raise SystemExit(f"{path}: {response.status} {text[:300]!r}")
        return json.loads(text)

    def tool(self, name, arguments):
        self.ids += 1
        answer = self.post(
            "/mcp",
            {
                "jsonrpc": "2.0",
                "id": self.ids,
                "method": "tools/call",
                "params": {"name": name, "arguments": arguments},
            },
        )
        result = answer["result"]
        if result.get("isError"):
            raise SystemExit(f"{name}: {result}")
        return result


def in_context(result):
    """A tool result as a client puts it in a model's context: its JSON."""
    return json.dumps(result, ensure_ascii=False, separators=(",", ":"))


def before_issue_16(full):
    """The shape tools/call had before issue 16: the same full answer as structuredContent and
    as its text copy (the full view now answers the text alone, byte for byte the same)."""
    return {
        "content": full["content"],
        "structuredContent": json.loads(full["content"][0]["text"]),
        "isError": False,
    }


def tokens():
    encoding = o200k_base()
    hub = Hub()
    listed = hub.tool("front_list_conversations", {"query": {"limit": PAGE}, "_view": "full"})
    conversation = json.loads(listed["content"][0]["text"])["data"][0]["id"]
    session = [
        (f"list conversations ({PAGE})", "front_list_conversations", {"query": {"limit": PAGE}}),
        ("read one conversation", "front_get_conversation", {"path": {"conversation_id": conversation}}),
        ("its messages", "front_list_conversation_messages", {"path": {"conversation_id": conversation}}),
        ("list tags", "front_list_tags", {}),
    ]
    rows, totals = [], [0, 0, 0]
    for label, name, arguments in session:
        full = hub.tool(name, {**arguments, "_view": "full"})
        compact = hub.tool(name, arguments)
        counts = [
            len(encoding.encode_ordinary(in_context(shape)))
            for shape in (before_issue_16(full), full, compact)
        ]
        totals = [t + c for t, c in zip(totals, counts)]
        rows.append((label, f"`{name}`", *counts))
    rows.append(("**session**", "", *totals))
    print("| step | tool | before (full, twice) | `_view: \"full\"` (once) | compact (default) | fewer than before |")
    print("|---|---|---:|---:|---:|---:|")
    for label, name, before, full, compact in rows:
        print(f"| {label} | {name} | {before} | {full} | {compact} | {100 * (1 - compact / before):.1f}% |")
    print()
    return totals


def ticks():
    with open(f"/proc/{HUB_PID}/stat") as file:
        fields = file.read().rsplit(")", 1)[1].split()
    # utime and stime are the 14th and 15th fields; the split starts at the 3rd.
    return int(fields[11]) + int(fields[12])


def cpu():
    hub = Hub()
    per_second = os.sysconf("SC_CLK_TCK")
    rpc_body = {"action": "front_list_conversations", "query": {"limit": PAGE}}
    calls = {
        "`POST /actions/rpc`": lambda: hub.post("/actions/rpc", rpc_body),
        "MCP `tools/call`, compact (default)": lambda: hub.tool(
            "front_list_conversations", {"query": {"limit": PAGE}}
        ),
        "MCP `tools/call`, `_view: \"full\"`": lambda: hub.tool(
            "front_list_conversations", {"query": {"limit": PAGE}, "_view": "full"}
        ),
    }
    samples = {label: [] for label in calls}
    for round_ in range(ROUNDS):
        for label, call in calls.items():
            for _ in range(20):
                call()
            note(f"round {round_ + 1}/{ROUNDS}: {label}, {CALLS} calls")
            start = ticks()
            for _ in range(CALLS):
                call()
            used = (ticks() - start) / per_second
            samples[label].append(used / CALLS * 1e6)
    rpc = statistics.median(samples["`POST /actions/rpc`"])
    print(f"| request (front_list_conversations, {PAGE}) | hub CPU per call (µs, median of {ROUNDS} × {CALLS}) | ÷ RPC |")
    print("|---|---:|---:|")
    for label, values in samples.items():
        median = statistics.median(values)
        print(f"| {label} | {median:.0f} | {median / rpc:.2f} |")
    print()


if __name__ == "__main__":
    before, _, compact = tokens()
    cpu()
    if compact > 0.3 * before:
        raise SystemExit(f"the compact session reads {compact} tokens: not 70% fewer than {before}")
