"""Schemathesis (pinned) against the running hub, from the hub's own `/openapi.json`: every
documented operation, with its examples and with generated input, authenticated (the API key
as HTTP Basic; a connect session's token for `/hub/*`). No answer may be a server error (5xx)
or break the document: its status must be documented, and its content type and body must
match what the document says for that status.

Bounded: 25 generated cases per operation at most, with a fixed seed (some 15 seconds);
`SCHEMATHESIS_MAX_EXAMPLES` and `SCHEMATHESIS_SEED` search deeper or elsewhere. Redirects are
not followed, so a 303 is checked as the operation's own answer. The document lists the HTML
pages too; their forms get generated fields, and answer with their documented pages and
redirects.
"""

import os
import pathlib
import subprocess
import sys

import httpx
import pytest
from conftest import running_hub

# What an answer may not do: be a server error, or differ from the document.
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


@pytest.fixture(scope="module")
def hub():
    """A simulator and hub of their own: Schemathesis deletes what it finds (its stateful phase
    follows `GET /accounts` to `DELETE /accounts/{id}`) and runs generated actions against
    Front's data, which the other tests must not see."""
    with running_hub() as running:
        yield running


@pytest.fixture(scope="module")
def hub_session_token(hub) -> str:
    """An edit-mode connect session for the hub's account: `/hub/accounts/{id}` can reach it."""
    response = httpx.post(
        f"{hub.url}/connect_sessions",
        auth=(hub.api_key, ""),
        json={"origin_owner_id": "schemathesis", "origin_owner_name": "Schemathesis", "account_id": hub.account_id},
    )
    response.raise_for_status()
    return response.json()["token"]


def config(account: str) -> str:
    """Real values where random ones would only meet 404s: the account (its id in paths, except
    for DELETE, which would end the run's use of it; `x-account-id`, so that `/actions/rpc`
    and `/mcp` run for it) and the connector's key."""
    return f"""
[parameters]
"header.x-account-id" = "{account}"

[[operations]]
include-path-regex = "^/(hub/)?accounts/[{{]id[}}]"
exclude-method = "DELETE"
parameters = {{ "path.id" = "{account}" }}

[[operations]]
include-path = "/hub/connectors/{{id}}"
parameters = {{ "path.id" = "front" }}
"""


def test_every_operation_answers_as_documented(hub, hub_session_token, tmp_path):
    config_file = tmp_path / "schemathesis.toml"
    config_file.write_text(config(hub.account_id))
    # Schemathesis' command line rather than its pytest plugin, whose lazy loading does not
    # run under the pinned pytest; the run is the same.
    schemathesis = pathlib.Path(sys.executable).with_name("schemathesis")
    command = [
        str(schemathesis), "--config-file", str(config_file), "run", f"{hub.url}/openapi.json",
        "--checks", CHECKS,
        "--auth", f"{hub.api_key}:",
        "--header", f"x-hub-session-token: {hub_session_token}",
        "--max-examples", os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "25"),
        "--seed", os.environ.get("SCHEMATHESIS_SEED", "1"),
        "--max-redirects", "0",
        "--request-timeout", "30",
        "--suppress-health-check", "all",
        "--report-dir", str(tmp_path),
    ]
    # Run where its cache directory (`.schemathesis/`) is thrown away with the test's files.
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=300, cwd=tmp_path,
        env={**os.environ, "NO_COLOR": "1", "SCHEMATHESIS_TELEMETRY": "false"},
    )
    assert done.returncode == 0, done.stdout[-20000:] + done.stderr[-5000:]
