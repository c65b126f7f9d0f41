"""Fixtures for the tests that drive actionhub with StackOne's own Python client and the
official MCP client.

A session-wide Front simulator and hub are started from the real `actionhub` binary
(`ACTIONHUB_BIN`, default `target/debug/actionhub`), on a temporary SQLite database; an API key
is created and accounts are linked through the command line, as a user would. `hub` offers the
hub's URL, the key, the default account, the binary and its environment (for `actionhub mcp`
over stdio), `cli(...)` and `link_account(actions=...)` for accounts restricted to some actions.
"""

import base64
import os
import pathlib
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from typing import Callable, Optional

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
FRONT_TOKEN = "pytest-front-token"


def _binary() -> str:
    path = pathlib.Path(os.environ.get("ACTIONHUB_BIN", REPO / "target" / "debug" / "actionhub"))
    if not path.is_absolute():
        path = REPO / path
    if not path.exists():
        pytest.exit(f"no actionhub binary at {path}: run `cargo build` or set ACTIONHUB_BIN", 2)
    return str(path)


def _wait_for(log: pathlib.Path, needle: str, process: subprocess.Popen, timeout: float = 30) -> str:
    """The first line of `log` containing `needle`, waiting for it to appear."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace") if log.exists() else ""
        for line in text.splitlines():
            if needle in line:
                return line
        if process.poll() is not None:
            raise RuntimeError(f"the process exited early: {text}")
        time.sleep(0.05)
    raise RuntimeError(f"`{needle}` did not appear in {log}")


@dataclass
class Hub:
    """A running hub: where it is, an API key, a linked account, and how to run the CLI."""

    url: str
    api_key: str
    account_id: str
    front_url: str
    front_token: str
    binary: str
    env: dict = field(repr=False)
    link_account: Callable[..., str] = field(repr=False)
    cli: Callable[..., str] = field(repr=False)

    @property
    def base_url(self) -> str:
        return self.url

    def basic_auth(self) -> str:
        """The `Authorization` header value for the API key (HTTP Basic, empty password)."""
        return "Basic " + base64.b64encode(f"{self.api_key}:".encode()).decode()


@pytest.fixture(scope="session")
def hub():
    binary = _binary()
    work = pathlib.Path(tempfile.mkdtemp(prefix="actionhub-pytest-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACTIONHUB_") and k != "RUST_LOG"}
    processes = []
    try:
        sim_log = work / "sim.log"
        with open(work / "sim.out", "w") as out, open(sim_log, "w") as err:
            sim = subprocess.Popen(
                [binary, "sim", "--bind", "127.0.0.1:0", "--rpm", "0", "--burst", "0", "--token", FRONT_TOKEN],
                stdout=out, stderr=err, env=env,
            )
        processes.append(sim)
        sim_out = work / "sim.out"
        front_url = _wait_for(sim_out, "http://", sim).strip()
        env.update({
            "ACTIONHUB_DATA_DIR": str(work / "data"),
            "ACTIONHUB_FRONT_BASE_URL": front_url,
        })

        def run_cli(*args: str) -> str:
            done = subprocess.run([binary, *args], env=env, capture_output=True, text=True, timeout=60)
            if done.returncode != 0:
                raise RuntimeError(f"actionhub {' '.join(args)} failed: {done.stderr.strip()}")
            return done.stdout.strip()

        def link_account(actions: Optional[list] = None, owner: Optional[str] = None) -> str:
            """Links the simulator's company for a new owner; `actions` restricts the account."""
            owner = owner or f"owner-{uuid.uuid4().hex[:8]}"
            args = ["accounts", "link", "--token", FRONT_TOKEN, "--owner-id", owner, "--owner-name", owner]
            if actions:
                args += ["--actions", ",".join(actions)]
            return run_cli(*args)

        api_key = run_cli("keys", "create", "--name", "pytest")
        account_id = link_account(owner="pytest-default")
        hub_log = work / "hub.log"
        with open(hub_log, "w") as err:
            server = subprocess.Popen(
                [binary, "serve", "--bind", "127.0.0.1:0"],
                stdout=subprocess.DEVNULL, stderr=err,
                # Webhook receivers in the tests listen on loopback; events are read every second.
                env={**env, "RUST_LOG": "info", "ACTIONHUB_WEBHOOK_ALLOW_PRIVATE": "1",
                     "ACTIONHUB_EVENTS_POLL_SECS": "1"},
            )
        processes.append(server)
        line = _wait_for(hub_log, "actionhub serving", server)
        address = line.split("address=")[1].split()[0]
        yield Hub(
            url=f"http://{address}",
            api_key=api_key,
            account_id=account_id,
            front_url=front_url,
            front_token=FRONT_TOKEN,
            binary=binary,
            env=env,
            link_account=link_account,
            cli=run_cli,
        )
    finally:
        for process in reversed(processes):
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture(scope="session")
def account_id(hub) -> str:
    """The hub's default linked account (every action allowed)."""
    return hub.account_id


@pytest.fixture(scope="session")
def restricted_account_id(hub) -> str:
    """An account restricted to three actions, as the scope guide would pick them."""
    return hub.link_account(actions=["front_list_tags", "front_get_tag", "front_list_conversations"])
