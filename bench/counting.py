"""Firestore operations counted in the bench process, filed under what the functions were
doing when they made them.

The Firestore emulator keeps no counts, so the bench wraps the client library's RPC layer
(`FirestoreClient`, which every `Client`, `DocumentReference`, `Query`, `WriteBatch` and
`Transaction` goes through) in this process only: the functions run in-process (see
stack.py), the product's code is untouched. Counted as Firestore bills them:

- reads: each document a `get`/`get_all`/transaction read returns (found or missing), each
  document a query returns, and one for a query that returns none; an aggregation query
  counts one;
- writes: each write of a commit (a set, update or create with its transforms), and
  deletes apart;
- rpcs: round trips (commits, transaction begins and rollbacks included), for latency.

Each operation is filed under the request the functions server was answering on that
thread (`stack.serving`), e.g. `PUT /bookings`, and for tasks under the task's kind
(`POST /tasks:account_sync`); anything else (the bench's own checks) under `bench`, which
reports leave out.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Iterator

from bench.stack import serving

BENCH = "bench"
_task = threading.local()


def _tag() -> str:
    request = getattr(serving, "request", None)
    if not request:
        return BENCH
    method, path = request
    parts = [p for p in path.split("/") if p]
    head = parts[0] if parts else ""
    kind = getattr(_task, "kind", None)
    if head == "tasks" and kind:
        return f"{method} /tasks:{kind}"
    return f"{method} /{head}"


def _field(request, name: str):
    if isinstance(request, dict):
        return request.get(name)
    return getattr(request, name, None)


class FirestoreOps:
    """Counts per tag: reads, writes, deletes, rpcs. `install()` once per process."""

    _installed: FirestoreOps | None = None

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: dict[str, Counter[str]] = {}

    def add(self, what: str, n: int = 1) -> None:
        tag = _tag()
        with self.lock:
            self.counts.setdefault(tag, Counter())[what] += n

    def reset(self) -> None:
        with self.lock:
            self.counts = {}

    def snapshot(self) -> dict[str, dict[str, int]]:
        """Counts per tag, the bench's own left out."""
        with self.lock:
            return {tag: dict(c) for tag, c in sorted(self.counts.items()) if tag != BENCH}

    def totals(self, prefixes: Iterable[str] | None = None) -> dict[str, int]:
        """reads, writes, deletes, rpcs summed over the tags (those starting with one of
        `prefixes`, if given)."""
        total: Counter[str] = Counter()
        for tag, counts in self.snapshot().items():
            if prefixes is None or any(tag.startswith(p) for p in prefixes):
                total.update(counts)
        return {k: total.get(k, 0) for k in ("reads", "writes", "deletes", "rpcs")}

    # -- the wrapper ---------------------------------------------------------------------

    @classmethod
    def install(cls) -> FirestoreOps:
        if cls._installed is not None:
            return cls._installed
        from google.cloud.firestore_v1.services.firestore.client import FirestoreClient

        ops = cls()
        originals = {
            name: getattr(FirestoreClient, name)
            for name in (
                "batch_get_documents",
                "run_query",
                "run_aggregation_query",
                "get_document",
                "list_documents",
                "commit",
                "batch_write",
                "begin_transaction",
                "rollback",
            )
        }

        def streamed(name: str, count_item, empty_counts: bool):
            original = originals[name]

            def wrapper(self, *args, **kwargs):
                ops.add("rpcs")
                return ops._counted(original(self, *args, **kwargs), count_item, empty_counts)

            return wrapper

        def plain(name: str, count):
            original = originals[name]

            def wrapper(self, *args, **kwargs):
                ops.add("rpcs")
                request = kwargs.get("request", args[0] if args else None)
                for what, n in count(request).items():
                    if n:
                        ops.add(what, n)
                return original(self, *args, **kwargs)

            return wrapper

        def found_or_missing(response) -> int:
            return 1 if (_field(response, "found") or _field(response, "missing")) else 0

        def a_document(response) -> int:
            document = _field(response, "document")
            return 1 if document is not None and _field(document, "name") else 0

        def commit_counts(request) -> dict[str, int]:
            writes = list(_field(request, "writes") or [])
            deletes = sum(1 for w in writes if _field(w, "delete"))
            return {"writes": len(writes) - deletes, "deletes": deletes}

        FirestoreClient.batch_get_documents = streamed(
            "batch_get_documents", found_or_missing, False
        )
        FirestoreClient.run_query = streamed("run_query", a_document, True)
        FirestoreClient.run_aggregation_query = plain(
            "run_aggregation_query", lambda request: {"reads": 1}
        )
        FirestoreClient.get_document = plain("get_document", lambda request: {"reads": 1})
        FirestoreClient.list_documents = plain("list_documents", lambda request: {"reads": 1})
        FirestoreClient.commit = plain("commit", commit_counts)
        FirestoreClient.batch_write = plain("batch_write", commit_counts)
        FirestoreClient.begin_transaction = plain("begin_transaction", lambda request: {})
        FirestoreClient.rollback = plain("rollback", lambda request: {})
        _tag_tasks()
        cls._installed = ops
        return ops

    def _counted(self, responses, count_item, empty_counts: bool) -> Iterator:
        """Pass a server stream through, counting its documents as they are consumed (a
        query that returns none counts one read)."""
        seen = 0
        try:
            for response in responses:
                n = count_item(response)
                if n:
                    seen += n
                    self.add("reads", n)
                yield response
        finally:
            if empty_counts and not seen:
                self.add("reads")


def _tag_tasks() -> None:
    """File a task's operations under its kind: wrap the task router's one way in."""
    from shared.services import tasks

    original = tasks._run

    def run(config, store, task):
        _task.kind = getattr(task, "kind", None)
        try:
            return original(config, store, task)
        finally:
            _task.kind = None

    tasks._run = run
