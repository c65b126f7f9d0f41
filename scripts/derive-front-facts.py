#!/usr/bin/env python3
"""Derives the facts our tests need from Front's published OpenAPI spec (core-api.json).

Usage: scripts/derive-front-facts.py CORE_API_JSON [OUT]
       (OUT defaults to crates/testkit/data/front-core-api.facts.json; '-' writes to stdout)

The result is the spec's structure only: every path and operation (method, operationId, the
scopes it requires), parameters (name, location, required, schema), request and response
schemas, and the component schemas they reference (types, formats, enums, required fields,
nullability, defaults, patterns, limits). Prose is dropped: descriptions, summaries, examples,
tags and the `info` block. The tests read this file when FRONT_OPENAPI is not set, so that a
fresh clone tests itself; scripts/test.sh re-derives it from the full spec when that is present
and fails if the committed file is stale.
"""

import json
import sys
from pathlib import Path

# Annotation keywords: human text, never a fact a test checks.
PROSE = {"description", "summary", "example", "examples", "externalDocs", "tags", "title"}
# Top-level members kept; the rest (`info`, ReadMe's `x-*` switches) is about the publication.
TOP_LEVEL = ("openapi", "servers", "security", "components", "paths")
# Maps whose keys are names chosen by the spec (properties, paths, components), not keywords:
# a property called `description` is a fact, an annotation called `description` is prose.
NAMED_MAPS = {"properties", "paths", "schemas", "parameters", "responses", "securitySchemes",
              "content"}


def facts(value, named=False):
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not named and (key in PROSE or key.startswith("x-") and key != "x-required-scopes"):
                continue
            if not named and key == "scopes" and isinstance(item, dict):
                # OAuth scope names are facts; their explanations are prose.
                out[key] = {name: "" for name in item}
                continue
            out[key] = facts(item, named=not named and key in NAMED_MAPS)
        return out
    if isinstance(value, list):
        return [facts(item) for item in value]
    return value


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__.strip().splitlines()[2])
    spec = json.loads(Path(sys.argv[1]).read_text())
    derived = {key: facts(spec[key]) for key in TOP_LEVEL if key in spec}
    text = json.dumps(derived, indent=1, ensure_ascii=False) + "\n"
    default = Path(__file__).resolve().parent.parent / "crates/testkit/data/front-core-api.facts.json"
    out = sys.argv[2] if len(sys.argv) == 3 else str(default)
    if out == "-":
        sys.stdout.write(text)
    else:
        Path(out).write_text(text)


if __name__ == "__main__":
    main()
