"""The official Python MCP client (`mcp`) against actionhub, over streamable HTTP (`/mcp`) and
over stdio (`actionhub mcp --account ID` as the server command): initialize, list the 52 core tools,
call a read and a write action against the simulator, and an invalid call that comes back as an
`isError` result."""

from __future__ import annotations

import asyncio
import json
from contextlib import asynccontextmanager

import httpx
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

TRANSPORTS = ["http", "stdio"]


@asynccontextmanager
async def session(hub, account: str, transport: str, query: str = "", args: tuple = ()):
    """An initialized client session for `account` over `transport`."""
    if transport == "http":
        headers = {"Authorization": hub.basic_auth(), "x-account-id": account}
        async with httpx.AsyncClient(headers=headers, timeout=30) as http:
            async with streamable_http_client(f"{hub.url}/mcp{query}", http_client=http) as (
                read,
                write,
                _,
            ):
                async with ClientSession(read, write) as client:
                    yield client, await client.initialize()
    else:
        server = StdioServerParameters(
            command=hub.binary, args=["mcp", "--account", account, *args], env=hub.env
        )
        async with stdio_client(server) as (read, write):
            async with ClientSession(read, write) as client:
                yield client, await client.initialize()


def catalogue_ids(hub) -> list[str]:
    """The tools listed by default: the core actions (toolset=all would list every one)."""
    actions = json.loads(hub.cli("actions", "list", "--json"))
    return [action["id"] for action in actions if action["core"]]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_initialize_list_read_write_and_an_invalid_call(hub, account_id, transport):
    async def scenario():
        async with session(hub, account_id, transport) as (client, init):
            assert init.serverInfo.name == "actionhub"
            assert init.capabilities.tools is not None
            assert account_id in (init.instructions or "")

            listed = await client.list_tools()
            assert listed.nextCursor is None
            assert [tool.name for tool in listed.tools] == catalogue_ids(hub)
            tools = {tool.name: tool for tool in listed.tools}
            delete = tools["front_delete_contact"].annotations
            assert delete.destructiveHint is True and delete.readOnlyHint is False
            assert tools["front_list_conversations"].annotations.readOnlyHint is True
            assert "path" in tools["front_get_conversation"].inputSchema["properties"]

            read = await client.call_tool("front_list_conversations", {"query": {"limit": 3}})
            assert read.isError is False, read.content
            # The answer comes once, as JSON text (compact by default), without a structured copy.
            assert read.structuredContent is None
            page = json.loads(read.content[0].text)
            assert len(page["data"]) == 3
            assert isinstance(page["next"], str)

            name = f"python-{transport}"
            written = await client.call_tool("front_create_tag", {"body": {"name": name}})
            assert written.isError is False, written.content
            tag = json.loads(written.content[0].text)["data"]
            assert tag["name"] == name
            fetched = await client.call_tool("front_get_tag", {"path": {"tag_id": tag["id"]}})
            assert json.loads(fetched.content[0].text)["data"]["name"] == name

            invalid = await client.call_tool("front_get_conversation", {"query": {"limit": "x"}})
            assert invalid.isError is True
            message = invalid.content[0].text
            assert "/path/conversation_id" in message, message

            unknown = await client.call_tool("front_list_conversation", {})
            assert unknown.isError is True
            assert "front_list_conversations" in unknown.content[0].text

    asyncio.run(scenario())


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_restricted_account_sees_and_runs_only_its_three_tools(
    hub, restricted_account_id, transport
):
    async def scenario():
        async with session(hub, restricted_account_id, transport) as (client, _):
            listed = await client.list_tools()
            assert sorted(tool.name for tool in listed.tools) == [
                "front_get_tag",
                "front_list_conversations",
                "front_list_tags",
            ]
            allowed = await client.call_tool("front_list_tags", {"query": {"limit": 2}})
            assert allowed.isError is False, allowed.content
            refused = await client.call_tool("front_list_teammates", {})
            assert refused.isError is True
            assert "not allowed" in refused.content[0].text

    asyncio.run(scenario())


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_flat_prefixed_and_search_execute(hub, account_id, transport):
    async def scenario():
        query = "?param-style=flat_prefixed&tool-mode=search_execute"
        args = ("--param-style", "flat_prefixed", "--tool-mode", "search_execute")
        async with session(hub, account_id, transport, query, args) as (client, _):
            listed = await client.list_tools()
            assert [tool.name for tool in listed.tools] == [
                "front_search_actions",
                "front_execute_action",
            ]
            found = await client.call_tool(
                "front_search_actions", {"query": "list the tags", "limit": 3}
            )
            ids = [hit["action_id"] for hit in found.structuredContent["results"]]
            assert "front_list_tags" in ids, ids
            ran = await client.call_tool(
                "front_execute_action",
                {"action_id": "front_list_tags", "arguments": {"query_limit": 2}},
            )
            assert ran.isError is False, ran.content
            assert len(json.loads(ran.content[0].text)["data"]) == 2

    asyncio.run(scenario())
