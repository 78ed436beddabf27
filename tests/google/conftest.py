import threading

import pytest
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from werkzeug.wrappers import Request, Response

from emulators._wsgi import BackgroundWSGIServer
from emulators.google import GoogleStandIn

SCOPE = "https://www.googleapis.com/auth/"
ADA = "ada@example.com"


def stop_in_background(server) -> None:
    """Stop without waiting: werkzeug notices a shutdown only at its next 0.5 s poll, which
    would otherwise dominate the time of these tests."""
    threading.Thread(target=server.stop, daemon=True).start()


@pytest.fixture
def google():
    """A fresh stand-in per test, on a free port."""
    standin = GoogleStandIn(port=0).start()
    yield standin
    stop_in_background(standin)


def service_for(standin: GoogleStandIn, token: str):
    """The real Calendar client, pointed at the stand-in."""
    return build(
        "calendar",
        "v3",
        credentials=Credentials(token),
        static_discovery=True,
        client_options={"api_endpoint": standin.base_url + "/calendar/v3/"},
    )


@pytest.fixture
def calendar_api(google):
    """`calendar_api(email, scopes, client_id)` -> a Calendar v3 service acting for `email`."""

    def make(email=ADA, scopes=("calendar",), client_id="test-client"):
        token = google.accounts.issue_access_token(
            email, {SCOPE + scope for scope in scopes}, client_id=client_id
        )
        return service_for(google, token)

    return make


@pytest.fixture
def api(calendar_api):
    """Full-scope Calendar service for ada@example.com."""
    return calendar_api()


def all_pages(collection, method: str = "list", **params) -> list[dict]:
    """Every page of a list call, read the way clients must: Google may cut any page short or
    leave it empty while `nextPageToken` is present; only the last carries `nextSyncToken`."""
    request, pages = getattr(collection, method)(**params), []
    while request is not None:
        pages.append(request.execute())
        request = getattr(collection, f"{method}_next")(request, pages[-1])
    return pages


def all_items(collection, method: str = "list", **params) -> list[dict]:
    """The items of every page of a list call."""
    return [item for page in all_pages(collection, method, **params) for item in page["items"]]


def sync_token(collection, **params) -> str:
    """The `nextSyncToken` a full list ends with."""
    return all_pages(collection, **params)[-1]["nextSyncToken"]


def reason_of(error: HttpError) -> str:
    return error.error_details[0]["reason"]


def api_error(call) -> HttpError:
    """Execute a client request that must fail; its HttpError."""
    with pytest.raises(HttpError) as caught:
        call.execute()
    return caught.value


class Receiver:
    """A webhook target recording each push notification's headers; can be told to fail
    (`status`) or to hold every request until `open` is set again."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.status = 200
        self.open = threading.Event()
        self.open.set()
        self._changed = threading.Condition()
        self.server = BackgroundWSGIServer(self._app, port=0)

    def _app(self, environ, start_response):
        request = Request(environ)
        self.open.wait(timeout=10)
        with self._changed:
            self.received.append({"body": request.get_data(), **dict(request.headers)})
            self._changed.notify_all()
        return Response(status=self.status)(environ, start_response)

    @property
    def url(self) -> str:
        return self.server.url + "/notifications"

    def wait_for(self, count: int, timeout: float = 5.0) -> list[dict]:
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.received) >= count, timeout):
                raise AssertionError(f"expected {count} notifications, got {self.received}")
            return list(self.received)


@pytest.fixture
def receiver():
    target = Receiver()
    target.server.start()
    yield target
    stop_in_background(target.server)
