"""Assertions shared by the HTTP edge tests."""

from __future__ import annotations

from urllib.parse import unquote

import requests

from dev.tokens import service_token


def service(stack, path: str) -> str:
    """The Scheduler/Tasks token for `path` as the server sees it (percent-decoded)."""
    return service_token(stack.config, unquote(path.split("?")[0]))


def assert_error(response: requests.Response, status: int, code: str, field: str | None = None):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json"), response.text
    error = response.json()["error"]
    assert error["code"] == code, error
    assert isinstance(error["message"], str) and error["message"], error
    if field is not None:
        assert error.get("field") == field, error
    return error


def company_is_untouched(stack, company: str = "c1") -> bool:
    """Nothing at all was written for `company` (no company document, no sub-collection)."""
    ref = stack.db.collection("companies").document(company)
    return not ref.get().exists and not list(ref.collections())
