"""werkzeug URL maps of the HTTP stand-ins: built once per process, under one lock.

werkzeug compiles every rule with `ast.parse` when it is added to a `Map`. CPython 3.11 can
fail with `SystemError: AST constructor recursion depth mismatch` when two threads build
ASTs at the same moment (a test building a stand-in while another thread builds one). So a
stand-in never builds its map per instance: `shared_map` builds each named map once, holding
a process-wide lock, and every instance shares it. Matching and building URLs on a finished
map only read it, which werkzeug supports from many threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.routing import Map, Rule

# Held while werkzeug compiles rules; any emulator code that builds a Map takes it too.
ROUTING_LOCK = threading.Lock()
_MAPS: dict[str, Map] = {}


def shared_map(name: str, rules: Callable[[], Iterable[Rule]], **options: Any) -> Map:
    """The process's one `Map` called `name`, built from `rules()` on first use."""
    with ROUTING_LOCK:
        url_map = _MAPS.get(name)
        if url_map is None:
            url_map = Map(list(rules()), **options)
            url_map.update()  # sort the rules now, not on the first request
            _MAPS[name] = url_map
        return url_map
