"""The vendored description covers every route, and the trim keeps what validation needs."""

from __future__ import annotations

import json
from typing import Any

from standin.openapi import trim
from standin.openapi_check import SPEC_FILE
from standin.server import ROUTES


def test_every_route_is_an_operation_of_the_vendored_description() -> None:
    paths = json.loads(SPEC_FILE.read_text(encoding="utf-8"))["paths"]
    served = {(r.spec_path, r.method.lower()) for r in ROUTES}
    listed = {(p, m) for p, methods in trim.OPERATIONS.items() for m in methods}
    assert served == listed
    assert all(m in paths[p] for p, m in served)


def test_trim_keeps_transitive_components_and_drops_examples() -> None:
    ref = {"$ref": "#/components/schemas/a"}
    source: dict[str, Any] = {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "servers": [{"url": "https://api.github.com"}],
        "paths": {
            path: {
                "get": {
                    "responses": {
                        "200": {
                            "content": {
                                "application/json": {
                                    "schema": ref,
                                    "examples": {"x": {"$ref": "#/components/examples/x"}},
                                }
                            }
                        }
                    }
                }
            }
            for path in trim.OPERATIONS
        }
        | {"/unused": {"get": {"responses": {"200": {"$ref": "#/components/responses/gone"}}}}},
        "components": {
            "schemas": {
                "a": {"properties": {"b": {"$ref": "#/components/schemas/b"}}},
                "b": {"type": "string", "examples": ["kept: a schema keyword"]},
                "unused": {"type": "string"},
            },
            "examples": {"x": {"value": 1}},
            "responses": {"gone": {"description": "d"}},
        },
    }
    for path, methods in trim.OPERATIONS.items():
        source["paths"][path] = {m: source["paths"][path]["get"] for m in methods}
    contents = source["paths"][f"{trim.R}/contents/{{path}}"]["get"]["responses"]["200"]
    contents["content"]["application/json"]["schema"] = {
        "oneOf": [ref],
        "discriminator": {"propertyName": "type"},
    }

    out = trim.trim(source)
    assert set(out["paths"]) == set(trim.OPERATIONS)
    assert out["components"] == {
        "schemas": {
            "a": {"properties": {"b": {"$ref": "#/components/schemas/b"}}},
            "b": {"type": "string", "examples": ["kept: a schema keyword"]},
        }
    }
    media = out["paths"]["/rate_limit"]["get"]["responses"]["200"]["content"]["application/json"]
    assert media == {"schema": ref}
    patched = out["paths"][f"{trim.R}/contents/{{path}}"]["get"]["responses"]["200"]
    assert patched["content"]["application/json"]["schema"] == {"oneOf": [ref]}
