"""Google's OAuth 2.0 and OpenID Connect endpoints, as the stand-in serves them.

Consent page, token endpoint (authorization code with PKCE, refresh token, service-account
JWT bearer), revocation, userinfo, signing keys and discovery, plus `/_test/` hooks to mint
tokens, register OAuth clients, create service accounts and revoke or expire an account's
tokens.

As at Google, only registered clients exist, local mode included: an unknown `client_id` is
refused (`invalid_client`) at the consent page and the token endpoint, and the consent page
sends people only to a redirect URI registered for the client (`redirect_uri_mismatch`).
Local mode differs only in accepting plain-http loopback redirect URIs (still registered).

id_tokens name `https://accounts.google.com` as issuer, not the stand-in's URL, so that real
verification code (google-auth's `verify_oauth2_token` checks the issuer) accepts them; only
the certificate URL differs from production. Endpoint URLs in the discovery document and in
service-account keys are built from the URL the caller used to reach the stand-in.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import jwt
from werkzeug.datastructures import MultiDict
from werkzeug.routing import Rule
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from emulators.google.accounts import (
    ACCESS_TOKEN_TTL,
    BASIC_SCOPES,
    EMAIL_SCOPES,
    Client,
    OAuthError,
)
from emulators.google.consent import consent_page, error_page
from emulators.google.errors import google_error

ISSUER = "https://accounts.google.com"
ID_TOKEN_TTL = 3600
TEST_HOOK_CLIENT_ID = "local-standin-test-hook"  # client of access tokens minted by /_test/tokens
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# Audiences Google accepts in a service-account assertion; google-auth always sends the first.
GOOGLE_TOKEN_AUDIENCES = (
    "https://oauth2.googleapis.com/token",
    "https://www.googleapis.com/oauth2/v4/token",
    "https://accounts.google.com/o/oauth2/token",
)
APPROVE_PATH = "/o/oauth2/v2/auth/approve"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
PROMPTS = frozenset({"none", "consent", "select_account"})
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Request parameters the consent form carries in hidden inputs (scope goes as requested_scope).
_CARRIED = (
    "client_id",
    "redirect_uri",
    "response_type",
    "state",
    "access_type",
    "prompt",
    "include_granted_scopes",
    "hd",
    "code_challenge",
    "code_challenge_method",
    "nonce",
)


def routes() -> list[Rule]:
    return [
        Rule("/.well-known/openid-configuration", endpoint=discovery, methods=["GET"]),
        Rule("/oauth2/v3/certs", endpoint=jwks, methods=["GET"]),
        Rule("/oauth2/v1/certs", endpoint=x509_certs, methods=["GET"]),
        Rule("/robot/v1/metadata/x509/<email>", endpoint=service_account_certs, methods=["GET"]),
        Rule("/o/oauth2/v2/auth", endpoint=authorize, methods=["GET", "POST"]),
        Rule("/o/oauth2/auth", endpoint=authorize, methods=["GET", "POST"]),
        Rule(APPROVE_PATH, endpoint=approve, methods=["POST"]),
        Rule("/token", endpoint=token, methods=["POST"]),
        Rule("/revoke", endpoint=revoke, methods=["POST"]),
        Rule("/v1/userinfo", endpoint=userinfo, methods=["GET", "POST"]),
        Rule("/oauth2/v3/userinfo", endpoint=userinfo, methods=["GET", "POST"]),
        Rule("/_test/tokens", endpoint=hook_tokens, methods=["POST"]),
        Rule("/_test/clients", endpoint=hook_clients, methods=["POST"]),
        Rule("/_test/service-accounts", endpoint=hook_service_accounts, methods=["POST"]),
        Rule(
            "/_test/accounts/<email>/revoke-tokens",
            endpoint=hook_revoke_account_tokens,
            methods=["POST"],
        ),
        Rule(
            "/_test/accounts/<email>/expire-access-tokens",
            endpoint=hook_expire_access_tokens,
            methods=["POST"],
        ),
    ]


def _base(request: Request) -> str:
    return request.host_url.rstrip("/")


def _json(body: Any, status: int = 200) -> Response:
    response = Response(json.dumps(body), status=status, content_type="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


def _oauth_error(exc: OAuthError) -> Response:
    return _json({"error": exc.error, "error_description": exc.description}, exc.status)


# -- discovery and keys ------------------------------------------------------
def discovery(standin, request: Request) -> Response:
    base = _base(request)
    return _json(
        {
            "issuer": ISSUER,
            "authorization_endpoint": base + "/o/oauth2/v2/auth",
            "token_endpoint": base + "/token",
            "userinfo_endpoint": base + "/v1/userinfo",
            "revocation_endpoint": base + "/revoke",
            "jwks_uri": base + "/oauth2/v3/certs",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "claims_supported": [
                "aud",
                "azp",
                "email",
                "email_verified",
                "exp",
                "hd",
                "iat",
                "iss",
                "nonce",
                "sub",
                "at_hash",
            ],
            "code_challenge_methods_supported": ["plain", "S256"],
            "grant_types_supported": ["authorization_code", "refresh_token", JWT_BEARER],
        }
    )


# Google lets its public keys be cached for hours (and rotates them with overlap).
CERTS_CACHE_CONTROL = "public, max-age=21600, must-revalidate, no-transform"


def _certs(body: Any) -> Response:
    response = _json(body)
    response.headers["Cache-Control"] = CERTS_CACHE_CONTROL
    return response


def jwks(standin, request: Request) -> Response:
    return _certs({"keys": [standin.accounts.signing_key.jwk()]})


def x509_certs(standin, request: Request) -> Response:
    key = standin.accounts.signing_key
    return _certs({key.kid: key.certificate_pem()})


def service_account_certs(standin, request: Request, email: str) -> Response:
    service_account = standin.accounts.service_account(email)
    if service_account is None:
        return _json({"error": "not_found"}, 404)
    return _json({service_account.key.kid: service_account.key.certificate_pem()})


# -- authorization (consent page) --------------------------------------------
class AuthPageError(Exception):
    """An invalid authorization request: Google shows an error page and does not redirect."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


@dataclass(frozen=True)
class AuthRequest:
    client: Client
    redirect_uri: str
    scopes: tuple[str, ...]
    state: str | None
    offline: bool
    prompt: frozenset[str]
    include_granted_scopes: bool
    login_hint: str
    hd: str | None
    code_challenge: str | None
    code_challenge_method: str
    nonce: str | None
    carried: dict[str, str]


def _redirect_uri_allowed(uri: str, client: Client, local_mode: bool) -> bool:
    """Registered for the client, and https (local mode also lets plain-http loopback
    addresses through, since the local stack has no TLS: a matter of scheme only)."""
    if uri not in client.redirect_uris:
        return False
    parts = urlsplit(uri)
    if parts.fragment or not parts.netloc:
        return False
    if parts.scheme == "https":
        return True
    return local_mode and parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS


def _scope_valid(scope: str) -> bool:
    return scope in BASIC_SCOPES or scope.startswith("https://")


def parse_auth_request(standin, params: Mapping[str, str]) -> AuthRequest:
    """Validate an authorization request the way Google does before showing consent."""

    def required(name: str) -> str:
        value = params.get(name, "").strip()
        if not value:
            raise AuthPageError("invalid_request", f"Missing required parameter: {name}")
        return value

    client_id = required("client_id")
    client = standin.accounts.client(client_id)
    if client is None:
        raise AuthPageError("invalid_client", "The OAuth client was not found.", status=401)
    redirect_uri = required("redirect_uri")
    if not _redirect_uri_allowed(redirect_uri, client, standin.local_mode):
        raise AuthPageError(
            "redirect_uri_mismatch",
            f"You can't sign in to this app because it doesn't comply with Google's OAuth 2.0 "
            f"policy: redirect_uri={redirect_uri} is not registered for this client.",
        )
    response_type = required("response_type")
    if response_type != "code":
        raise AuthPageError("unsupported_response_type", f"Invalid response_type: {response_type}")
    scopes = tuple(dict.fromkeys(required("scope").split()))
    invalid = [s for s in scopes if not _scope_valid(s)]
    if invalid:
        raise AuthPageError("invalid_scope", f"Some requested scopes were invalid. {invalid}")
    prompt = frozenset(params.get("prompt", "").split())
    if not prompt <= PROMPTS or ("none" in prompt and len(prompt) > 1):
        raise AuthPageError("invalid_request", f"Invalid prompt: {params.get('prompt')}")
    access_type = params.get("access_type", "online")
    if access_type not in ("online", "offline"):
        raise AuthPageError("invalid_request", f"Invalid access_type: {access_type}")
    challenge = params.get("code_challenge") or None
    method = params.get("code_challenge_method") or "plain"
    if method not in ("plain", "S256") or (params.get("code_challenge_method") and not challenge):
        raise AuthPageError("invalid_request", f"Invalid code_challenge_method: {method}")
    carried = {name: params[name] for name in _CARRIED if params.get(name)}
    carried["requested_scope"] = " ".join(scopes)
    return AuthRequest(
        client=client,
        redirect_uri=redirect_uri,
        scopes=scopes,
        state=params.get("state") or None,
        offline=access_type == "offline",
        prompt=prompt,
        include_granted_scopes=params.get("include_granted_scopes", "").lower() == "true",
        login_hint=params.get("login_hint", ""),
        hd=params.get("hd") or None,
        code_challenge=challenge,
        code_challenge_method=method,
        nonce=params.get("nonce") or None,
        carried=carried,
    )


def _with_query(uri: str, params: Mapping[str, str | None]) -> str:
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(k, v) for k, v in params.items() if v is not None]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _error_page(exc: AuthPageError, params: Mapping[str, str]) -> Response:
    details = {
        k: params[k] for k in ("client_id", "redirect_uri", "response_type", "scope") if k in params
    }
    html = error_page(exc.status, exc.error, exc.description, details)
    return Response(html, status=exc.status, content_type="text/html; charset=utf-8")


def _redirect_with_code(standin, auth: AuthRequest, email: str, scopes: frozenset[str]) -> Response:
    code, granted = standin.accounts.authorize(
        email=email,
        client_id=auth.client.client_id,
        redirect_uri=auth.redirect_uri,
        scopes=scopes,
        include_granted_scopes=auth.include_granted_scopes,
        offline=auth.offline,
        consent_prompted="consent" in auth.prompt,
        code_challenge=auth.code_challenge,
        code_challenge_method=auth.code_challenge_method,
        nonce=auth.nonce,
    )
    account = standin.accounts.ensure(email)
    location = _with_query(
        auth.redirect_uri,
        {
            "state": auth.state,
            "code": code,
            "scope": " ".join(sorted(granted)),
            "authuser": "0",
            "hd": account.hd,
            "prompt": "none" if "none" in auth.prompt else "consent",
        },
    )
    return redirect(location, 302)


def _redirect_with_error(auth: AuthRequest, error: str) -> Response:
    return redirect(_with_query(auth.redirect_uri, {"error": error, "state": auth.state}), 302)


def _consent(auth: AuthRequest, email: str, message: str | None = None) -> Response:
    html = consent_page(
        action=APPROVE_PATH,
        client_id=auth.client.client_id,
        scopes=auth.scopes,
        hidden=auth.carried,
        email=email,
        hd=auth.hd,
        message=message,
    )
    status = 400 if message else 200
    return Response(html, status=status, content_type="text/html; charset=utf-8")


def authorize(standin, request: Request) -> Response:
    """Show sign-in and consent, or with `prompt=none` answer at once from earlier consent."""
    params = request.values.to_dict()
    try:
        auth = parse_auth_request(standin, params)
    except AuthPageError as exc:
        return _error_page(exc, params)
    if "none" not in auth.prompt:
        return _consent(auth, auth.login_hint)
    if not auth.login_hint:
        return _redirect_with_error(auth, "login_required")
    granted = standin.accounts.granted_scopes(auth.login_hint, auth.client.client_id)
    if not set(auth.scopes) <= granted:
        return _redirect_with_error(auth, "consent_required")
    return _redirect_with_code(standin, auth, auth.login_hint, frozenset(auth.scopes))


def approve(standin, request: Request) -> Response:
    """The consent form's answer. Basic scopes are granted even when unticked, as on Google.

    A `hd` hint that does not match the typed account is not enforced: Google only uses it
    to pick accounts, so the app must check the id_token's `hd` claim itself.
    """
    form = request.form
    params = {name: form[name] for name in _CARRIED if name in form}
    params["scope"] = form.get("requested_scope", "")
    try:
        auth = parse_auth_request(standin, params)
    except AuthPageError as exc:
        return _error_page(exc, params)
    if "allow" not in form:
        return _redirect_with_error(auth, "access_denied")
    email = form.get("email", "").strip().lower()
    if not _EMAIL.match(email):
        return _consent(auth, email, "Enter a valid email address.")
    ticked = set(form.getlist("scope"))
    granted = frozenset(s for s in auth.scopes if s in BASIC_SCOPES or s in ticked)
    if not granted:
        return _redirect_with_error(auth, "access_denied")
    return _redirect_with_code(standin, auth, email, granted)


# -- token endpoint ----------------------------------------------------------
def _client_credentials(request: Request, form: Mapping[str, str]) -> tuple[str, str]:
    """Client id and secret from HTTP Basic or the body (google-auth uses the body)."""
    client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
    basic = request.authorization
    if basic is not None and basic.type == "basic":
        if client_id and client_id != basic.username:
            raise OAuthError("invalid_client", "Unauthorized", status=401)
        client_id, secret = basic.username or "", basic.password or ""
    if not client_id:
        raise OAuthError("invalid_request", "Could not determine client ID from request.")
    return client_id, secret


def _id_token(
    standin, email: str, client_id: str, scopes: frozenset[str], access: str, nonce: str | None
) -> str:
    account = standin.accounts.ensure(email)
    now = int(standin.accounts.clock())
    digest = hashlib.sha256(access.encode()).digest()
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "azp": client_id,
        "aud": client_id,
        "sub": account.sub,
        "at_hash": base64.urlsafe_b64encode(digest[:16]).decode().rstrip("="),
        "iat": now,
        "exp": now + ID_TOKEN_TTL,
    }
    if scopes & EMAIL_SCOPES:
        claims.update(email=account.email, email_verified=True)
    if account.hd:
        claims["hd"] = account.hd
    if nonce:
        claims["nonce"] = nonce
    return standin.accounts.signing_key.sign(claims)


def _token_body(
    standin,
    email: str,
    client_id: str,
    scopes: frozenset[str],
    access: str,
    nonce: str | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "access_token": access,
        "expires_in": ACCESS_TOKEN_TTL,
        "scope": " ".join(sorted(scopes)),
        "token_type": "Bearer",
    }
    if "openid" in scopes:
        body["id_token"] = _id_token(standin, email, client_id, scopes, access, nonce)
    return body


def _exchange_code(standin, request: Request, form: Mapping[str, str]) -> dict[str, Any]:
    client_id, secret = _client_credentials(request, form)
    standin.accounts.authenticate_client(client_id, secret)
    code = form.get("code")
    if not code:
        raise OAuthError("invalid_request", "Missing required parameter: code")
    if not form.get("redirect_uri"):
        raise OAuthError("invalid_request", "Missing required parameter: redirect_uri")
    issued = standin.accounts.redeem_authorization_code(
        code, client_id, form["redirect_uri"], form.get("code_verifier")
    )
    access = standin.accounts.issue_access_token(issued.email, issued.scopes, client_id)
    body = _token_body(standin, issued.email, client_id, issued.scopes, access, issued.nonce)
    if issued.with_refresh_token:
        body["refresh_token"] = standin.accounts.issue_refresh_token(
            issued.email, issued.scopes, client_id
        )
    return body


def _refresh(standin, request: Request, form: Mapping[str, str]) -> dict[str, Any]:
    client_id, secret = _client_credentials(request, form)
    standin.accounts.authenticate_client(client_id, secret)
    refresh_token = form.get("refresh_token")
    if not refresh_token:
        raise OAuthError("invalid_request", "Missing required parameter: refresh_token")
    narrowed = frozenset(form.get("scope", "").split()) or None
    access, issued, scopes = standin.accounts.refresh_access_token(
        refresh_token, client_id, narrowed
    )
    return _token_body(standin, issued.email, client_id, scopes, access)


def _jwt_bearer(standin, request: Request, form: Mapping[str, str]) -> dict[str, Any]:
    """A service account's signed assertion, optionally impersonating `sub` (delegation)."""
    assertion = form.get("assertion")
    if not assertion:
        raise OAuthError("invalid_request", "Missing required parameter: assertion")
    try:
        unverified = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise OAuthError("invalid_grant", f"Invalid JWT: {exc}") from exc
    service_account = standin.accounts.service_account(str(unverified.get("iss", "")))
    if service_account is None:
        raise OAuthError("invalid_grant", "Invalid grant: account not found")
    audiences = [*GOOGLE_TOKEN_AUDIENCES, _base(request) + "/token", standin.base_url + "/token"]
    try:
        claims = jwt.decode(
            assertion,
            service_account.key.public_key,
            algorithms=["RS256"],
            audience=audiences,
            options={"require": ["iss", "aud", "iat", "exp"]},
            leeway=60,
        )
    except jwt.InvalidSignatureError as exc:
        raise OAuthError("invalid_grant", "Invalid JWT Signature.") from exc
    except jwt.PyJWTError as exc:
        raise OAuthError("invalid_grant", f"Invalid JWT: {exc}") from exc
    if claims["exp"] - claims["iat"] > 3600:
        raise OAuthError(
            "invalid_grant",
            "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable "
            "timeframe. Check your iat and exp values in the JWT claim.",
        )
    scopes = frozenset(str(claims.get("scope", "")).split())
    if not scopes:
        raise OAuthError("invalid_scope", "Invalid OAuth scope or ID token audience provided.")
    subject = claims.get("sub") or service_account.email
    if subject != service_account.email:
        service_account.check_delegation(subject, scopes)
    access = standin.accounts.issue_access_token(subject, scopes, service_account.client_id)
    return {"access_token": access, "expires_in": ACCESS_TOKEN_TTL, "token_type": "Bearer"}


_GRANTS = {
    "authorization_code": _exchange_code,
    "refresh_token": _refresh,
    JWT_BEARER: _jwt_bearer,
}


def token(standin, request: Request) -> Response:
    form = MultiDict(request.get_json(silent=True) or {}) if request.is_json else request.form
    grant_type = form.get("grant_type", "")
    try:
        if not grant_type:
            raise OAuthError("invalid_request", "Missing required parameter: grant_type")
        grant = _GRANTS.get(grant_type)
        if grant is None:
            raise OAuthError("unsupported_grant_type", f"Invalid grant_type: {grant_type}")
        return _json(grant(standin, request, form))
    except OAuthError as exc:
        return _oauth_error(exc)


# -- revocation and userinfo --------------------------------------------------
def revoke(standin, request: Request) -> Response:
    """Revoke an access or refresh token; the client's whole grant for the account dies."""
    token_value = request.values.get("token", "")
    if not token_value:
        return _oauth_error(OAuthError("invalid_request", "Missing required parameter: token"))
    if not standin.accounts.revoke(token_value):
        return _oauth_error(OAuthError("invalid_token", "Token expired or revoked"))
    return _json({})


def userinfo(standin, request: Request) -> Response:
    auth = request.authorization
    bearer = auth.token if auth is not None and auth.type == "bearer" else None
    grant = standin.accounts.resolve_access_token(bearer or request.args.get("access_token", ""))
    if grant is None:
        response = _json(
            {"error": "invalid_request", "error_description": "Invalid Credentials"}, 401
        )
        response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        return response
    if not grant.scopes & BASIC_SCOPES:
        response = _json(
            {"error": "insufficient_scope", "error_description": "Insufficient Permission"}, 403
        )
        response.headers["WWW-Authenticate"] = 'Bearer error="insufficient_scope"'
        return response
    account = standin.accounts.ensure(grant.email)
    body: dict[str, Any] = {"sub": account.sub}
    if grant.scopes & EMAIL_SCOPES:
        body.update(email=account.email, email_verified=True)
    if account.hd:
        body["hd"] = account.hd
    return _json(body)


# -- /_test/ hooks -------------------------------------------------------------
def _hook_body(request: Request) -> dict[str, Any]:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _scope_list(value: Any) -> list[str] | None:
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list) and all(isinstance(s, str) for s in value):
        return value
    return None


def _bad_hook(message: str) -> Response:
    return google_error(400, message)


def hook_tokens(standin, request: Request) -> Response:
    """Mint an access token acting as `email` (created on first use) within `scopes`."""
    body = _hook_body(request)
    email, scopes = body.get("email"), _scope_list(body.get("scopes", []))
    if not isinstance(email, str) or not _EMAIL.match(email.strip()) or scopes is None:
        return _bad_hook('Body must be {"email": "...", "scopes": ["..."]}')
    client_id = str(body.get("client_id") or TEST_HOOK_CLIENT_ID)
    access = standin.accounts.issue_access_token(email, frozenset(scopes), client_id)
    return _json(
        {
            "access_token": access,
            "expires_in": ACCESS_TOKEN_TTL,
            "token_type": "Bearer",
            "scope": " ".join(sorted(set(scopes))),
        }
    )


def hook_clients(standin, request: Request) -> Response:
    """Create or update an OAuth client as its owner would in the Cloud Console; the stand-in
    knows no client otherwise. `{"client_id", "client_secret"?, "redirect_uris"?: [...],
    "keep_secret"?: bool}`: a new client without a secret gets one made up (in the answer); a
    known one takes the secret sent, but with `keep_secret` only if its own was made up;
    redirect URIs are added to the registered ones."""
    body = _hook_body(request)
    client_id, secret = body.get("client_id"), body.get("client_secret")
    redirect_uris, keep_secret = body.get("redirect_uris", []), body.get("keep_secret", False)
    if (
        not isinstance(client_id, str)
        or not client_id
        or not isinstance(secret, str | None)
        or not isinstance(redirect_uris, list)
        or not all(isinstance(uri, str) and uri for uri in redirect_uris)
        or not isinstance(keep_secret, bool)
    ):
        return _bad_hook(
            'Body must be {"client_id", "client_secret"?, "redirect_uris"?: [...], '
            '"keep_secret"?: bool}'
        )
    client = standin.accounts.register_client(
        client_id, secret, redirect_uris, keep_secret=keep_secret
    )
    return _json(
        {
            "client_id": client.client_id,
            "client_secret": client.secret,
            "redirect_uris": sorted(client.redirect_uris),
        }
    )


def hook_service_accounts(standin, request: Request) -> Response:
    """Create a service account delegated domain-wide; answers its key file, as Google does."""
    body = _hook_body(request)
    domain, scopes, email = body.get("domain"), _scope_list(body.get("scopes")), body.get("email")
    if not isinstance(domain, str) or not domain or not scopes or not isinstance(email, str | None):
        return _bad_hook('Body must be {"domain": "...", "scopes": ["..."], "email"?: "..."}')
    service_account = standin.accounts.create_service_account(domain, scopes, email)
    base = _base(request)
    return _json(
        {
            "type": "service_account",
            "project_id": service_account.project_id,
            "private_key_id": service_account.key.kid,
            "private_key": service_account.key.private_key_pem(),
            "client_email": service_account.email,
            "client_id": service_account.client_id,
            "auth_uri": base + "/o/oauth2/auth",
            "token_uri": base + "/token",
            "auth_provider_x509_cert_url": base + "/oauth2/v1/certs",
            "client_x509_cert_url": base + "/robot/v1/metadata/x509/" + service_account.email,
            "universe_domain": "googleapis.com",
        }
    )


def hook_revoke_account_tokens(standin, request: Request, email: str) -> Response:
    """Revoke all of the account's tokens: its next refresh answers invalid_grant."""
    return _json({"revoked": standin.accounts.revoke_account_tokens(email)})


def hook_expire_access_tokens(standin, request: Request, email: str) -> Response:
    """Expire the account's access tokens now, so clients get 401 and must refresh."""
    return _json({"expired": standin.accounts.expire_access_tokens(email)})
