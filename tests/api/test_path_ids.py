"""Every path variable is an id, checked by the router with shared/ids.py's one rule.

Ids become Firestore document paths: `__x__` is reserved, `.` and `..` are path parts, a slash
(even sent as %2F, which the WSGI server decodes before routing) reaches another document, and
ids are at most 128 characters. Each is a 400 naming the variable, and nothing is written.

(A line break, %0A, never reaches the router: Flask's own `/<path:path>` rule, in the local
host as in functions-framework, does not match it and answers 404. The unit tests cover it.)
"""

from __future__ import annotations

import pytest

from tests.api.edge import assert_error, company_is_untouched, service

WORKER = {"name": "Ann", "email": "ann@example.com", "active": True, "timezone": "UTC"}
STATUS = {"name": "Done", "color": "#00AA55", "push_to_google": True, "delete_from_google": True}

# (method, path with {} for the id, the variable's name, body, caller)
ROUTES = [
    ("PUT", "/workers/{}", "worker_id", WORKER, "admin"),
    ("GET", "/workers/{}/connection", "worker_id", None, "admin"),
    ("DELETE", "/workers/{}/connection", "worker_id", None, "admin"),
    ("POST", "/workers/{}/authorization-url", "worker_id", None, "admin"),
    ("GET", "/workers/{}/authorization-email", "worker_id", None, "admin"),
    ("POST", "/workers/{}/authorization-email", "worker_id", {}, "admin"),
    ("GET", "/workers/{}/calendars", "worker_id", None, "admin"),
    ("PUT", "/workers/{}/calendars", "worker_id", {"selected": []}, "admin"),
    ("POST", "/workers/{}/resync", "worker_id", None, "admin"),
    ("PUT", "/booking-statuses/{}", "status_id", STATUS, "admin"),
    ("POST", "/cron/{}", "job", None, "service"),
]

# As written on the wire.
BAD_IDS = {
    "reserved": "__x__",
    "reserved_prefix_suffix": "__w1__",
    "dot": ".",
    "dotdot": "..",
    "encoded_dotdot": "%2E%2E",
    "encoded_slash": "a%2Fb",
    "encoded_slash_lower": "a%2fb",
    "encoded_slash_to_parent": "..%2Fc2",
    "too_long": "x" * 129,
    "space": "a%20b",
    "non_ascii": "%C3%A9",
    "percent": "a%25b",
    "semicolon": "a;b",
    "tab": "a%09b",
    "nul": "a%00b",
}


def _call(stack, send, method, template, bad, body, caller):
    path = template.format(bad)
    token = service(stack, path) if caller == "service" else None
    return send(method, path, token=token, json=body)


@pytest.mark.parametrize("bad", BAD_IDS.values(), ids=BAD_IDS.keys())
@pytest.mark.parametrize(
    ("method", "template", "field", "body", "caller"),
    ROUTES,
    ids=[f"{method} {template}" for method, template, *_ in ROUTES],
)
def test_a_path_id_that_is_not_an_id_is_400_naming_it(
    stack, send, method, template, field, body, caller, bad
):
    response = _call(stack, send, method, template, bad, body, caller)
    assert_error(response, 400, "invalid_input", field)
    assert company_is_untouched(stack)


def test_an_encoded_slash_is_not_routed_as_two_segments(stack, send):
    """`/workers/a%2Fb/connection` arrives as PATH_INFO `/workers/a/b/connection`, a path no
    route has: without the raw request URI it would be a 404, not a refusal of the id."""
    for method, path in [("PUT", "/workers/a%2Fb"), ("GET", "/workers/a%2Fb/connection")]:
        response = send(method, path, json=WORKER if method == "PUT" else None)
        error = assert_error(response, 400, "invalid_input", "worker_id")
        assert "worker_id" in error["message"]
    assert company_is_untouched(stack)


def test_the_longest_id_is_accepted(stack, send):
    longest = "w" * 128
    response = send("PUT", f"/workers/{longest}", json=WORKER)
    assert response.status_code == 200, response.text
    assert stack.db.document(f"companies/c1/workers/{longest}").get().exists


def test_a_bad_id_is_refused_for_a_fieldworker_too_and_unauthenticated_is_still_401(stack, send):
    response = send("GET", "/workers/a%2Fb/connection", role="fieldworker", worker="w1")
    assert_error(response, 400, "invalid_input", "worker_id")
    # Authentication comes first: a caller without a token learns nothing about the path.
    assert_error(send("GET", "/workers/__x__/connection", token=""), 401, "unauthenticated")


def test_a_line_break_in_a_path_is_a_json_404(stack, send):
    # Flask's catch-all cannot match it, so no router sees it; the answer is still JSON.
    response = send("GET", "/workers/a%0Ab/connection")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
