"""Where each sealed secret is stored. The location is the context a secret is sealed with
(AES-GCM associated data), so a secret opens only where it was sealed: spelled once here,
because two spellings that drift apart would make stored secrets undecryptable."""

from __future__ import annotations


def client_secret(company_id: str) -> str:
    """A company's private OAuth client secret (`companies/{id}.client_secret`)."""
    return f"companies/{company_id}/client_secret"


def service_account_key(company_id: str) -> str:
    """A company's domain-wide delegation key (`companies/{id}.service_account_key`)."""
    return f"companies/{company_id}/service_account_key"


def refresh_token(grant_id: str) -> str:
    """The newest refresh token of a grant (`grants/{id}.refresh_token`)."""
    return f"grants/{grant_id}/refresh_token"


def access_token(grant_id: str) -> str:
    """The cached access token of a grant (`grants/{id}.access_token.token`)."""
    return f"grants/{grant_id}/access_token"


def grant_offer(company_id: str, worker_id: str) -> str:
    """A consent's refresh token waiting on the worker for its account's sync
    (`companies/{id}/workers/{id}.grant_offer.refresh_token`)."""
    return f"companies/{company_id}/workers/{worker_id}/grant_offer"
