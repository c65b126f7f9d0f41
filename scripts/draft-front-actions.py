#!/usr/bin/env python3
"""Drafts catalogue entries for the Front operations that connectors/front/ does not declare yet.

Usage: scripts/draft-front-actions.py CORE_API_JSON [--check]

Reads Front's OpenAPI spec (core-api.json) and the actions already declared under
connectors/front/actions/, and appends a draft for every operation that is neither declared nor
listed in connector.json's `excluded`. A draft carries what a generator can know from the spec's
structure: the operation (method, path, scopes), its inputs (path, query and body fields with
their types, enums, limits and required flags), read-only / destructive / idempotent hints from
the method, and an example built from the resources' example ids. Ids follow the catalogue's
`front_<verb>_<noun>` style (from the operationId, with the renames below). Labels, descriptions
and examples are then curated by hand in the files: the script never rewrites a declared action,
so running it again only drafts what is still missing.

--check lists what would be drafted and exits non-zero if anything is missing; the test script
does not run it (the catalogue's spec test already fails on an undeclared field), it is for
whoever updates the spec.
"""

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONNECTOR = ROOT / "connectors/front/connector.json"
ACTIONS = ROOT / "connectors/front/actions"
METHODS = ("get", "post", "put", "patch", "delete")

# operationId → the catalogue's id where the operationId reads badly as an action id.
RENAMES = {
    "add-contact-to-account": "front_add_account_contacts",
    "remove-contact-from-account": "front_remove_account_contacts",
    "receive-custom-messages": "front_receive_custom_message",
    "download-attachment-for-a-comment": "front_download_comment_attachment",
    "list-all-company-rules": "front_list_company_rules",
    "list-company-ticket-statuses": "front_list_ticket_statuses",
    "get-ticket-status-by-id": "front_get_ticket_status",
    "list-groups": "front_list_contact_groups",
    "create-group": "front_create_contact_group",
    "delete-group": "front_delete_contact_group",
    "list-contacts-in-group": "front_list_contact_group_contacts",
    "add-contacts-to-group": "front_add_contact_group_contacts",
    "remove-contacts-from-group": "front_remove_contact_group_contacts",
    "list-contacts-in-contact-list": "front_list_contact_list_contacts",
    "add-contacts-to-contact-list": "front_add_contact_list_contacts",
    "remove-contacts-from-contact-list": "front_remove_contact_list_contacts",
    "list-notes": "front_list_contact_notes",
    "delete-conversation-followers": "front_remove_conversation_followers",
    "add-conversation-link": "front_add_conversation_links",
    "create-message-reply": "front_reply_to_conversation",
    "edit-draft": "front_update_draft",
    "import-inbox-message": "front_import_message",
    "list-inbox-access": "front_list_inbox_teammates",
    "add-inbox-access": "front_add_inbox_teammates",
    "removes-inbox-access": "front_remove_inbox_teammates",
    "delete-an-article": "front_delete_knowledge_base_article",
    "get-knowledge-base-article-with-content-in-default-locale": "front_get_knowledge_base_article_content",
    "update-article-content-in-default-locale": "front_update_knowledge_base_article_content",
    "download-attachment-from-an-article": "front_download_knowledge_base_article_attachment",
    "get-knowledge-base-article-with-content-in-specified-locale": "front_get_knowledge_base_article_locale_content",
    "update-article-content-in-specified-locale": "front_update_knowledge_base_article_locale_content",
    "list-articles-in-a-category": "front_list_knowledge_base_category_articles",
    "get-knowledge-base-category-content-in-default-locale": "front_get_knowledge_base_category_content",
    "update-knowledge-base-category-in-default-locale": "front_update_knowledge_base_category_content",
    "get-knowledge-base-category-with-content-in-specified-locale": "front_get_knowledge_base_category_locale_content",
    "update-knowledge-base-category-in-specified-locale": "front_update_knowledge_base_category_locale_content",
    "list-articles-in-a-knowledge-base": "front_list_knowledge_base_articles",
    "create-article-in-a-knowledge-base-in-default-locale": "front_create_knowledge_base_article",
    "list-categories-in-a-knowledge-base": "front_list_knowledge_base_categories",
    "create-knowledge-base-category-in-default-locale": "front_create_knowledge_base_category",
    "get-a-knowledge-base-with-content-in-default-locale": "front_get_knowledge_base_content",
    "update-knowledge-base-in-default-locale": "front_update_knowledge_base_content",
    "create-article-in-a-knowledge-base-in-specified-locale": "front_create_knowledge_base_locale_article",
    "create-knowledge-base-category-in-specified-locale": "front_create_knowledge_base_locale_category",
    "get-a-knowledge-base-with-content-in-specified-locale": "front_get_knowledge_base_locale_content",
    "update-knowledge-base-in-specified-locale": "front_update_knowledge_base_locale_content",
    "update-a-link": "front_update_link",
    "api-token-details": "front_get_token_identity",
    "list-folders": "front_list_message_template_folders",
    "create-folder": "front_create_message_template_folder",
    "get-folder": "front_get_message_template_folder",
    "update-folder": "front_update_message_template_folder",
    "delete-folder": "front_delete_message_template_folder",
    "get-child-folders": "front_list_child_message_template_folders",
    "create-child-folder": "front_create_child_message_template_folder",
    "get-child-templates": "front_list_message_template_folder_templates",
    "create-child-template": "front_create_message_template_in_folder",
    "download-attachment-for-a-message-template": "front_download_message_template_attachment",
    "download-attachment-for-a-message": "front_download_message_attachment",
    "list-shifts-teammates": "front_list_shift_teammates",
    "add-teammates-to-shift": "front_add_shift_teammates",
    "remove-teammates-from-shift": "front_remove_shift_teammates",
    "get-signatures": "front_get_signature",
    "list-company-teammate-groups": "front_list_teammate_groups",
    "create-company-teammate-group": "front_create_teammate_group",
    "get-company-teammate-group": "front_get_teammate_group",
    "update-a-company-teammate-group": "front_update_teammate_group",
    "delete-company-teammate-group": "front_delete_teammate_group",
    "list-company-teammate-group-team-inboxes": "front_list_teammate_group_inboxes",
    "add-company-teammate-group-team-inboxes": "front_add_teammate_group_inboxes",
    "remove-company-teammate-group-team-inboxes": "front_remove_teammate_group_inboxes",
    "list-company-teammate-group-teammates": "front_list_teammate_group_teammates",
    "add-company-teammate-group-teammates": "front_add_teammate_group_teammates",
    "remove-company-teammate-group-teammates": "front_remove_teammate_group_teammates",
    "list-company-teammate-group-teams": "front_list_teammate_group_teams",
    "add-company-teammate-group-teams": "front_add_teammate_group_teams",
    "remove-company-teammate-group-teams": "front_remove_teammate_group_teams",
    "list-teammate-groups": "front_list_teammate_contact_groups",
    "create-teammate-group": "front_create_teammate_contact_group",
    "list-assigned-conversations": "front_list_teammate_conversations",
    "list-teammate-folders": "front_list_teammate_message_template_folders",
    "create-teammate-folder": "front_create_teammate_message_template_folder",
    "create-time-off": "front_create_teammate_time_off",
    "list-team-groups": "front_list_team_contact_groups",
    "create-team-group": "front_create_team_contact_group",
    "list-team-folders": "front_list_team_message_template_folders",
    "create-team-folder": "front_create_team_message_template_folder",
}

# Front's tag for an operation → the file (resource group) its action is declared in.
GROUPS = {
    "Knowledge Base Articles": "knowledge_bases",
    "Knowledge Base Categories": "knowledge_bases",
    "Message Template Folders": "message_templates",
    "Contact Handles": "contacts",
    "Contact Notes": "contacts",
    "Token Identity": "teammates",
    "Statuses": "ticket_statuses",
}

# Path parameter → the resource (connector.json `resources`) whose id it holds.
ID_OF = {
    "account_id": "account",
    "article_id": "knowledge_base_article",
    "attachment_id": "attachment",
    "attachment_link_id": "attachment",
    "category_id": "knowledge_base_category",
    "channel_id": "channel",
    "comment_id": "comment",
    "contact_group_id": "contact_group",
    "contact_id": "contact",
    "contact_list_id": "contact_list",
    "conversation_id": "conversation",
    "draft_id": "message",
    "event_id": "event",
    "export_id": "analytics_export",
    "inbox_id": "inbox",
    "knowledge_base_id": "knowledge_base",
    "link_id": "link",
    "message_id": "message",
    "message_template_folder_id": "message_template_folder",
    "message_template_id": "message_template",
    "rule_id": "rule",
    "shift_id": "shift",
    "signature_id": "signature",
    "status_id": "ticket_status",
    "tag_id": "tag",
    "team_id": "team",
    "teammate_group_id": "teammate_group",
    "teammate_id": "teammate",
    "time_off_id": "time_off",
    "view_id": "view",
}
# Path parameters that are not ids: free text of at most this many characters.
FREE_TEXT = {"locale": 35, "report_uid": 128, "query": 1000}
# The query object `q` of each kind of list, by the key its description names.
Q_PROPERTIES = {
    "statuses": "conversations",
    "types": "links",
    "updated_after": "contacts",
    "active_from": "time_offs",
}


def load(path):
    return json.loads(Path(path).read_text())


class Spec:
    def __init__(self, spec):
        self.spec = spec

    def resolve(self, value):
        while isinstance(value, dict) and "$ref" in value:
            node = self.spec
            for part in value["$ref"].lstrip("#/").split("/"):
                node = node[part]
            value = node
        return value

    def object_parts(self, schema):
        """Properties and required names of an object schema, `allOf` parts merged."""
        schema = self.resolve(schema)
        properties, required = {}, []
        for part in schema.get("allOf", []):
            p, r = self.object_parts(part)
            properties.update(p)
            required += r
        properties.update(schema.get("properties", {}))
        required += schema.get("required", [])
        return properties, required

    def field(self, schema, required=False):
        schema = self.resolve(schema)
        if schema.get("format") == "binary":
            # Front takes files only in multipart uploads; the catalogue's `file` type carries
            # them as {filename, content_type, content_base64} and the engine sends the form.
            field = {"type": "file", "description": "TODO: describe."}
            return {**field, "required": True} if required else field
        properties, required_names = self.object_parts(schema)
        kind = schema.get("type") or ("object" if properties or "anyOf" in schema or "oneOf" in schema else "string")
        field = {"type": kind}
        field["description"] = first_sentence(schema.get("description") or "")
        if required:
            field["required"] = True
        if schema.get("nullable"):
            field["nullable"] = True
        if "enum" in schema:
            field["enum"] = [v for v in schema["enum"] if v is not None]
        for key in ("minimum", "maximum"):
            if key in schema:
                field[key] = schema[key]
        if kind == "array" and "items" in schema:
            field["items"] = self.field(schema["items"])
        if kind == "object" and properties:
            field["properties"] = {
                name: self.field(sub, name in required_names)
                for name, sub in properties.items()
            }
        return field


def first_sentence(text):
    """A one-line draft from the spec's text; curation replaces it with our own words."""
    if not text.strip():
        return "TODO: describe."  # the catalogue refuses to load a text holding `TODO:`
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text.strip().split("\n")[0])
    return text.split(". ")[0].rstrip(".") + "."


def action_id(operation_id):
    if operation_id in RENAMES:
        return RENAMES[operation_id]
    words = [w for w in operation_id.split("-") if w not in ("a", "an", "the")]
    return "front_" + "_".join(words)


def label(identifier):
    return " ".join(w.capitalize() for w in identifier.removeprefix("front_").split("_"))


def hints(method, path):
    if method == "get":
        return {"read_only": True, "destructive": False, "idempotent": True}
    if method == "delete":
        return {"read_only": False, "destructive": True, "idempotent": True}
    if method in ("patch", "put"):
        return {"read_only": False, "destructive": True, "idempotent": True}
    return {"read_only": False, "destructive": False, "idempotent": False}


def query_field(name, schema, seed_query, parameter):
    if name == "q":
        kind = next((k for k in Q_PROPERTIES if f"`{k}`" in parameter.get("description", "")), None)
        return dict(seed_query.get(("q", Q_PROPERTIES.get(kind))) or {
            "type": "object",
            "description": first_sentence(parameter.get("description", "Query object.")),
            "style": "deep_object",
        })
    if name in ("limit", "page_token", "sort_order") and (name, None) in seed_query:
        return dict(seed_query[(name, None)])
    field = spec.field(schema, parameter.get("required", False))
    if parameter.get("description"):
        field["description"] = first_sentence(parameter["description"])
    return field


def example_value(field, resources):
    if "example" in field:
        return field["example"]
    if "enum" in field:
        return field["enum"][0]
    if field["type"] == "object" and "properties" in field:
        return {name: example_value(sub, resources)
                for name, sub in field["properties"].items() if sub.get("required")}
    if field["type"] == "array" and "items" in field:
        return [example_value(field["items"], resources)]
    return {"string": "example", "integer": 1, "number": 1, "boolean": True,
            "array": [], "object": {},
            "file": {"filename": "note.txt", "content_type": "text/plain", "content_base64": "aGVsbG8="},
            }[field["type"]]


def draft(method, path, operation, resources, seed_query):
    parameters = [spec.resolve(p) for p in operation.get("parameters", [])]
    inputs = {}
    example = {}
    for parameter in parameters:
        name = parameter["name"]
        if parameter["in"] == "path":
            field = {"type": "string",
                     "description": first_sentence(parameter.get("description", name)),
                     "required": True}
            if name in FREE_TEXT:
                field["free_text"] = True
                field["max_length"] = FREE_TEXT[name]
                example.setdefault("path", {})[name] = parameter.get("example", "en")
            else:
                field["id_of"] = ID_OF[name]
                example.setdefault("path", {})[name] = resources[ID_OF[name]]["example"]
            inputs.setdefault("path", {})[name] = field
        elif parameter["in"] == "query":
            inputs.setdefault("query", {})[name] = query_field(name, parameter.get("schema", {}), seed_query, parameter)
    body = spec.resolve(operation.get("requestBody", {})).get("content", {}).get("application/json", {}).get("schema")
    if body:
        properties, required = spec.object_parts(body)
        fields = {name: spec.field(schema, name in required) for name, schema in properties.items()}
        if fields:
            inputs["body"] = fields
            example["body"] = {name: example_value(f, resources) for name, f in fields.items() if f.get("required")}
    identifier = action_id(operation["operationId"])
    return {
        "id": identifier,
        "label": label(identifier),
        "description": first_sentence(operation.get("description") or operation.get("summary", identifier)),
        "scopes": operation.get("x-required-scopes") or [],
        "method": method.upper(),
        "path": path,
        "hints": hints(method, path),
        **({"returns": "file"} if returns_file(operation) else {}),
        "inputs": inputs,
        "example": {k: v for k, v in example.items() if v},
    }


def returns_file(operation):
    for response in operation.get("responses", {}).values():
        content = spec.resolve(response).get("content", {})
        if content and "application/json" not in content:
            return True
    return False


def main():
    global spec
    args = [a for a in sys.argv[1:] if a != "--check"]
    if len(args) != 1:
        sys.exit(__doc__.strip().splitlines()[2])
    spec = Spec(load(args[0]))
    connector = load(CONNECTOR)
    excluded = {(e["method"], e["path"]) for e in connector.get("excluded", [])}
    files = {p.stem: load(p) for p in sorted(ACTIONS.glob("*.json"))}
    declared = {(a["method"], a["path"]) for actions in files.values() for a in actions}
    seed_query = {}
    for actions in files.values():
        for action in actions:
            for name, field in action.get("inputs", {}).get("query", {}).items():
                kind = None
                if name == "q":
                    props = field.get("properties", {})
                    kind = next((v for k, v in Q_PROPERTIES.items() if k in props), None)
                seed_query.setdefault((name, kind), field)
    missing = []
    for path, item in spec.spec["paths"].items():
        for method in METHODS:
            operation = item.get(method)
            if not operation or (method.upper(), path) in declared | excluded:
                continue
            tag = (operation.get("tags") or ["misc"])[0]
            group = GROUPS.get(tag, re.sub(r"\W+", "_", tag.lower()))
            missing.append((group, draft(method, path, operation, connector["resources"], seed_query)))
    if "--check" in sys.argv:
        for group, action in missing:
            print(f"{group}: {action['method']} {action['path']} → {action['id']}")
        sys.exit(1 if missing else 0)
    for group, action in missing:
        files.setdefault(group, []).append(action)
    for group in {g for g, _ in missing}:
        (ACTIONS / f"{group}.json").write_text(json.dumps(files[group], indent=2, ensure_ascii=False) + "\n")
    print(f"drafted {len(missing)} actions", file=sys.stderr)


if __name__ == "__main__":
    main()
