"""Workspace domain-wide delegation: workers of the company's domain connect without consent.

An admin of a private Workspace client may upload a service-account key that
the Workspace allows to act for the domain; each active worker of that domain
is then connected by the service account acting as them (jwt-bearer with
`sub`), and nobody has to click a link. Which workers it covers is the
company's rule (`Company.delegates`).
"""

from __future__ import annotations

import logging

import google.auth.transport.requests
from google.auth.exceptions import RefreshError

from shared.config import Config
from shared.domain.connection import ConnectionState
from shared.google import credentials, oauth
from shared.services import linking
from shared.store import records
from shared.store.firestore import Store

log = logging.getLogger(__name__)


def connect(config: Config, store: Store, company_id: str, worker_id: str) -> str:
    """Connect the worker as itself through the company's service account."""
    company = records.company(store, company_id)
    worker = records.worker(store, company_id, worker_id)
    if worker is None or not company.delegates(worker):
        return "not_delegated"
    delegated = credentials.delegated(config, company, worker.email)
    try:
        delegated.refresh(google.auth.transport.requests.Request())
    except RefreshError as exc:
        # The Workspace has not (or no longer) allowed these scopes for the service account.
        log.warning("delegation refused for %s/%s: %s", company_id, worker_id, exc)
        store.worker(company_id, worker_id).update(
            {"connection.error": "The Workspace refused domain-wide delegation for this worker."}
        )
        return "refused"
    identity = oauth.userinfo(config, delegated.token)
    linking.link_worker(
        config,
        store,
        company_id,
        worker_id,
        identity,
        scopes=sorted(delegated.scopes or []),
    )
    return ConnectionState.CONNECTED.value
