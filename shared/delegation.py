"""Workspace domain-wide delegation: workers of the company's domain connect without consent.

An admin of a private Workspace client may upload a service-account key that
the Workspace allows to act for the domain; each active worker of that domain
is then connected by the service account acting as them (jwt-bearer with
`sub`), and nobody has to click a link.
"""

from __future__ import annotations

import logging

import google.auth.transport.requests
import requests
from google.auth.exceptions import RefreshError

from shared import google_accounts
from shared.clients import google_endpoints
from shared.config import Config
from shared.store import Store

log = logging.getLogger(__name__)


def applies(company: dict, worker: dict) -> bool:
    """Delegation covers this worker: a private client with a key, and the worker's domain."""
    domain = (company.get("workspace_domain") or "").lower()
    return bool(
        company.get("provider") == "private"
        and company.get("service_account_key")
        and domain
        and worker.get("active", True)
        and worker.get("email", "").lower().endswith("@" + domain)
    )


def connect(config: Config, store: Store, company_id: str, worker_id: str) -> str:
    """Connect the worker as itself through the company's service account."""
    company = store.company(company_id).get().to_dict() or {}
    worker = store.worker(company_id, worker_id).get().to_dict() or {}
    if not applies(company, worker):
        return "not_delegated"
    credentials = google_accounts.delegated_credentials(
        config, company_id, company, worker["email"]
    )
    try:
        credentials.refresh(google.auth.transport.requests.Request())
    except RefreshError as exc:
        # The Workspace has not (or no longer) allowed these scopes for the service account.
        log.warning("delegation refused for %s/%s: %s", company_id, worker_id, exc)
        store.worker(company_id, worker_id).update(
            {"connection.error": "The Workspace refused domain-wide delegation for this worker."}
        )
        return "refused"
    response = requests.get(
        google_endpoints(config).userinfo,
        headers={"Authorization": f"Bearer {credentials.token}"},
        timeout=15,
    )
    response.raise_for_status()
    info = response.json()
    identity = google_accounts.Identity(sub=info["sub"], email=info["email"], hd=info.get("hd"))
    google_accounts.link_worker(
        config,
        store,
        company_id,
        worker_id,
        identity,
        scopes=sorted(credentials.scopes or []),
    )
    return "connected"
