"""PUT /settings takes a service-account key only if it is really one of Google's.

The attack: an admin saves a key whose token_uri (or another address in it)
points at a host of their choosing; delegation then posts a signed assertion
there (server-side request forgery). A huge key blew Firestore's document limit.
"""

from __future__ import annotations

import json

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from werkzeug.wrappers import Request, Response

from emulators._wsgi import BackgroundWSGIServer
from shared.secrets import locations
from shared.secrets.crypto import secret_box
from tests.connections.conftest import PRIVATE_CLIENT_ID, Company
from tests.helpers import wait_until

SCOPES = [
    "https://www.googleapis.com/auth/calendar",
    "https://www.googleapis.com/auth/userinfo.email",
]
PRIVATE = {
    "company_name": "Acme Plumbing",
    "enabled": True,
    "provider": "private",
    "client_id": PRIVATE_CLIENT_ID,
    "client_secret": "acme-secret",
    "workspace_domain": "acme.example",
}


@pytest.fixture
def company(stack) -> Company:
    return Company(stack)


@pytest.fixture
def key(company) -> dict:
    """A key file as the (stand-in) Cloud console hands it out, delegated for acme.example."""
    return company.delegation_key(SCOPES)


@pytest.fixture
def catcher():
    """A host of the attacker's: records every request that reaches it."""
    seen: list[str] = []

    def app(environ, start_response):
        request = Request(environ)
        seen.append(f"{request.method} {request.path}")
        return Response('{"error": "nope"}', 400, content_type="application/json")(
            environ, start_response
        )

    with BackgroundWSGIServer(app) as server:
        server.seen = seen
        yield server


def put_key(company: Company, key, **settings) -> requests.Response:
    return company.call(
        "PUT", "/settings", json={**PRIVATE, **settings, "service_account_key": key}
    )


def assert_refused(response: requests.Response, field: str, code: str = "invalid_input") -> None:
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert (error["code"], error["field"]) == (code, field), error
    assert error["message"]


def stored_key(company: Company) -> dict:
    record = company.stack.db.document(f"companies/{company.id}").get().to_dict()
    sealed = record["service_account_key"]
    context = locations.service_account_key(company.id)
    return json.loads(secret_box(company.stack.config).open(sealed, context))


def test_a_key_pointing_its_token_uri_elsewhere_is_refused_and_never_called(company, key, catcher):
    company.add_worker("w1", "ann@acme.example")
    response = put_key(company, {**key, "token_uri": catcher.url + "/token"})
    assert_refused(response, "service_account_key.token_uri")
    assert company.call("GET", "/settings").json()["has_service_account_key"] is False
    # The worker in the domain is looked at, and no signed assertion leaves for the catcher.
    worker = company.stack.db.document("companies/c1/workers/w1")
    company.call("POST", "/workers/w1/resync")
    wait_until(lambda: worker.get().to_dict().get("last_looked_at"), what="a look at the worker")
    assert catcher.seen == []


@pytest.mark.parametrize(
    "field, value",
    [
        ("token_uri", "http://169.254.169.254/computeMetadata/v1/token"),
        ("token_uri", "https://oauth2.googleapis.com.evil.example/token"),
        ("token_uri", "https://oauth2.googleapis.com/token"),  # Google's, but not this stack's
        ("auth_uri", "https://evil.example/o/oauth2/auth"),
        ("auth_provider_x509_cert_url", "https://evil.example/oauth2/v1/certs"),
        ("client_x509_cert_url", "https://evil.example/robot/v1/metadata/x509/a"),
        ("universe_domain", "evil.example"),
    ],
)
def test_every_address_in_the_key_must_be_googles(company, key, field, value):
    assert_refused(put_key(company, {**key, field: value}), f"service_account_key.{field}")


@pytest.mark.parametrize(
    "change, field",
    [
        ({"type": "authorized_user"}, "service_account_key.type"),
        ({"project_id": None}, "service_account_key.project_id"),
        ({"private_key_id": 12345}, "service_account_key.private_key_id"),
        ({"client_email": ["ann@acme.example"]}, "service_account_key.client_email"),
        ({"client_email": "ann@gmail.com"}, "service_account_key.client_email"),
        ({"client_id": "1\r\nX-Evil: 1"}, "service_account_key.client_id"),
        (
            {"private_key": "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n"},
            "service_account_key.private_key",
        ),
        ({"token_uri": None}, "service_account_key.token_uri"),
        ({"extra": "field"}, "service_account_key.extra"),
    ],
)
def test_a_key_of_the_wrong_shape_names_the_field(company, key, change, field):
    bad = {**key, **change}
    bad = {name: value for name, value in bad.items() if value is not None}
    assert_refused(put_key(company, bad), field)


def test_the_private_key_must_load_as_rsa(company, key):
    ec_pem = (
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    assert_refused(
        put_key(company, {**key, "private_key": ec_pem}), "service_account_key.private_key"
    )
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    small_pem = small.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    response = put_key(company, {**key, "private_key": small_pem})
    assert_refused(response, "service_account_key.private_key")


def test_a_real_key_is_accepted_as_object_or_text_and_only_its_fields_are_kept(company, key):
    response = put_key(company, json.dumps(key))
    assert response.status_code == 200, response.text
    assert response.json()["has_service_account_key"] is True
    assert stored_key(company) == key

    # Google's own percent-encoded certificate address is accepted too.
    encoded = key["client_x509_cert_url"].replace("@", "%40")
    response = put_key(company, {**key, "client_x509_cert_url": encoded})
    assert response.status_code == 200, response.text
    # Optional addresses may be left out; nothing is stored in their place.
    minimal = {name: value for name, value in key.items() if not name.endswith(("_url", "_uri"))}
    response = put_key(company, {**minimal, "token_uri": key["token_uri"]})
    assert response.status_code == 200, response.text
    assert set(stored_key(company)) == {*minimal, "token_uri"}


def test_an_oversized_key_is_400_not_500(company, key):
    padded = {**key, "private_key": key["private_key"] + "\n" * 20_000}
    assert_refused(put_key(company, padded), "service_account_key")
    assert_refused(put_key(company, json.dumps(padded)), "service_account_key")
    # The reported one: a 1.2 MB key is refused with the body, before anything is parsed.
    huge = {**key, "private_key": "A" * 1_200_000}
    response = put_key(company, huge)
    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == "body_too_large"
    assert response.json()["error"]["field"] == "body"
    assert company.call("GET", "/settings").json()["has_service_account_key"] is False


def test_no_json_body_may_exceed_the_limit(stack):
    worker = {"name": "Ann", "email": "ann@example.com", "active": True, "timezone": "UTC"}
    big = json.dumps({**worker, "padding": "x" * 1_100_000})
    response = stack.request(
        "PUT", "/workers/w1", data=big, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == "body_too_large"
    assert response.json()["error"]["field"] == "body"
    assert not stack.db.document("companies/c1/workers/w1").get().exists
