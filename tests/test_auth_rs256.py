"""Platform tokens signed RS256 by the platform's identity provider, verified against its JWKS."""

import json
import time

import flask
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug.wrappers import Response

from emulators._wsgi import BackgroundWSGIServer
from shared import security
from shared.config import load_config
from shared.errors import Unauthenticated

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def jwks_url():
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key()))
    body = json.dumps({"keys": [{**jwk, "kid": "platform-1", "use": "sig", "alg": "RS256"}]})

    def app(environ, start_response):
        return Response(body, content_type="application/json")(environ, start_response)

    with BackgroundWSGIServer(app) as server:
        yield server.url + "/.well-known/jwks.json"


def authenticate(jwks_url: str, token: str):
    config = load_config(
        {
            "APP_MODE": "local",
            "APP_JWT_ALGORITHM": "RS256",
            "APP_JWT_JWKS_URL": jwks_url,
            "APP_JWT_AUDIENCE": "calendar-sync",
        }
    )
    with flask.Flask(__name__).test_request_context(
        "/settings", headers={"Authorization": f"Bearer {token}"}
    ):
        return security.authenticate_platform(flask.request, config)


def token(key=KEY, kid="platform-1", **claims) -> str:
    base = {"company_id": "c1", "role": "admin", "aud": "calendar-sync", "exp": time.time() + 60}
    return jwt.encode({**base, **claims}, key, algorithm="RS256", headers={"kid": kid})


def test_rs256_token_from_the_jwks_is_accepted(jwks_url):
    principal = authenticate(jwks_url, token(role="fieldworker", worker_id="w7"))
    assert (principal.company_id, principal.role, principal.worker_id) == (
        "c1",
        "fieldworker",
        "w7",
    )


@pytest.mark.parametrize(
    "bad",
    [
        lambda: token(key=OTHER_KEY),  # signed by someone else
        lambda: token(aud="another-service"),
        lambda: token(exp=time.time() - 5),
        lambda: jwt.encode(  # HS256 with the public key as secret: the classic confusion
            {"company_id": "c1", "role": "admin", "exp": time.time() + 60}, "x" * 32, "HS256"
        ),
    ],
)
def test_rs256_refuses_wrong_key_audience_expiry_and_algorithm(jwks_url, bad):
    with pytest.raises(Unauthenticated):
        authenticate(jwks_url, bad())
