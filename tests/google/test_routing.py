"""The stand-in's URL map is built once per process: werkzeug compiles rules with `ast.parse`,
which CPython 3.11 cannot run in two threads at once (`SystemError: AST constructor recursion
depth mismatch`)."""

from __future__ import annotations

import threading
import uuid

from werkzeug.routing import Rule

from emulators._routing import shared_map
from emulators.google import GoogleStandIn
from emulators.google.app import url_map

THREADS = 8


def _at_once(work) -> list[BaseException]:
    """Run `work` in THREADS threads released together; the exceptions they raised."""
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait(10)
            work()
        except BaseException as exc:  # surfaced in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return errors


def test_stand_ins_built_at_once_share_the_one_url_map():
    maps: list[object] = []
    assert _at_once(lambda: maps.append(GoogleStandIn(port=0)._url_map)) == []
    assert len(maps) == THREADS and all(m is url_map() for m in maps)


def test_a_shared_map_compiles_its_rules_once_however_many_threads_ask():
    name = f"test-{uuid.uuid4().hex}"
    calls: list[int] = []

    def rules() -> list[Rule]:
        calls.append(1)
        return [Rule(f"/things/<int:n>/part{i}", endpoint=f"e{i}") for i in range(50)]

    maps: list[object] = []
    assert _at_once(lambda: maps.append(shared_map(name, rules))) == []
    assert len(calls) == 1 and all(m is maps[0] for m in maps)
    adapter = shared_map(name, rules).bind("localhost")
    assert adapter.match("/things/7/part3") == ("e3", {"n": 7})
