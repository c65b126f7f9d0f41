"""StackOne's Python client (`stackone-ai`, pinned) runs actions through the hub unchanged,
pointed at it with `base_url`: it lists the tools over MCP and executes them with
`POST /actions/rpc` in its own `flat_prefixed` argument style."""

import httpx
import pytest
from stackone_ai import StackOneToolSet
from stackone_ai.models import StackOneAPIError


def toolset(hub, account_id=None):
    return StackOneToolSet(api_key=hub.api_key, account_id=account_id or hub.account_id, base_url=hub.base_url)


def test_a_list_action_runs_and_pages(hub):
    tools = toolset(hub).fetch_tools(actions=["front_list_*"])
    tool = tools.get_tool("front_list_conversations")
    assert tool is not None
    first = tool.execute({"query_limit": 5})
    assert len(first["data"]) == 5
    assert all(item["id"].startswith("cnv_") for item in first["data"])
    assert first["next"]
    second = tool.execute({"query_limit": 5, "query_next": first["next"]})
    assert {c["id"] for c in second["data"]}.isdisjoint({c["id"] for c in first["data"]})


def test_path_and_body_arguments_reach_front(hub):
    tools = toolset(hub).fetch_tools(actions=["front_*_tag"])
    created = tools.get_tool("front_create_tag").execute({"body_name": "From Python"})
    tag_id = created["data"]["id"]
    fetched = tools.get_tool("front_get_tag").execute({"path_tag_id": tag_id})
    assert fetched["data"]["name"] == "From Python"
    # The run log recorded both, without bodies.
    runs = httpx.get(f"{hub.base_url}/runs", params={"limit": 5}, auth=(hub.api_key, "")).json()["data"]
    assert [r["action"] for r in runs[:2]] == ["front_get_tag", "front_create_tag"]
    assert all("From Python" not in str(r) for r in runs)


def test_an_action_outside_the_account_is_refused(hub):
    restricted = hub.link_account(actions=["front_list_tags"])
    tools = toolset(hub, restricted).fetch_tools()
    assert tools.get_tool("front_list_tags") is not None
    # The MCP listing only offers the allowed action; the RPC refuses the others by name.
    response = httpx.post(
        f"{hub.base_url}/actions/rpc",
        auth=(hub.api_key, ""),
        headers={"x-account-id": restricted},
        json={"action": "front_list_teammates", "body": {}, "headers": {"x-account-id": restricted}},
    )
    assert response.status_code == 403
    assert "front_list_teammates" in response.json()["message"]


def test_front_errors_surface_as_stackone_errors(hub):
    tool = toolset(hub).fetch_tools(actions=["front_get_conversation"]).get_tool("front_get_conversation")
    with pytest.raises(StackOneAPIError) as raised:
        tool.execute({"path_conversation_id": "cnv_does_not_exist"})
    assert raised.value.status_code == 404
