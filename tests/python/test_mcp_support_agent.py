"""A support agent's day, over MCP with the official Python client, as an AI agent would work in
`search_execute` mode: it finds each action by asking in its own words, then runs it.

Find the newest unassigned conversation whose last message came from the customer, read its
messages, find the message template and the knowledge base article that match the customer's
words, reply in the same conversation with the template's text (the reply then appears in the
conversation's messages and as an outbound event), tag the conversation and assign it."""

from __future__ import annotations

import asyncio
import json
import re

from test_mcp_official_client import session

STOP_WORDS = {
    "the", "and", "for", "you", "your", "with", "this", "that", "have", "from", "our", "are",
    "was", "can", "not", "any", "will", "but", "has", "order", "please", "would", "like",
}


def words(text: str) -> set[str]:
    """The meaningful words of a text (HTML tags and order numbers dropped)."""
    text = re.sub(r"<[^>]+>", " ", text or "").lower()
    return {w for w in re.findall(r"[a-z]{3,}", text) if w not in STOP_WORDS}


def best_match(items: list[dict], about: set[str], *fields: str) -> tuple[dict, int]:
    """The item whose `fields` share the most words with `about`, and how many."""
    scored = [(len(about & words(" ".join(str(item.get(f) or "") for f in fields))), item) for item in items]
    score, item = max(scored, key=lambda pair: pair[0])
    return item, score


class Agent:
    """Finds an action by asking for it in plain words, then runs it."""

    def __init__(self, client):
        self.client = client
        self.asked: list[tuple[str, list[str]]] = []

    async def find(self, request: str, expected: str) -> str:
        found = await self.client.call_tool("front_search_actions", {"query": request, "limit": 5})
        assert found.isError is False, found.content
        ids = [hit["action_id"] for hit in found.structuredContent["results"]]
        self.asked.append((request, ids))
        assert expected in ids, f"{request!r} found {ids}, not {expected}"
        return expected

    async def run(self, request: str, expected: str, arguments: dict):
        action = await self.find(request, expected)
        ran = await self.client.call_tool(
            "front_execute_action", {"action_id": action, "arguments": arguments}
        )
        assert ran.isError is False, (action, ran.content)
        return json.loads(ran.content[0].text)["data"]


def test_a_support_agent_answers_the_newest_unassigned_customer_with_a_template(hub, account_id):
    async def scenario():
        query = "?tool-mode=search_execute"
        args = ("--tool-mode", "search_execute")
        async with session(hub, account_id, "http", query, args) as (client, _):
            agent = Agent(client)

            conversations = await agent.run(
                "show unassigned conversations", "front_list_conversations",
                {"query": {"q": {"statuses": ["unassigned"]}, "limit": 25}},
            )
            assert conversations, "the simulator has unassigned conversations"
            conversation, messages = None, []
            for candidate in conversations:  # newest first
                messages = await agent.run(
                    "read the messages of this conversation", "front_list_conversation_messages",
                    {"path": {"conversation_id": candidate["id"]}},
                )
                if messages and messages[0]["is_inbound"]:
                    conversation = candidate
                    break
            assert conversation, "an unassigned conversation waits on the team"
            customer_words = words(conversation["subject"]) | words(
                " ".join(m.get("text") or m.get("body") or "" for m in messages if m["is_inbound"])
            )

            templates = await agent.run(
                "find a canned response", "front_list_message_templates", {}
            )
            template, template_score = best_match(templates, customer_words, "name", "subject", "body")
            assert template_score > 0, (customer_words, [t["name"] for t in templates])

            bases = await agent.run("which help centers do we have", "front_list_knowledge_bases", {})
            articles = []
            for base in bases:
                articles += await agent.run(
                    "list the help articles of a knowledge base", "front_list_knowledge_base_articles",
                    {"path": {"knowledge_base_id": base["id"]}},
                )
            article, article_score = best_match(articles, customer_words, "subject", "name", "content")
            assert article_score > 0, (customer_words, [a.get("subject") for a in articles])

            reply_text = template["body"]
            await agent.run(
                "answer the customer in the same thread", "front_reply_to_conversation",
                # Front archives a conversation once it is answered unless told otherwise; the
                # agent keeps it open to tag and assign it.
                {"path": {"conversation_id": conversation["id"]},
                 "body": {"body": reply_text, "options": {"archive": False}}},
            )
            # The compact view gives each message's text; the HTML body is in the full view.
            after = await agent.run(
                "read the messages of this conversation", "front_list_conversation_messages",
                {"path": {"conversation_id": conversation["id"]}, "_view": "full"},
            )
            replies = [m for m in after if not m["is_inbound"] and m["body"] == reply_text]
            assert len(replies) == 1, [m["body"][:60] for m in after]
            events = await agent.run(
                "activity history of the conversation", "front_list_conversation_events",
                {"path": {"conversation_id": conversation["id"]}},
            )
            # Front records a reply in an existing conversation as `out_reply`, a new outbound
            # message as `outbound`: either is the outbound event of this reply.
            assert any(e["type"] in ("out_reply", "outbound") for e in events), [e["type"] for e in events]

            tags = await agent.run("what labels exist", "front_list_tags", {"query": {"limit": 100}})
            tag, _ = best_match(tags, customer_words, "name")
            await agent.run(
                "label the ticket", "front_add_conversation_tag",
                {"path": {"conversation_id": conversation["id"]}, "body": {"tag_ids": [tag["id"]]}},
            )
            teammates = await agent.run("which agents can I assign this to", "front_list_teammates", {})
            await agent.run(
                "assign the conversation to a teammate", "front_update_conversation_assignee",
                {"path": {"conversation_id": conversation["id"]}, "body": {"assignee_id": teammates[0]["id"]}},
            )
            final = await agent.run(
                "open this conversation", "front_get_conversation",
                {"path": {"conversation_id": conversation["id"]}},
            )
            assert final["assignee"]["id"] == teammates[0]["id"]
            assert tag["id"] in [t["id"] for t in final["tags"]]
            assert final["status"] == "assigned"

    asyncio.run(scenario())
