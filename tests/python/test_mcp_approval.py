"""Approval over MCP with the official Python client (`mcp`), over stdio (`actionhub mcp
--account ID`): a call a policy holds is asked about with an elicitation, and the person's
answer decides it. Approved, the call runs and its answer comes back; rejected, the tool says it
did not run and why. The policy is set with `actionhub policy set`."""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx
from mcp import ClientSession, StdioServerParameters, types
from mcp.client.stdio import stdio_client


async def call_with_answer(hub, account: str, answer: dict, arguments: dict):
    """Calls front_create_tag over stdio with a client whose elicitation callback gives `answer`;
    returns the tool result and the elicitations it was asked."""
    asked: list[types.ElicitRequestParams] = []

    async def elicitation(_context, params: types.ElicitRequestParams):
        asked.append(params)
        return types.ElicitResult(action="accept", content=answer)

    server = StdioServerParameters(command=hub.binary, args=["mcp", "--account", account], env=hub.env)
    async with stdio_client(server) as (read, write):
        async with ClientSession(read, write, elicitation_callback=elicitation) as client:
            await client.initialize()
            listed = [tool.name for tool in (await client.list_tools()).tools]
            assert "front_get_approval" in listed, listed
            result = await client.call_tool("front_create_tag", arguments)
    return result, asked


def approvals(hub, status: str) -> list[dict]:
    response = httpx.get(
        f"{hub.url}/approvals",
        params={"status": status},
        headers={"Authorization": hub.basic_auth()},
        timeout=30,
    )
    response.raise_for_status()
    return response.json()["data"]


def test_a_held_call_is_approved_then_another_rejected_through_an_elicitation(hub):
    account = hub.link_account()
    hub.cli("policy", "set", "--account", account, "front_create_tag=approve")

    name = f"approved-{uuid.uuid4().hex[:8]}"
    result, asked = asyncio.run(
        call_with_answer(hub, account, {"approve": True}, {"body": {"name": name}})
    )
    assert result.isError is False, result.content
    assert json.loads(result.content[0].text)["data"]["name"] == name
    assert len(asked) == 1
    question = asked[0]
    assert "front_create_tag" in question.message and "POST /tags" in question.message
    assert name in question.message
    schema = question.requestedSchema
    assert schema["properties"]["approve"]["type"] == "boolean"
    assert schema["required"] == ["approve"]
    decided = [a for a in approvals(hub, "succeeded") if a["account_id"] == account]
    assert len(decided) == 1 and decided[0]["decided_by"].startswith("mcp:"), decided

    refused = f"refused-{uuid.uuid4().hex[:8]}"
    result, asked = asyncio.run(
        call_with_answer(
            hub, account, {"approve": False, "reason": "not today"}, {"body": {"name": refused}}
        )
    )
    assert result.isError is True
    text = result.content[0].text
    assert "was not run" in text and "not today" in text, text
    assert len(asked) == 1
    rejected = [a for a in approvals(hub, "rejected") if a["account_id"] == account]
    assert len(rejected) == 1 and rejected[0]["reason"] == "not today", rejected
    tags = hub.cli("run", "front_list_tags", "--account", account, "--query", "limit=100", "--json")
    assert name in tags and refused not in tags
