"""Calendar API v3 over HTTP: authentication, scopes, and one handler per API method.

Routes, HTTP methods and accepted scopes come from the discovery document, so a method
answers exactly where the client library calls it and with Google's scope rules. Handlers
are thin: they find the caller's calendar and hand over to the store, queries or channels.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from emulators.google import batch, freebusy, queries
from emulators.google.calendars import Calendar
from emulators.google.discovery import METHODS, SCOPE_PREFIX
from emulators.google.errors import ApiError

if TYPE_CHECKING:
    from emulators.google.app import GoogleStandIn

API_ROOT = "/calendar/v3/"
APP_CREATED = SCOPE_PREFIX + "calendar.app.created"
# Scopes for public calendars only: they grant nothing on the account's own calendars.
PUBLIC_ONLY = SCOPE_PREFIX + "calendar.events.public.readonly"


@dataclass(frozen=True)
class Caller:
    """Who is calling (from the bearer token) and how far the token's scopes reach."""

    email: str
    client_id: str
    app_created_only: bool  # only calendar.app.created allows this method: own calendars only

    def calendar(self, standin: GoogleStandIn, calendar_id: str) -> Calendar:
        calendar = standin.calendars.calendar(self.email, calendar_id)
        if self.app_created_only and calendar.created_by != self.client_id:
            raise _insufficient_scopes()
        return calendar


def _insufficient_scopes() -> ApiError:
    return ApiError(
        403, "Request had insufficient authentication scopes.", "insufficientPermissions"
    )


def authenticate(standin: GoogleStandIn, request: Request, method_id: str) -> Caller:
    """The caller behind `Authorization: Bearer`, if its token may call `method_id` at all."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    bearer = scheme.lower() == "bearer"
    grant = standin.accounts.resolve_access_token(token.strip()) if bearer else None
    if grant is None:
        raise ApiError(
            401,
            "Request had invalid authentication credentials. Expected OAuth 2 access token, "
            "login cookie or other valid authentication credential.",
            "authError",
        )
    usable = (set(METHODS[method_id]["scopes"]) & grant.scopes) - {PUBLIC_ONLY}
    if not usable:
        raise _insufficient_scopes()
    return Caller(grant.email, grant.client_id, app_created_only=usable == {APP_CREATED})


Handler = Callable[..., Response]


def _api(method_id: str, handler: Handler) -> Rule:
    """A route for one discovery method; the endpoint authenticates before `handler` runs."""
    method = METHODS[method_id]
    path = API_ROOT + re.sub(r"\{(\w+)\}", r"<\1>", method["path"])

    def endpoint(standin: GoogleStandIn, request: Request, **values: str) -> Response:
        caller = authenticate(standin, request, method_id)
        return handler(standin, caller, request, **values)

    endpoint.method_id = method_id  # type: ignore[attr-defined]
    return Rule(path, methods=[method["httpMethod"]], endpoint=endpoint)


def json_response(body: dict, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json; charset=UTF-8")


def no_content() -> Response:
    return Response(status=204)


def json_body(request: Request) -> dict:
    if not request.get_data():
        return {}
    try:
        body = json.loads(request.get_data())
    except ValueError:
        raise ApiError(400, "Parse Error", "parseError") from None
    if not isinstance(body, dict):
        raise ApiError(400, "Parse Error", "parseError")
    return body


# -- calendarList ---------------------------------------------------------
def calendar_list_list(standin: GoogleStandIn, caller: Caller, request: Request) -> Response:
    body = queries.list_calendars(standin.calendars, standin.pages, caller.email, request.args)
    return listing_response(request, body)


def calendar_list_get(standin, caller: Caller, request: Request, calendarId: str) -> Response:
    return json_response(caller.calendar(standin, calendarId).list_entry())


# -- calendars ------------------------------------------------------------
def calendars_insert(standin: GoogleStandIn, caller: Caller, request: Request) -> Response:
    calendar = standin.calendars.create_calendar(caller.email, json_body(request), caller.client_id)
    return json_response(calendar.resource())


def calendars_get(standin, caller: Caller, request: Request, calendarId: str) -> Response:
    return json_response(caller.calendar(standin, calendarId).resource())


def calendars_patch(standin, caller: Caller, request: Request, calendarId: str) -> Response:
    calendar = caller.calendar(standin, calendarId)
    standin.calendars.change_calendar(calendar, json_body(request), replace=False)
    return json_response(calendar.resource())


def calendars_update(standin, caller: Caller, request: Request, calendarId: str) -> Response:
    calendar = caller.calendar(standin, calendarId)
    standin.calendars.change_calendar(calendar, json_body(request), replace=True)
    return json_response(calendar.resource())


def calendars_delete(standin, caller: Caller, request: Request, calendarId: str) -> Response:
    standin.calendars.delete_calendar(caller.calendar(standin, calendarId))
    return no_content()


# -- events ---------------------------------------------------------------
def events_insert(standin, caller: Caller, request: Request, calendarId: str) -> Response:
    calendar = caller.calendar(standin, calendarId)
    event = standin.calendars.insert_event(calendar, json_body(request), actor=caller.email)
    return json_response(event)


def events_get(standin, caller: Caller, request: Request, calendarId: str, eventId: str):
    calendar = caller.calendar(standin, calendarId)
    return json_response(standin.calendars.get_event(calendar, eventId))


def events_patch(standin, caller: Caller, request: Request, calendarId: str, eventId: str):
    return _change(standin, caller, request, calendarId, eventId, replace=False)


def events_update(standin, caller: Caller, request: Request, calendarId: str, eventId: str):
    return _change(standin, caller, request, calendarId, eventId, replace=True)


def _change(standin, caller, request, calendar_id: str, event_id: str, replace: bool) -> Response:
    calendar = caller.calendar(standin, calendar_id)
    event = standin.calendars.change_event(
        calendar,
        event_id,
        json_body(request),
        replace=replace,
        if_match=request.headers.get("If-Match"),
    )
    return json_response(event)


def events_delete(standin, caller: Caller, request: Request, calendarId: str, eventId: str):
    calendar = caller.calendar(standin, calendarId)
    standin.calendars.delete_event(calendar, eventId, if_match=request.headers.get("If-Match"))
    return no_content()


def events_list(standin, caller: Caller, request: Request, calendarId: str) -> Response:
    calendar = caller.calendar(standin, calendarId)
    body = queries.list_events(standin.calendars, standin.pages, calendar, request.args)
    return listing_response(request, body)


def events_instances(standin, caller: Caller, request: Request, calendarId: str, eventId: str):
    calendar = caller.calendar(standin, calendarId)
    body = queries.list_instances(standin.calendars, standin.pages, calendar, eventId, request.args)
    return listing_response(request, body)


def listing_response(request: Request, body: dict) -> Response:
    """A list answer, with its collection etag as `ETag`; 304 without a body when the request's
    `If-None-Match` names that etag (the caller's copy is still current)."""
    etag = body["etag"]
    if etag in _entity_tags(request.headers.get("If-None-Match", "")):
        return Response(status=304, headers={"ETag": etag})
    response = json_response(body)
    response.headers["ETag"] = etag
    return response


def _entity_tags(header: str) -> set[str]:
    """The etags an `If-None-Match` header lists (weak ones compare by their opaque part)."""
    tags = (tag.strip() for tag in header.split(","))
    return {tag.removeprefix("W/") for tag in tags if tag}


def events_watch(standin, caller: Caller, request: Request, calendarId: str) -> Response:
    calendar = caller.calendar(standin, calendarId)
    channel = standin.channels.watch(
        calendar, calendarId, json_body(request), caller.client_id, standin.base_url
    )
    return json_response(channel)


# -- freeBusy (channels.stop and calendarList.watch are channels.py's) -----
def freebusy_query(standin, caller: Caller, request: Request) -> Response:
    return json_response(freebusy.query(standin.calendars, caller.email, json_body(request)))


HANDLERS: dict[str, Handler] = {
    "calendar.calendarList.list": calendar_list_list,
    "calendar.calendarList.get": calendar_list_get,
    "calendar.calendars.insert": calendars_insert,
    "calendar.calendars.get": calendars_get,
    "calendar.calendars.patch": calendars_patch,
    "calendar.calendars.update": calendars_update,
    "calendar.calendars.delete": calendars_delete,
    "calendar.events.insert": events_insert,
    "calendar.events.get": events_get,
    "calendar.events.patch": events_patch,
    "calendar.events.update": events_update,
    "calendar.events.delete": events_delete,
    "calendar.events.list": events_list,
    "calendar.events.instances": events_instances,
    "calendar.events.watch": events_watch,
    "calendar.freebusy.query": freebusy_query,
}


def routes() -> list[Rule]:
    return [_api(method_id, handler) for method_id, handler in HANDLERS.items()] + batch.routes()
