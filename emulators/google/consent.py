"""HTML of the stand-in's sign-in/consent page and of its authorization error page.

The consent form is a contract other tools drive like a browser: a text input `email`, one
checkbox `scope` per requested scope (value = the scope, ticked by default), submit buttons
`allow` and `deny`, and hidden inputs carrying the original request.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape

from emulators.google.accounts import BASIC_SCOPES, USERINFO_EMAIL, USERINFO_PROFILE

_CALENDAR = "https://www.googleapis.com/auth/calendar"
_SEE_EMAIL = "See your primary Google Account email address"
_SEE_PROFILE = "See your personal info, including any personal info you've made publicly available"
SCOPE_DESCRIPTIONS = {
    "openid": "Associate you with your personal info on Google",
    "email": _SEE_EMAIL,
    USERINFO_EMAIL: _SEE_EMAIL,
    "profile": _SEE_PROFILE,
    USERINFO_PROFILE: _SEE_PROFILE,
    _CALENDAR: "See, edit, share, and permanently delete all the calendars you can access",
    _CALENDAR + ".readonly": "See and download any calendar you can access",
    _CALENDAR + ".events": "View and edit events on all your calendars",
    _CALENDAR + ".events.readonly": "View events on all your calendars",
    _CALENDAR + ".calendarlist.readonly": "See the list of Google calendars you're subscribed to",
    _CALENDAR + ".calendarlist": "See, add, and remove Google calendars you're subscribed to",
    _CALENDAR + ".app.created": (
        "Make secondary Google calendars, and see, create, change, and delete events on them"
    ),
    _CALENDAR + ".settings.readonly": "View your Calendar settings",
    _CALENDAR + ".freebusy": "View your availability in your calendars",
}

_STYLE = """
body { font-family: Roboto, Arial, sans-serif; background: #f1f3f4; margin: 0; color: #202124; }
main { max-width: 460px; margin: 48px auto; background: #fff; border: 1px solid #dadce0;
       border-radius: 8px; padding: 32px 40px; }
h1 { font-size: 22px; font-weight: 400; margin: 0 0 8px; }
.sub { color: #5f6368; margin: 0 0 24px; }
label.field { display: block; font-size: 14px; color: #5f6368; margin-bottom: 4px; }
input[type=text] { width: 100%; box-sizing: border-box; padding: 12px; font-size: 16px;
                   border: 1px solid #dadce0; border-radius: 4px; }
ul { list-style: none; padding: 0; margin: 16px 0 24px; }
li { padding: 10px 0; border-bottom: 1px solid #f1f3f4; display: flex; gap: 12px; }
li small { display: block; color: #80868b; word-break: break-all; }
.actions { display: flex; flex-direction: row-reverse; gap: 8px; }
button { font-size: 14px; padding: 10px 24px; border-radius: 4px; cursor: pointer; }
button[name=allow] { background: #1a73e8; color: #fff; border: 0; }
button[name=deny] { background: #fff; color: #1a73e8; border: 1px solid #dadce0; }
.hint, .error { font-size: 14px; padding: 8px 12px; border-radius: 4px; margin: 12px 0; }
.hint { background: #e8f0fe; } .error { background: #fce8e6; color: #c5221f; }
footer { color: #80868b; font-size: 12px; margin-top: 24px; }
"""


def _page(title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}<footer>Local stand-in for Google's sign-in and consent screens. "
        f"No real Google account is involved.</footer></main></body></html>"
    )


def consent_page(
    *,
    action: str,
    client_id: str,
    scopes: Iterable[str],
    hidden: Mapping[str, str],
    email: str = "",
    hd: str | None = None,
    message: str | None = None,
) -> str:
    """The sign-in and consent form for an authorization request."""
    items = []
    for scope in scopes:
        text = SCOPE_DESCRIPTIONS.get(scope, scope)
        always = " (always shared)" if scope in BASIC_SCOPES else ""
        items.append(
            f'<li><input type="checkbox" name="scope" value="{escape(scope)}" checked '
            f'id="s-{escape(scope)}"><label for="s-{escape(scope)}">{escape(text)}{always}'
            f"<small>{escape(scope)}</small></label></li>"
        )
    fields = "".join(
        f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'
        for name, value in hidden.items()
    )
    hint = f'<p class="hint">Use an account of <b>{escape(hd)}</b>.</p>' if hd else ""
    error = f'<p class="error">{escape(message)}</p>' if message else ""
    body = (
        f"<h1>Sign in with Google (local stand-in)</h1>"
        f'<p class="sub">to continue to <b>{escape(client_id)}</b></p>{hint}{error}'
        f'<form method="post" action="{escape(action)}">{fields}'
        f'<label class="field" for="email">Email</label>'
        f'<input type="text" id="email" name="email" value="{escape(email)}" '
        f'autocomplete="email" inputmode="email" autofocus>'
        f"<p>This will allow <b>{escape(client_id)}</b> to:</p><ul>{''.join(items)}</ul>"
        f'<div class="actions"><button type="submit" name="allow" value="1">Allow</button>'
        f'<button type="submit" name="deny" value="1">Cancel</button></div></form>'
    )
    return _page("Sign in with Google (local stand-in)", body)


def error_page(status: int, error: str, description: str, details: Mapping[str, str]) -> str:
    """Google's 'Access blocked' page: shown instead of redirecting for invalid requests."""
    rows = "".join(f"<li>{escape(k)}: {escape(v)}</li>" for k, v in details.items())
    body = (
        f"<h1>Access blocked: authorization error</h1>"
        f'<p class="error">{escape(description)}</p>'
        f"<p>Error {status}: {escape(error)}</p>"
        f'<p class="sub">Request details:</p><ul>{rows}</ul>'
    )
    return _page(f"Error {status}: {error}", body)
