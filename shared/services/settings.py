"""The company's integration settings and booking statuses (admin).

Saving settings that newly enable the integration, or switch its provider,
starts an invitation round: every active worker that is not connected is
emailed a "grant permission" link once. The settings transaction writes only the
company (with the round, so saving twice starts it once); one task per round then
marks the workers and queues their emails (services/invitation_rounds.py), so the
save costs the same whatever the roster's size.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from google.cloud import firestore

from shared.config import Config
from shared.domain.company import DEFAULTS, Company
from shared.errors import InvalidInput
from shared.google import oauth
from shared.inputs import BookingStatusIn, ServiceAccountKey, SettingsIn
from shared.queue import messages
from shared.secrets import locations
from shared.secrets.crypto import secret_box
from shared.services import bookings, invitation_rounds
from shared.store import records
from shared.store.firestore import Store

_NOT_NULLABLE = ("company_name", "enabled", "provider", "sync_direction")


def settings_view(config: Config, company: Company) -> dict:
    """What GET /settings shows: never a secret, only whether one is set."""
    return {
        "company_name": company.company_name,
        "enabled": company.enabled,
        "provider": company.provider,
        "client_id": company.client_id,
        "workspace_domain": company.workspace_domain,
        "sync_direction": company.sync_direction,
        "admin_email": company.admin_email,
        "has_client_secret": bool(company.client_secret),
        "has_service_account_key": bool(company.service_account_key),
        # Set when an alert to admin_email bounced; cleared when the address changes.
        "admin_email_error": company.admin_email_error,
        "redirect_uri": oauth.redirect_uri(config),
    }


def get_settings(config: Config, store: Store, company_id: str) -> dict:
    return settings_view(config, records.company(store, company_id))


def put_settings(config: Config, store: Store, company_id: str, changes: SettingsIn) -> dict:
    given = changes.model_dump(exclude_unset=True)
    for key in _NOT_NULLABLE:
        if key in given and given[key] is None:
            raise InvalidInput(f"{key} cannot be null", field=key)
    key = changes.service_account_key
    if key is not None:
        check_service_account_key_urls(config, key)
    if "admin_email" in given:
        given["admin_email_error"] = None  # a new address deserves a fresh try
    box = secret_box(config)
    if given.get("client_secret") is not None:
        given["client_secret"] = box.seal(
            given["client_secret"], locations.client_secret(company_id)
        )
    if key is not None:
        # Only the validated fields are kept.
        given["service_account_key"] = box.seal(
            _json(key.model_dump(exclude_none=True)), locations.service_account_key(company_id)
        )
    ref = store.company(company_id)
    now = datetime.now(UTC)

    def write(transaction: firestore.Transaction) -> tuple[Company, Company, str | None]:
        snapshot = ref.get(transaction=transaction)
        stored = snapshot.to_dict() if snapshot.exists else {}
        after = {**DEFAULTS, **stored, **given, "updated_at": now}
        _check_complete(after)
        before, company = (
            Company.from_record(company_id, stored),
            Company.from_record(company_id, after),
        )
        round_id = None
        if company.starts_invitation_round(before):
            round_id = uuid.uuid4().hex
            after.update(invitation_rounds.started(round_id, now))
        transaction.set(ref, after)
        return before, company, round_id

    before, company, round_id = store.transact(write)
    emails = 0
    if round_id is not None:
        try:
            # Counted before the fan-out starts marking workers, so it reads the roster alone.
            emails = invitation_rounds.expected_invitations(store, company)
        finally:
            invitation_rounds.queue(config, company_id, round_id)
    delegating = given.get("service_account_key") and company.provider == "private"
    renamed = before.company_name not in (None, company.company_name)
    pushing = company.pushes and not before.pushes
    importing = company.imports and not before.imports
    if delegating or renamed or pushing or importing:
        # Delegation can connect the domain's workers now; a rename renames their calendars;
        # pushing again (enabled, or no longer pull_only) sends what changed meanwhile;
        # importing again (enabled, or no longer push_only) brings Google's changes in.
        messages.send(config, messages.RosterLook(company_id=company_id))
    return {**settings_view(config, company), "authorization_emails_queued": emails}


def _check_complete(settings: dict) -> None:
    if settings["enabled"] and not settings.get("company_name"):
        raise InvalidInput(
            "company_name is required to enable the integration (it names the calendar)",
            field="company_name",
        )
    if settings["provider"] == "private":
        for key in ("client_id", "client_secret", "workspace_domain"):
            if not settings.get(key):
                raise InvalidInput(f"{key} is required for a private OAuth client", field=key)


def check_service_account_key_urls(config: Config, key: ServiceAccountKey) -> None:
    """Every address in the key must be Google's (see `oauth.service_account_key_addresses`)."""
    for field, allowed in oauth.service_account_key_addresses(config, key.client_email).items():
        value = getattr(key, field)
        if value is None and field != "token_uri":
            continue  # optional in the key file; nothing uses it
        if value not in allowed:
            raise InvalidInput(
                f"service_account_key.{field} must be {min(allowed)}",
                field=f"service_account_key.{field}",
            )


def _json(value: dict) -> str:
    return json.dumps(value, sort_keys=True)


# -- booking statuses ------------------------------------------------------


def list_booking_statuses(store: Store, company_id: str) -> dict:
    statuses = [
        {"id": snapshot.id, **_status_fields(snapshot.to_dict())}
        for snapshot in store.booking_statuses(company_id).stream()
    ]
    return {"statuses": sorted(statuses, key=lambda status: status["id"])}


def put_booking_status(
    config: Config, store: Store, company_id: str, status_id: str, status: BookingStatusIn
):
    """Save the status; every booking in it is reconciled (its flags, name and colour shape
    the pushed events), whether or not this save changed anything, so a retried save
    finishes what a failed one started."""
    record = {**status.model_dump(), "updated_at": datetime.now(UTC)}
    store.booking_statuses(company_id).document(status_id).set(record)
    bookings.reconcile_status(config, store, company_id, status_id)
    return {"id": status_id, **_status_fields(record)}


def _status_fields(record: dict) -> dict:
    return {key: record[key] for key in BookingStatusIn.model_fields}
