"""`make cron JOB=...`: one Scheduler job fired now, as Cloud Scheduler would."""

from __future__ import annotations

import json

from werkzeug.wrappers import Request, Response

from dev import cron
from emulators._runtime import free_port
from emulators._wsgi import BackgroundWSGIServer
from shared.config import get_config, load_config


def test_sweep_succeeds_against_the_stack(stack, capsys):
    assert cron.main(["sweep"]) == 0
    out = capsys.readouterr().out
    assert f"POST {stack.url}/cron/sweep {{}}" in out
    assert '"job": "sweep"' in out and "200 OK" in out


def test_an_unknown_job_exits_non_zero(stack, capsys):
    assert cron.main(["no-such-job"]) != 0
    captured = capsys.readouterr()
    assert "404" in captured.out and "no-such-job" in captured.err


def test_a_stack_that_is_not_running_exits_non_zero(monkeypatch, capsys):
    monkeypatch.setenv("APP_MODE", "local")
    monkeypatch.setenv("PUBLIC_BASE_URL", f"http://127.0.0.1:{free_port()}")  # nobody listens
    get_config.cache_clear()
    try:
        assert cron.main(["sweep"]) == 2
    finally:
        get_config.cache_clear()
    assert "make run" in capsys.readouterr().err


def test_the_request_is_what_cloud_scheduler_sends():
    seen: list[Request] = []

    def target(environ, start_response):
        request = Request(environ)
        request.get_data()
        seen.append(request)
        return Response('{"ok": true}', content_type="application/json")(environ, start_response)

    with BackgroundWSGIServer(target) as server:
        config = load_config({"APP_MODE": "local", "PUBLIC_BASE_URL": server.url})
        assert cron.fire(config, "poll", {"all": True}).status_code == 200
        assert cron.fire(config, "poll").status_code == 200
    first, second = seen
    assert (first.method, first.path) == ("POST", "/cron/poll")
    assert json.loads(first.get_data()) == {"all": True}
    assert json.loads(second.get_data()) == {}
    assert first.headers["Authorization"].startswith("Bearer ")
