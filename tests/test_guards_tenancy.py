"""One company never sees or touches another's workers, even when both exist side by side."""

WORKER = {"active": True, "timezone": "UTC"}


def put_worker(stack, company: str, worker_id: str, name: str, email: str) -> None:
    body = {**WORKER, "name": name, "email": email}
    response = stack.request("PUT", f"/workers/{worker_id}", company=company, json=body)
    assert response.status_code == 200, response.text


def roster(stack, company: str) -> list[tuple[str, str]]:
    response = stack.request("GET", "/connections", company=company)
    assert response.status_code == 200, response.text
    return [(worker["worker_id"], worker["name"]) for worker in response.json()["workers"]]


def test_connections_lists_only_the_callers_company(stack):
    put_worker(stack, "c1", "ann", "Ann of c1", "ann@one.example")
    put_worker(stack, "c2", "bob", "Bob of c2", "bob@two.example")
    put_worker(stack, "c2", "ann", "Ann of c2", "ann@two.example")  # same id, other company

    assert roster(stack, "c1") == [("ann", "Ann of c1")]
    (entry,) = stack.request("GET", "/connections", company="c1").json()["workers"]
    assert entry == {
        "worker_id": "ann",
        "name": "Ann of c1",
        "state": "not_connected",
        "google_email": None,
        "last_synced_at": None,
        "first_sync": {"done": False, "pushed": 0, "imported": 0},
    }
    assert roster(stack, "c2") == [("ann", "Ann of c2"), ("bob", "Bob of c2")]
    assert roster(stack, "c3") == []  # a company with no roster sees nobody's


def test_another_companys_worker_is_unknown_to_every_connection_route(stack):
    put_worker(stack, "c1", "ann", "Ann", "ann@one.example")
    put_worker(stack, "c2", "bob", "Bob", "bob@two.example")

    # c1's admin, and a c1 fieldworker token that names c2's worker id as its own.
    for caller in ({"role": "admin"}, {"role": "fieldworker", "worker": "bob"}):
        for method, path in (
            ("GET", "/workers/bob/connection"),
            ("DELETE", "/workers/bob/connection"),
        ):
            response = stack.request(method, path, company="c1", **caller)
            assert response.status_code == 404, (caller, method, response.text)
            assert response.json()["error"]["code"] == "not_found"
    resync = stack.request("POST", "/workers/bob/resync", company="c1")
    assert resync.status_code == 404, resync.text

    # c1's own worker is there, and c2's worker is untouched by c1's calls.
    own = stack.request("GET", "/workers/ann/connection", company="c1")
    assert own.status_code == 200, own.text
    assert own.json()["state"] == "not_connected" and own.json()["scopes"] == []
    bob = stack.db.document("companies/c2/workers/bob").get().to_dict()
    assert bob["name"] == "Bob"
    assert not stack.db.document("companies/c1/workers/bob").get().exists


def test_an_id_that_is_not_a_plain_document_id_is_refused_by_name(stack):
    # Path ids become Firestore document paths under the company: nothing may climb out.
    for raw in ("%2E%2E", "%2E", "a$b", "ann%20smith"):
        response = stack.request(
            "PUT", f"/workers/{raw}", json={**WORKER, "name": "X", "email": "x@one.example"}
        )
        assert response.status_code == 400, (raw, response.text)
        error = response.json()["error"]
        assert error["code"] == "invalid_input" and error["field"] == "worker_id", raw
        assert "worker_id" in error["message"], raw
    assert roster(stack, "c1") == []
