"""What the fuzzing of openapi.yaml found, pinned as plain tests.

- `POST /cron/poll` with a JSON body that is not an object (`5`, `[1]`, `"x"`) was a 500:
  only an object's `all` asks for every calendar; any other body polls the due ones.
- `POST /tasks/sync` with ids that are no Firestore ids (`"sub": ""`, `"worker_id": "a/b"`)
  reached a document path and was a 500: a task's ids are ids now (a 400 naming the field).
"""

from __future__ import annotations

import pytest

from dev.tokens import service_token


@pytest.mark.parametrize("body", [b"5", b"[1]", b'"x"', b"true", b"null", b"{}"], ids=repr)
def test_cron_poll_takes_any_json_body(stack, body):
    response = stack.request(
        "POST",
        "/cron/poll",
        token=service_token(stack.config, "/cron/poll"),
        data=body,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"job": "poll", "calendars": 0}


@pytest.mark.parametrize(
    ("task", "field"),
    [
        ({"kind": "calendar_import", "company_id": "c1", "sub": "", "calendar_id": "x"}, "sub"),
        (
            {"kind": "calendar_import", "company_id": "c1", "sub": "1", "calendar_id": "a/b"},
            "calendar_id",
        ),
        ({"kind": "worker", "company_id": "c1", "worker_id": "a/b"}, "worker_id"),
        ({"kind": "account_sync", "company_id": "__x__", "sub": "1"}, "company_id"),
        ({"kind": "release_grant", "grant_id": ".."}, "grant_id"),
    ],
    ids=lambda value: value if isinstance(value, str) else value["kind"],
)
def test_a_task_whose_ids_are_no_ids_is_refused_naming_the_field(stack, task, field):
    response = stack.request(
        "POST", "/tasks/sync", token=service_token(stack.config, "/tasks/sync"), json=task
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"]["field"].endswith(field)
