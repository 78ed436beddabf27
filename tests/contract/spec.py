"""openapi.yaml's request schemas and query parameters, generated from the code's own models.

    python -m tests.contract.spec      rewrites the generated components of openapi.yaml

What the functions parse is generated: the request bodies (`parse_body(request, Model)`), the
query models (`parse_query(request, Model)`), the path id rule (`shared/ids.py`) and a
delete's `version`. They land in openapi.yaml's `components`, listed under `x-generated`;
the paths, the responses and everything else in the file are written by hand and kept as
they are. `tests/contract/test_openapi_routes.py` fails when the file and the models
disagree, and when an operation's request body or query is not the model its handler parses.

Pydantic's JSON Schema leaves out what the models check in validators. `_Generator` adds
what JSON Schema can say of them (the id rule, one line of text, an RFC 3339 time with an
offset, a JSON number for an amount, no worker twice) and describes the rest in words.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, models_json_schema

from shared import ids, inputs
from shared.queue.messages import Task

OPENAPI = Path(__file__).resolve().parents[2] / "openapi.yaml"

# Request bodies, by the name their schema has in components/schemas.
BODY_MODELS: tuple[type[BaseModel], ...] = (
    inputs.SettingsIn,
    inputs.BookingStatusIn,
    inputs.WorkerIn,
    inputs.BookingIn,
    inputs.BatchBookingIn,
    inputs.UnavailabilityIn,
    inputs.EmailIn,
    inputs.SelectionIn,
    Task,
)
# Query strings: each field is a parameter `<Model>.<name>` in components/parameters.
QUERY_MODELS: tuple[type[BaseModel], ...] = (inputs.CalendarQuery, inputs.RangeQuery)
QUERY_EXAMPLES = {
    "from": "2026-03-30T00:00:00+02:00",
    "to": "2026-04-06T00:00:00+02:00",
    "worker_ids": ["w1"],
    "calendar_ids": ["ada@example.com"],
}

# shared/ids.py's rule as one ECMA-262 pattern: its alphabet and length, none of the
# reserved ids.
ID_PATTERN = f"^(?!(?:{ids._RESERVED.pattern})$){ids._ID.pattern}$"
# `inputs.is_control`: categories Cc (U+0000-U+001F, U+007F-U+009F), Zl and Zp.
SINGLE_LINE_PATTERN = "^[^\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029]*$"
# The same, but line breaks and tabs pass.
MULTI_LINE_PATTERN = (
    "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f\\u2028\\u2029]*$"
)
RFC3339_PATTERN = f"^{inputs._RFC3339.pattern}$"


def _function(schema: Any) -> Any:
    function = schema["function"]["function"]
    return getattr(function, "__func__", function)


def _described(schema: dict, text: str) -> dict:
    described = dict(schema)
    described["description"] = (
        f"{schema['description']} {text}" if "description" in schema else text
    )
    return described


class _Generator(GenerateJsonSchema):
    """Pydantic's JSON Schema, plus what the models' validators check."""

    def function_after_schema(self, schema: Any) -> dict:
        out = dict(super().function_after_schema(schema))
        function = _function(schema)
        name = getattr(function, "__qualname__", "")
        if function is inputs._id:
            return {**out, "pattern": ID_PATTERN}
        if function is inputs._single_line:
            return {**out, "pattern": SINGLE_LINE_PATTERN}
        if function is inputs._multi_line:
            return {**out, "pattern": MULTI_LINE_PATTERN}
        if function is inputs._in_range:
            return _described(out, "Between 1970 and 2999.")
        if function is inputs.check_timezone:
            return _described(out, "An IANA time zone name.")
        if function is inputs._end_after_start:
            return _described(out, "After start.")
        if function is inputs._rsa_private_key:
            return _described(out, "The key's unencrypted PEM RSA private key, 2048 to 4096 bits.")
        if name == "BookingIn._unique_workers":
            return {**out, "uniqueItems": True}
        if name == "BatchBookingIn._unique_ids":
            return _described(out, "Each booking id at most once.")
        if name == "RangeQuery._range":
            return _described(out, f"After from, at most {inputs.MAX_VIEW_DAYS} days later.")
        return out

    def function_before_schema(self, schema: Any) -> dict:
        out = dict(super().function_before_schema(schema))
        function = _function(schema)
        if function is inputs._rfc3339_text:
            timed = {**out, "pattern": RFC3339_PATTERN, "maxLength": 40}
            return _described(timed, "RFC 3339 with seconds and an offset.")
        if function is inputs._key_json:
            text = {
                "type": "string",
                "contentMediaType": "application/json",
                "description": "The key file's JSON text.",
            }
            return {"anyOf": [*out.get("anyOf", [out]), text]}
        return out

    def function_plain_schema(self, schema: Any) -> dict:
        if _function(schema) is inputs._amount:
            return {
                "type": "number",
                "description": (
                    f"A JSON number (not text), at most {inputs.MAX_AMOUNT_DIGITS} digits, "
                    f"{inputs.MAX_AMOUNT_DECIMALS} of them decimals."
                ),
            }
        return super().function_plain_schema(schema)


def _tidy(schema: Any) -> Any:
    """Without pydantic's `title`s (the names say it), recursively."""
    if isinstance(schema, list):
        return [_tidy(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    tidy = {}
    for key, value in schema.items():
        if key == "title" and isinstance(value, str):
            continue
        if key in ("properties", "$defs"):
            tidy[key] = {name: _tidy(item) for name, item in value.items()}
        else:
            tidy[key] = _tidy(value)
    return tidy


def _not_null(schema: dict) -> dict:
    """An optional query parameter's schema: absent, never null."""
    options = [option for option in schema.get("anyOf", ()) if option != {"type": "null"}]
    rest = {key: value for key, value in schema.items() if key not in ("anyOf", "default")}
    return {**options[0], **rest} if len(options) == 1 else rest


def body_schemas() -> dict[str, dict]:
    """Every request body model and the models it nests, by name."""
    _, top = models_json_schema(
        [(model, "validation") for model in BODY_MODELS],
        ref_template="#/components/schemas/{model}",
        schema_generator=_Generator,
    )
    return {name: _tidy(schema) for name, schema in sorted(top["$defs"].items())}


def query_parameters() -> dict[str, dict]:
    parameters = {}
    for model in QUERY_MODELS:
        schema = _tidy(model.model_json_schema(schema_generator=_Generator))
        for name, field in schema["properties"].items():
            field = _not_null(field)
            parameter: dict[str, Any] = {
                "name": name,
                "in": "query",
                "required": name in schema.get("required", ()),
            }
            if "description" in field:
                parameter["description"] = field.pop("description")
            if field.get("type") == "array":
                parameter["description"] = " ".join(
                    [parameter.get("description", ""), "Comma-separated."]
                ).strip()
                parameter.update(style="form", explode=False)
            parameter["schema"] = field
            if name in QUERY_EXAMPLES:
                parameter["example"] = QUERY_EXAMPLES[name]
            parameters[f"{model.__name__}.{name}"] = parameter
    return parameters


def generated() -> dict[str, dict[str, dict]]:
    """The generated components, by section."""
    schemas = {
        "Id": {
            "type": "string",
            "pattern": ID_PATTERN,
            "description": (
                "A Firestore document id: 1-128 of A-Z a-z 0-9 _ . : @ -, not . .. or __x__."
            ),
        },
        **body_schemas(),
    }
    parameters = {
        "Version": {
            "name": "version",
            "in": "query",
            "required": True,
            "description": "The mutation's version: a whole number that only grows.",
            "schema": {"type": "integer", "minimum": 0, "maximum": inputs.MAX_VERSION},
            "example": 3,
        },
        **query_parameters(),
    }
    return {"schemas": schemas, "parameters": parameters}


def load(path: Path = OPENAPI) -> dict:
    return yaml.safe_load(path.read_text())


def regenerate(spec: dict) -> dict:
    """`spec` with its generated components as the models say now (a copy)."""
    spec = copy.deepcopy(spec)
    components = spec.setdefault("components", {})
    before = spec.get("x-generated", {})
    fresh = generated()
    for section, entries in fresh.items():
        target = components.setdefault(section, {})
        for stale in set(before.get(section, ())) - set(entries):
            target.pop(stale, None)
        target.update(entries)
    spec["x-generated"] = {section: sorted(entries) for section, entries in fresh.items()}
    return spec


class _Dumper(yaml.SafeDumper):
    """Block style, but a short collection of scalars on one line; no anchors."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _inline(items: list) -> bool:
    short = all(not isinstance(item, dict | list) for item in items)
    return short and len(json.dumps(items)) <= 72


_Dumper.add_representer(
    dict,
    lambda dumper, data: dumper.represent_mapping(
        "tag:yaml.org,2002:map", data, flow_style=_inline([*data.keys(), *data.values()])
    ),
)
_Dumper.add_representer(
    list,
    lambda dumper, data: dumper.represent_sequence(
        "tag:yaml.org,2002:seq", data, flow_style=_inline(data)
    ),
)


def dump(spec: dict) -> str:
    return yaml.dump(spec, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def main() -> None:
    OPENAPI.write_text(dump(regenerate(load())))
    print(f"rewrote the generated components of {OPENAPI.name}")


if __name__ == "__main__":
    main()
