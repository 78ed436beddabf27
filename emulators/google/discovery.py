"""The Calendar v3 discovery document shipped with google-api-python-client, read as the spec.

Paths, HTTP methods, scopes and resource fields come from here, so the stand-in serves exactly
the URLs the client library builds and checks exactly the scopes Google documents per method.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from googleapiclient.discovery_cache import get_static_doc

DOCUMENT: dict = json.loads(get_static_doc("calendar", "v3"))
SCOPE_PREFIX = "https://www.googleapis.com/auth/"


def _methods(resources: dict) -> Iterator[dict]:
    for resource in resources.values():
        yield from resource.get("methods", {}).values()
        yield from _methods(resource.get("resources", {}))


METHODS: dict[str, dict] = {method["id"]: method for method in _methods(DOCUMENT["resources"])}


def schema_fields(schema: str) -> frozenset[str]:
    """The property names Google knows for a resource; anything else in a request is dropped."""
    return frozenset(DOCUMENT["schemas"][schema]["properties"])
