"""Helpers for driving the connections group through docs/api.md, as the platform would."""

from __future__ import annotations

import pytest
import requests

from tests.browser import connect_through_google
from tests.helpers import wait_until

PRIVATE_CLIENT_ID = "acme-private.apps.googleusercontent.com"


class Company:
    """One company on the stack: its admin's calls and its workers' clicks."""

    def __init__(self, stack, company_id: str = "c1") -> None:
        self.stack = stack
        self.id = company_id

    def call(self, method: str, path: str, **kwargs):
        kwargs.setdefault("company", self.id)
        return self.stack.request(method, path, **kwargs)

    def enable(self, **settings) -> dict:
        body = {"company_name": "Acme Plumbing", "enabled": True, **settings}
        response = self.call("PUT", "/settings", json=body)
        assert response.status_code == 200, response.text
        return response.json()

    def enable_private(self, **settings) -> dict:
        """Enabled with the company's own Workspace client for acme.example."""
        return self.enable(
            **{
                "provider": "private",
                "client_id": PRIVATE_CLIENT_ID,
                "client_secret": "acme-secret",
                "workspace_domain": "acme.example",
                **settings,
            }
        )

    def delegation_key(self, delegated_scopes: list[str]) -> dict:
        """A service-account key the Workspace admin made, allowed to act for acme.example
        within `delegated_scopes` (as the Cloud console hands it out)."""
        answer = requests.post(
            f"{self.stack.google.base_url}/_test/service-accounts",
            json={"domain": "acme.example", "scopes": delegated_scopes},
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        return answer.json()

    def add_worker(self, worker_id: str, email: str, name: str | None = None, **fields) -> None:
        body = {"name": name or worker_id.title(), "email": email, "active": True, **fields}
        body.setdefault("timezone", "Europe/London")
        response = self.call("PUT", f"/workers/{worker_id}", json=body)
        assert response.status_code == 200, response.text

    def link(self, worker_id: str) -> str:
        response = self.call("POST", f"/workers/{worker_id}/authorization-url")
        assert response.status_code == 200, response.text
        return response.json()["url"]

    def connect(self, worker_id: str, email: str | None = None, **consent) -> dict:
        """The worker clicks "Sync calendar" and answers Google; the landing page's query."""
        return connect_through_google(self.link(worker_id), email=email, **consent)

    def connection(self, worker_id: str) -> dict:
        response = self.call("GET", f"/workers/{worker_id}/connection")
        assert response.status_code == 200, response.text
        return response.json()

    def wait_first_sync(self, worker_id: str) -> dict:
        return wait_until(
            lambda: (c := self.connection(worker_id))["first_sync"]["done"] and c,
            timeout=20,
            what=f"first sync of {worker_id}",
        )

    def account(self, sub: str | None = None) -> dict:
        """The company's record of a Google account (its only one if `sub` is None)."""
        accounts = self.stack.db.collection(f"companies/{self.id}/accounts")
        if sub is None:
            (snapshot,) = accounts.stream()
            return snapshot.to_dict()
        return accounts.document(sub).get().to_dict()

    def account_sub(self, worker_id: str) -> str:
        """The Google account (`sub`) the worker is linked to, as stored."""
        worker = self.stack.db.document(f"companies/{self.id}/workers/{worker_id}").get()
        return worker.to_dict()["connection"]["google_sub"]

    def grant(self, sub: str | None = None) -> dict:
        """The OAuth grant behind the company's (only) account, shared across companies."""
        grant_id = self.account(sub)["grant_id"]
        return self.stack.db.collection("grants").document(grant_id).get().to_dict()

    def forget_access_token(self, sub: str | None = None) -> None:
        """Drop the cached access token, so the next sync must refresh the grant."""
        grant_id = self.account(sub)["grant_id"]
        self.stack.db.collection("grants").document(grant_id).update({"access_token": None})

    def raw(self) -> str:
        """Every Firestore document of the company, and the grants, as stored."""
        company = self.stack.db.collection("companies").document(self.id)
        parts = [repr(company.get().to_dict())]
        for name in ("workers", "accounts", "oauth_states", "booking_statuses", "busy_blocks"):
            parts += [repr(doc.to_dict()) for doc in company.collection(name).stream()]
        # Grants are shared across companies; each test has a Firestore project to itself.
        parts += [repr(doc.to_dict()) for doc in self.stack.db.collection("grants").stream()]
        return "\n".join(parts)


@pytest.fixture
def company(stack) -> Company:
    return Company(stack)
