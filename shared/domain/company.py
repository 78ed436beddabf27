"""A company's integration settings, and the rules that follow from them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from shared.domain.worker import Worker

Provider = Literal["platform", "private"]

# What a company that never saved its settings has.
DEFAULTS: dict[str, Any] = {
    "company_name": None,
    "enabled": False,
    "provider": "platform",
    "client_id": None,
    "workspace_domain": None,
    "sync_direction": "two_way",
    "admin_email": None,
}
# The name of the company calendar when the company has not named itself yet.
FALLBACK_CALENDAR_NAME = "Bookings"


@dataclass(frozen=True)
class Company:
    id: str
    company_name: str | None = None
    enabled: bool = False
    provider: Provider = "platform"
    client_id: str | None = None
    workspace_domain: str | None = None
    sync_direction: str = "two_way"
    admin_email: str | None = None
    admin_email_error: str | None = None
    # Sealed secrets (see shared/secrets); only whether they are set leaves the store.
    client_secret: dict | None = None
    service_account_key: dict | None = None

    @classmethod
    def from_record(cls, company_id: str, record: dict | None) -> Company:
        record = {**DEFAULTS, **(record or {})}
        return cls(
            id=company_id,
            company_name=record["company_name"],
            enabled=bool(record["enabled"]),
            provider=record["provider"],
            client_id=record["client_id"],
            workspace_domain=record["workspace_domain"],
            sync_direction=record["sync_direction"],
            admin_email=record["admin_email"],
            admin_email_error=record.get("admin_email_error"),
            client_secret=record.get("client_secret"),
            service_account_key=record.get("service_account_key"),
        )

    @property
    def calendar_name(self) -> str:
        """The company calendar in each worker's Google account is named after the company."""
        return self.company_name or FALLBACK_CALENDAR_NAME

    def starts_invitation_round(self, before: Company) -> bool:
        """Saving these settings over `before` emails the roster: the integration became
        enabled, or changed provider (every worker must consent to the new client)."""
        return self.enabled and (not before.enabled or before.provider != self.provider)

    @property
    def pushes(self) -> bool:
        """Whether bookings go to Google at all: integration on and not `pull_only`."""
        return self.enabled and self.sync_direction != "pull_only"

    @property
    def imports(self) -> bool:
        """Whether Google events come in as busy time: integration on and not `push_only`."""
        return self.enabled and self.sync_direction != "push_only"

    def delegates(self, worker: Worker) -> bool:
        """Workspace domain-wide delegation connects this worker without consent: a private
        client with a service-account key, and an active worker of the Workspace's domain."""
        domain = (self.workspace_domain or "").lower()
        return bool(
            self.provider == "private"
            and self.service_account_key
            and domain
            and worker.active
            and worker.email.lower().endswith("@" + domain)
        )
