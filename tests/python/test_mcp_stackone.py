"""StackOne's own Python SDK (`stackone-ai[mcp]`), pointed at the hub with `base_url`: it lists
the tools through `/mcp?param-style=flat_prefixed` (MCP) and executes them through
`/actions/rpc`, unchanged."""

from __future__ import annotations

import json

import pytest
from stackone_ai import StackOneToolSet

# The SDK itself still calls mcp's deprecated `streamablehttp_client`.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Use `streamable_http_client` instead:DeprecationWarning"
)


def toolset(hub, account: str) -> StackOneToolSet:
    return StackOneToolSet(api_key=hub.api_key, account_id=account, base_url=hub.url)


def test_stackone_sdk_lists_the_tools_in_flat_prefixed_style_and_executes_one(hub, account_id):
    tools = toolset(hub, account_id).fetch_tools()
    actions = json.loads(hub.cli("actions", "list", "--json"))
    core = [action["id"] for action in actions if action["core"]]
    assert sorted(tool.name for tool in tools) == sorted(core)

    listing = tools.get_tool("front_list_conversations")
    assert listing is not None
    # Listed with ?param-style=flat_prefixed: query fields carry their location prefix.
    assert "query_limit" in listing.parameters.properties

    result = listing.execute({"query_limit": 4})
    assert len(result["data"]) == 4
    assert isinstance(result["next"], str)

    get = tools.get_tool("front_get_conversation")
    assert "path_conversation_id" in get.parameters.properties
    one = get.execute({"path_conversation_id": result["data"][0]["id"]})
    assert one["data"]["id"] == result["data"][0]["id"]


def test_stackone_sdk_sees_only_a_restricted_account_tools(hub, restricted_account_id):
    tools = toolset(hub, restricted_account_id).fetch_tools()
    assert sorted(tool.name for tool in tools) == [
        "front_get_tag",
        "front_list_conversations",
        "front_list_tags",
    ]
    tags = tools.get_tool("front_list_tags").execute({"query_limit": 2})
    assert len(tags["data"]) == 2
