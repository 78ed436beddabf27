"""openapi.yaml and the code agree: the same routes, the same callers, the same request models.

Fast and without the local stack: the routes come from each function's `router.routes()`,
the request models from the handlers' own `parse_body` / `parse_query` calls.
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import re
from pathlib import Path

import jsonschema_rs
import pytest
import schemathesis
from hypothesis import given, settings
from hypothesis import strategies as st

from functions.main import ENTRY_POINTS
from shared.ids import is_valid_id
from shared.inputs import is_control
from tests.contract import spec

ROOT = Path(__file__).resolve().parents[2]
SPEC = spec.load()
# The functions that serve the API. `console` serves the console's page and files under
# /console (functions/console.py): a client of the API, not part of it.
API_FUNCTIONS = [name for name in ENTRY_POINTS if name != "console"]
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
# A route's `access` (shared/web.py) as the spec's security requirement says it.
SECURITY = {
    "admin": [{"platformBearer": []}],
    "worker": [{"platformBearer": []}],
    "platform": [{"platformBearer": []}],
    "service": [{"serviceOidc": []}],
    "public": [],
}


def _openapi_path(rule: str) -> str:
    """werkzeug's `/workers/<worker_id>` as OpenAPI's `/workers/{worker_id}`."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def _code_routes() -> dict[tuple[str, str], str]:
    """(METHOD, path) -> access, for every route of every deployed function."""
    routes = {}
    for name in API_FUNCTIONS:
        router = importlib.import_module(f"functions.{name}").router
        for rule, methods, access in router.routes():
            for method in methods:
                routes[(method.upper(), _openapi_path(rule))] = access
    return routes


def _operations() -> dict[tuple[str, str], dict]:
    return {
        (method.upper(), path): operation
        for path, item in SPEC["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }


def _resolve(node: dict) -> dict:
    """A `$ref` within openapi.yaml, followed."""
    while "$ref" in node:
        target = SPEC
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _parsed_models() -> dict[tuple[str, str], dict[str, set[str]]]:
    """(METHOD, path) -> the models its handler passes to `parse_body` and `parse_query`, and
    whether it calls `_version` (a delete's version), read from the functions' source."""
    found = {}
    for name in API_FUNCTIONS:
        module = importlib.import_module(f"functions.{name}")
        for node in ast.walk(ast.parse(inspect.getsource(module))):
            if not isinstance(node, ast.FunctionDef):
                continue
            for decorator in node.decorator_list:
                if not (
                    isinstance(decorator, ast.Call)
                    and isinstance(decorator.func, ast.Attribute)
                    and decorator.func.attr == "route"
                ):
                    continue
                rule = ast.literal_eval(decorator.args[0])
                methods = ast.literal_eval(decorator.args[1])
                calls: dict[str, set[str]] = {"parse_body": set(), "parse_query": set()}
                for call in ast.walk(node):
                    if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name):
                        continue
                    if call.func.id in calls and isinstance(call.args[1], ast.Name):
                        calls[call.func.id].add(call.args[1].id)
                    elif call.func.id == "_version":
                        calls.setdefault("_version", set()).add("Version")
                for method in methods:
                    found[(method.upper(), _openapi_path(rule))] = calls
    return found


def test_the_spec_is_valid_openapi_3_1():
    assert SPEC["openapi"].startswith("3.1.")
    schemathesis.openapi.from_path(spec.OPENAPI).validate()


def test_every_route_is_in_the_spec_and_every_operation_is_a_route():
    code, documented = set(_code_routes()), set(_operations())
    assert code - documented == set(), "routes in code missing from openapi.yaml"
    assert documented - code == set(), "operations in openapi.yaml that no function serves"


def test_each_operation_asks_for_the_callers_its_route_admits():
    default = SPEC["security"]
    for (method, path), access in _code_routes().items():
        operation = _operations()[(method, path)]
        assert operation.get("security", default) == SECURITY[access], (method, path, access)


def test_docs_api_md_mentions_every_path_of_the_spec():
    docs = (ROOT / "docs" / "api.md").read_text()
    missing = [
        path for path in SPEC["paths"] if not re.search(re.escape(path) + r"(?![\w/{}:.-])", docs)
    ]
    assert missing == [], "paths of openapi.yaml that docs/api.md does not mention"


def test_the_generated_components_are_what_the_models_say():
    assert spec.regenerate(SPEC) == SPEC, (
        "openapi.yaml's generated components differ from the code's models: "
        "run `python -m tests.contract.spec`"
    )


def test_each_operation_takes_the_body_and_query_its_handler_parses():
    parsed = _parsed_models()
    assert set(parsed) == set(_code_routes())
    generated_schemas = set(SPEC["x-generated"]["schemas"])
    for key, operation in _operations().items():
        calls = parsed[key]
        body = operation.get("requestBody")
        ref = body and body["content"]["application/json"]["schema"].get("$ref", "")
        model = ref.rsplit("/", 1)[-1] if ref else None
        if calls["parse_body"]:
            assert {model} == calls["parse_body"], (key, model, calls["parse_body"])
        else:
            # A body no handler parses with a model (e.g. /cron/poll's `all`) is hand-written.
            assert model is None or model not in generated_schemas, (key, model)
        query = {
            p["$ref"].rsplit("/", 1)[-1]
            for p in operation.get("parameters", ())
            if "$ref" in p and _resolve(p)["in"] == "query"
        }
        expected = {
            name
            for name in SPEC["components"]["parameters"]
            for model_name in calls["parse_query"] | calls.get("_version", set())
            if name == model_name or name.startswith(f"{model_name}.")
        }
        assert query == expected, (key, query, expected)


def test_path_variables_are_ids_and_declared():
    for (method, path), operation in _operations().items():
        declared = {
            parameter["name"]: parameter
            for parameter in map(_resolve, operation.get("parameters", ()))
            if parameter["in"] == "path"
        }
        assert set(declared) == set(re.findall(r"{([^}]+)}", path)), (method, path)
        for name, parameter in declared.items():
            schema = _resolve(parameter["schema"])
            # Every path variable passes shared/ids.py's rule; an enum narrows it further.
            assert schema.get("pattern") == spec.ID_PATTERN or all(
                is_valid_id(value) for value in schema["enum"]
            ), (method, path, name)


def test_every_refusal_has_the_error_shape():
    error = {"$ref": "#/components/schemas/Error"}
    for (method, path), operation in _operations().items():
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                schema = _resolve(response)["content"]["application/json"]["schema"]
                assert schema == error, (method, path, status)


# -- the generated patterns say what the code checks -------------------------------------


@functools.cache
def _validator(pattern: str):
    return jsonschema_rs.validator_for({"type": "string", "pattern": pattern})


def _matches(pattern: str, value: str) -> bool:
    # The spec's patterns are ECMA-262; check them as schemathesis does (jsonschema_rs).
    return _validator(pattern).is_valid(value)


ID_TEXT = st.text(alphabet=st.sampled_from("Aa0_.:@-/ %_\n\u00e9"), max_size=130)
ID_SAMPLES = ["w1", "a.b", "_", "..", ".", "__x__", "__", "___", "x" * 128, "x" * 129, "", "a/b"]


@pytest.mark.parametrize("value", ID_SAMPLES)
def test_the_id_pattern_is_the_id_rule(value):
    assert _matches(spec.ID_PATTERN, value) == is_valid_id(value)


@settings(max_examples=300, derandomize=True, database=None)
@given(ID_TEXT)
def test_the_id_pattern_is_the_id_rule_for_any_text(value):
    assert _matches(spec.ID_PATTERN, value) == is_valid_id(value)


@settings(max_examples=300, derandomize=True, database=None)
@given(st.text(max_size=5))
def test_the_line_patterns_are_the_line_rules(value):
    controls = [char for char in value if is_control(char)]
    assert _matches(spec.SINGLE_LINE_PATTERN, value) == (not controls)
    multi_line = all(char in "\n\r\t" for char in controls)
    assert _matches(spec.MULTI_LINE_PATTERN, value) == multi_line
