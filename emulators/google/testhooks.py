"""`/_test/...`: the stand-in's test hooks over HTTP, for tests in other processes and for
people driving the local stack by hand. Each hook calls the same-named `GoogleStandIn` method.

    POST   /_test/reset
    GET    /_test/accounts/{email}/calendars
    POST   /_test/accounts/{email}/calendars                      Calendar body
    DELETE /_test/accounts/{email}/calendars/{calendarId}
    POST   /_test/accounts/{email}/calendars/{calendarId}/invalidate-sync-tokens
    GET    /_test/accounts/{email}/calendars/{calendarId}/events  ?deleted=true
    POST   /_test/accounts/{email}/calendars/{calendarId}/events  Event body
    PATCH  /_test/accounts/{email}/calendars/{calendarId}/events/{eventId}
    DELETE /_test/accounts/{email}/calendars/{calendarId}/events/{eventId}
    POST   /_test/faults     {"status", "reason"?, "method"?, "path"?, "count"?, "message"?,
                              "retry_after"?: seconds (429s: 1 unless given),
                              "done"?: true (carried out, then answered with the error)}
    POST   /_test/latency    {"seconds", "method"?, "path"?, "count"?}
    DELETE /_test/faults     (clears faults, latency, notification drops and delays)
    POST   /_test/paging     {"max_page_size"?: n, "empty_pages"?: k}  (left out: no cap, 0)
    DELETE /_test/paging     (full pages: set_paging(); `reset` brings back random short pages)
    GET    /_test/rate-limit -> {"limit": n | null, "window_seconds": s}
    POST   /_test/rate-limit {"limit": n | null (0 or null: none), "window_seconds"?: s (60)}
    GET    /_test/requests   -> {"requests": [...], "counts": {"calendar.events.insert": 3, ...}}
    DELETE /_test/requests
    GET    /_test/notifications        -> {"deliveries": [...]}
    POST   /_test/notifications/wait   {"timeout"?: seconds} -> {"idle": bool, "deliveries": [...]}
    POST   /_test/notifications/drop   {"count", "channel_id"?}
    POST   /_test/notifications/delay  {"seconds", "count"?, "channel_id"?}
    POST   /_test/notifications/retries {"attempts", "backoff_seconds"}
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from emulators.google.calendar_api import json_body, json_response, no_content
from emulators.google.errors import ApiError
from emulators.google.faults import DEFAULT_PATH, RATE_LIMIT_WINDOW_SECONDS

if TYPE_CHECKING:
    from emulators.google.app import GoogleStandIn

ACCOUNT = "/_test/accounts/<email>/calendars"
EVENTS = ACCOUNT + "/<calendar_id>/events"


def reset(standin: GoogleStandIn, request: Request) -> Response:
    standin.reset()
    return no_content()


def list_calendars(standin: GoogleStandIn, request: Request, email: str) -> Response:
    return json_response({"items": standin.calendar_list(email)})


def create_calendar(standin: GoogleStandIn, request: Request, email: str) -> Response:
    body = json_body(request)
    summary = body.pop("summary", None)
    if not summary:
        raise ApiError(400, "Missing title.", "required")
    return json_response(standin.create_calendar(email, summary, **body))


def delete_calendar(standin, request: Request, email: str, calendar_id: str) -> Response:
    standin.delete_calendar(email, calendar_id)
    return no_content()


def invalidate_sync_tokens(standin, request: Request, email: str, calendar_id: str) -> Response:
    standin.invalidate_sync_tokens(email, calendar_id)
    return no_content()


def list_events(standin, request: Request, email: str, calendar_id: str) -> Response:
    deleted = request.args.get("deleted", "false").lower() == "true"
    return json_response({"items": standin.events(email, calendar_id, deleted=deleted)})


def insert_event(standin, request: Request, email: str, calendar_id: str) -> Response:
    return json_response(standin.insert_event(email, calendar_id, json_body(request)))


def patch_event(standin, request: Request, email: str, calendar_id: str, event_id: str):
    return json_response(standin.patch_event(email, calendar_id, event_id, json_body(request)))


def delete_event(standin, request: Request, email: str, calendar_id: str, event_id: str):
    standin.delete_event(email, calendar_id, event_id)
    return no_content()


def inject_fault(standin: GoogleStandIn, request: Request) -> Response:
    body = json_body(request)
    try:
        standin.inject_fault(
            int(body["status"]),
            body.get("reason"),
            method=body.get("method", "*"),
            path=body.get("path", DEFAULT_PATH),
            count=body.get("count", 1),
            message=body.get("message"),
            retry_after=body.get("retry_after"),
            done=_flag(body.get("done", False)),
        )
    except (KeyError, TypeError, ValueError):
        raise ApiError(
            400,
            "Expected {status, reason?, method?, path?, count?, message?, retry_after?, done?}.",
        ) from None
    return no_content()


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError("expected true or false")
    return value


def add_latency(standin: GoogleStandIn, request: Request) -> Response:
    body = json_body(request)
    try:
        standin.add_latency(
            float(body["seconds"]),
            method=body.get("method", "*"),
            path=body.get("path", DEFAULT_PATH),
            count=body.get("count"),
        )
    except (KeyError, TypeError, ValueError):
        raise ApiError(400, "Expected {seconds, method?, path?, count?}.") from None
    return no_content()


def clear_faults(standin: GoogleStandIn, request: Request) -> Response:
    standin.clear_faults()
    return no_content()


def set_paging(standin: GoogleStandIn, request: Request) -> Response:
    body = json_body(request)
    try:
        standin.set_paging(body.get("max_page_size"), body.get("empty_pages", 0))
    except ValueError:
        raise ApiError(400, "Expected {max_page_size?: n >= 1, empty_pages?: k >= 0}.") from None
    return no_content()


def reset_paging(standin: GoogleStandIn, request: Request) -> Response:
    standin.set_paging()
    return no_content()


def rate_limit(standin: GoogleStandIn, request: Request) -> Response:
    return json_response(standin.user_rate_limit())


def set_rate_limit(standin: GoogleStandIn, request: Request) -> Response:
    body = json_body(request)
    try:
        standin.set_user_rate_limit(
            body["limit"], body.get("window_seconds", RATE_LIMIT_WINDOW_SECONDS)
        )
    except (KeyError, TypeError, ValueError):
        raise ApiError(400, "Expected {limit: n >= 0 or null, window_seconds?: s > 0}.") from None
    return no_content()


def request_log(standin: GoogleStandIn, request: Request) -> Response:
    return json_response({"requests": standin.request_log(), "counts": standin.call_counts()})


def reset_request_log(standin: GoogleStandIn, request: Request) -> Response:
    standin.reset_request_log()
    return no_content()


def notifications(standin: GoogleStandIn, request: Request) -> Response:
    return json_response({"deliveries": standin.notifications()})


def wait_for_notifications(standin: GoogleStandIn, request: Request) -> Response:
    timeout = float(json_body(request).get("timeout", 5.0))
    idle = standin.channels.wait(timeout)
    return json_response({"idle": idle, "deliveries": standin.notifications()})


def drop_notifications(standin: GoogleStandIn, request: Request) -> Response:
    body = json_body(request)
    try:
        standin.drop_notifications(body["count"], body.get("channel_id"))
    except (KeyError, ValueError):
        raise ApiError(400, "Expected {count, channel_id?}.") from None
    return no_content()


def delay_notifications(standin: GoogleStandIn, request: Request) -> Response:
    body = json_body(request)
    try:
        standin.delay_notifications(body["seconds"], body.get("count"), body.get("channel_id"))
    except (KeyError, TypeError, ValueError):
        raise ApiError(400, "Expected {seconds, count?, channel_id?}.") from None
    return no_content()


def set_push_retries(standin: GoogleStandIn, request: Request) -> Response:
    body = json_body(request)
    try:
        standin.set_push_retries(body["attempts"], body["backoff_seconds"])
    except (KeyError, TypeError, ValueError):
        raise ApiError(400, "Expected {attempts: n >= 1, backoff_seconds: s >= 0}.") from None
    return no_content()


def routes() -> list[Rule]:
    return [
        Rule("/_test/reset", methods=["POST"], endpoint=reset),
        Rule(ACCOUNT, methods=["GET"], endpoint=list_calendars),
        Rule(ACCOUNT, methods=["POST"], endpoint=create_calendar),
        Rule(ACCOUNT + "/<calendar_id>", methods=["DELETE"], endpoint=delete_calendar),
        Rule(
            ACCOUNT + "/<calendar_id>/invalidate-sync-tokens",
            methods=["POST"],
            endpoint=invalidate_sync_tokens,
        ),
        Rule(EVENTS, methods=["GET"], endpoint=list_events),
        Rule(EVENTS, methods=["POST"], endpoint=insert_event),
        Rule(EVENTS + "/<event_id>", methods=["PATCH"], endpoint=patch_event),
        Rule(EVENTS + "/<event_id>", methods=["DELETE"], endpoint=delete_event),
        Rule("/_test/faults", methods=["POST"], endpoint=inject_fault),
        Rule("/_test/faults", methods=["DELETE"], endpoint=clear_faults),
        Rule("/_test/latency", methods=["POST"], endpoint=add_latency),
        Rule("/_test/paging", methods=["POST"], endpoint=set_paging),
        Rule("/_test/paging", methods=["DELETE"], endpoint=reset_paging),
        Rule("/_test/rate-limit", methods=["GET"], endpoint=rate_limit),
        Rule("/_test/rate-limit", methods=["POST"], endpoint=set_rate_limit),
        Rule("/_test/requests", methods=["GET"], endpoint=request_log),
        Rule("/_test/requests", methods=["DELETE"], endpoint=reset_request_log),
        Rule("/_test/notifications", methods=["GET"], endpoint=notifications),
        Rule("/_test/notifications/wait", methods=["POST"], endpoint=wait_for_notifications),
        Rule("/_test/notifications/drop", methods=["POST"], endpoint=drop_notifications),
        Rule("/_test/notifications/delay", methods=["POST"], endpoint=delay_notifications),
        Rule("/_test/notifications/retries", methods=["POST"], endpoint=set_push_retries),
    ]
