"""The Terraform in infra/ and the code agree: what the code runs, names or queries exists.

The Terraform files are parsed with python-hcl2 (never by hand); references between
resources are read from the expressions hcl2 returns (`${local.functions}`). No emulator and no
network: the whole module takes a few seconds.

- Functions: every entry point of `functions/main.py` (`ENTRY_POINTS`) is a function with that
  entry point, runtime python312 and GOOGLE_FUNCTION_SOURCE=functions/main.py, built from a
  source archive that keeps every file production imports.
- Routes: every route each function module declares (`router.routes()`) is sent by the load
  balancer's URL map to that function. The map's rules are evaluated here the way the load
  balancer does (priority order; prefix, full-path and path-template matches).
- Queues: every queue the code creates (`ensure_queues`, recorded on a fake client) exists, with
  the same retry settings, and the functions are told its name.
- Cron: every job `functions/cron.py` runs is in `infra/schedules.json`, which both
  `dev/schedules.py` (`make run`) and Terraform (`jsondecode(file(...))`) read; the Scheduler
  jobs take schedule, time zone, path and OIDC audience from it.
- Environment: every variable `shared/config.py` reads in production is set on the functions,
  as a plain variable or a Secret Manager secret, and nothing else is.
- Firestore: every query the code runs has its index (below); the TTL field the code writes
  has a TTL policy; the security rules deny every client.

How the index check finds the queries. Reading query code statically cannot be trusted:
queries are built across helpers (`_in_range(collection, since, until, "range_start", ...)`,
`_linked(active)`) with field names in variables. So the queries are RECORDED instead: the
real google-cloud-firestore client builds them, with the calls that would reach the server
patched to record the finished query (collection, collection group or not, filters, orders)
and answer "nothing found". `_run_every_query` calls each function of shared/ that queries.
What makes this fail for a NEW query: every call site of `.where(`, `.order_by(` and
`.collection_group(` in shared/ and functions/ is found with `ast`, and the test fails unless
the recorded run went through each of them. So a query added anywhere fails here until a
line in `_run_every_query` runs it, and then fails until infra/firestore.tf has its index.

What counts as "has an index" (Firestore's rules): a query on one field is served by the
automatic single-field index, except across a collection group, which needs the field's
COLLECTION_GROUP index (`google_firestore_field`); and a field override must not drop an
index a query uses. A query on two or more fields needs a composite index: its equality
fields (`==`, `in`, array-contains as CONTAINS) in any order, then the sort fields, which are
the explicit orders and then the range fields in field-name order (how Firestore orders a
query with several range filters). Equality-only queries get a composite index too (infra's
choice, stated in firestore.tf), so they are held to the same rule.
"""

from __future__ import annotations

import ast
import importlib
import json
import re
import shutil
import subprocess
import sys
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import hcl2
import pytest

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
SCHEDULES = INFRA / "schedules.json"
# Where queries are looked for (and recorded from).
QUERY_SOURCES = ("shared", "functions")

# -- reading the Terraform -----------------------------------------------------------------------

_HCL = hcl2.SerializationOptions(
    strip_string_quotes=True, explicit_blocks=False, with_comments=False
)


@dataclass
class Terraform:
    resources: dict[str, dict[str, dict]]  # type -> name -> body
    data: dict[str, dict[str, dict]]
    locals: dict[str, object]
    variables: dict[str, dict]
    outputs: dict[str, dict]

    def resource(self, kind: str, name: str) -> dict:
        assert name in self.resources.get(kind, {}), f"infra/ has no {kind}.{name}"
        return self.resources[kind][name]


def _load_terraform() -> Terraform:
    tf = Terraform({}, {}, {}, {}, {})
    files = sorted(INFRA.glob("*.tf"))
    assert files, "infra/ holds no Terraform"
    for path in files:
        parsed = hcl2.loads(path.read_text(encoding="utf-8"), serialization_options=_HCL)
        for section, into in (("resource", tf.resources), ("data", tf.data)):
            for entry in parsed.get(section, []):
                for kind, named in entry.items():
                    for name, body in named.items():
                        assert name not in into.setdefault(kind, {}), f"{kind}.{name} twice"
                        into[kind][name] = body
        for block in parsed.get("locals", []):
            for name, value in block.items():
                assert name not in tf.locals, f"local.{name} is defined twice"
                tf.locals[name] = value
        for section, into in (("variable", tf.variables), ("output", tf.outputs)):
            for entry in parsed.get(section, []):
                into.update(entry)
    return tf


@pytest.fixture(scope="module")
def tf() -> Terraform:
    return _load_terraform()


def _one(body: dict, block: str) -> dict:
    """The single nested block `block` of a resource body."""
    found = body.get(block)
    assert isinstance(found, list) and len(found) == 1, f"expected one {block} block: {found!r}"
    return found[0]


def _expr(value: object) -> str:
    """An expression as written, whitespace-normalised, for comparing references."""
    return re.sub(r"\s+", " ", str(value)).strip()


def _indexed(expr: object, prefix: str) -> str:
    """The key in a reference such as `${google_compute_backend_service.fn["cron"].id}`."""
    match = re.fullmatch(r"\$\{" + re.escape(prefix) + r'\["([^"]+)"\]\.\w+\}', str(expr))
    assert match, f"expected a reference into {prefix}[...], not {expr!r}"
    return match.group(1)


def _seconds(duration: str) -> float:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)s", duration)
    assert match, f"not a duration in seconds: {duration!r}"
    return float(match.group(1))


# -- what the code declares ----------------------------------------------------------------------


def _entry_points() -> dict[str, Callable]:
    from functions.main import ENTRY_POINTS

    return ENTRY_POINTS


def _routes() -> dict[str, list[tuple[str, list[str], str]]]:
    """Each function's routes, from its module's router."""
    return {
        name: importlib.import_module(f"functions.{name}").router.routes()
        for name in _entry_points()
    }


def _sample_path(rule: str) -> str:
    """A concrete path a werkzeug rule matches: every `<variable>` becomes an id."""
    return re.sub(r"<(?:[^:>]+:)?[^>]+>", "x1", rule)


# -- syntax ------------------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("terraform") is None, reason="no terraform binary on PATH")
def test_terraform_parses_and_formats_the_files_as_written() -> None:
    """Terraform's own parser (offline: `fmt` needs no provider): the files are valid HCL and
    formatted as `terraform fmt` writes them."""
    run = subprocess.run(
        ["terraform", "fmt", "-check", "-diff", "-no-color", str(INFRA)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stdout + run.stderr


# -- functions -----------------------------------------------------------------------------------


def test_every_entry_point_is_a_function_with_that_entry_point(tf: Terraform) -> None:
    import functions.main

    entry_points = _entry_points()
    fn = tf.resource("google_cloudfunctions2_function", "fn")
    assert fn["for_each"] == "${local.functions}"
    assert set(tf.locals["functions"]) == set(entry_points)

    build = _one(fn, "build_config")
    assert build["entry_point"] == "${each.key}"
    assert build["runtime"] == "python312"
    # The buildpack's setting, so a build variable: the file that defines every entry point.
    source = build["environment_variables"]["GOOGLE_FUNCTION_SOURCE"]
    assert (ROOT / source).resolve() == Path(functions.main.__file__).resolve()
    for name, entry in entry_points.items():
        assert getattr(functions.main, name) is entry, f"functions/main.py lacks {name}"

    storage = _one(_one(build, "source"), "storage_source")
    assert storage["object"] == "${google_storage_bucket_object.source.name}"
    obj = tf.resource("google_storage_bucket_object", "source")
    assert obj["source"] == "${data.archive_file.source.output_path}"


def _glob(pattern: str) -> re.Pattern[str]:
    """archive_file's `excludes` globs: `**` crosses directories, `*` does not."""
    out = []
    for part in re.split(r"(\*\*|\*|\?)", pattern):
        out.append({"**": ".*", "*": "[^/]*", "?": "[^/]"}.get(part, re.escape(part)))
    return re.compile("".join(out))


def _excluded(path: str, patterns: list[re.Pattern[str]]) -> bool:
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]  # a dir excludes its files
    return any(p.fullmatch(prefix) for p in patterns for prefix in prefixes)


def test_the_source_archive_keeps_what_production_imports_and_drops_the_rest(
    tf: Terraform,
) -> None:
    from functions import console

    archive = tf.data["archive_file"]["source"]
    assert archive["source_dir"] == "${path.module}/.."
    patterns = [_glob(p) for p in archive["excludes"]]

    # What importing functions/main.py loads from the repository, in a clean interpreter.
    probe = (
        "import json, sys; from pathlib import Path; import functions.main; "
        "root = Path.cwd().resolve(); print(json.dumps(sorted("
        "str(Path(m.__file__).resolve().relative_to(root)) for m in list(sys.modules.values()) "
        "if getattr(m, '__file__', None) and Path(m.__file__).resolve().is_relative_to(root))))"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    imported = [p for p in json.loads(run.stdout) if ".venv" not in Path(p).parts]
    assert "functions/main.py" in imported
    # The console function serves the files of console/ (functions/console.py).
    served = [
        path.relative_to(ROOT).as_posix()
        for path in sorted(console.FOLDER.rglob("*"))
        if path.suffix in console.CONTENT_TYPES
    ]
    assert "console/index.html" in served
    for path in [*imported, "requirements.txt", *served]:
        assert not _excluded(path, patterns), f"the source archive leaves out {path}"

    for local_only in ("tests", "bench", "emulators", "dev", ".venv", ".git", "mutants", "infra"):
        assert _excluded(f"{local_only}/x.py", patterns), f"the archive keeps {local_only}/"


def test_functions_run_as_the_runtime_account_behind_the_load_balancer(tf: Terraform) -> None:
    service = _one(tf.resource("google_cloudfunctions2_function", "fn"), "service_config")
    assert service["service_account_email"] == "${google_service_account.runtime.email}"
    assert service["ingress_settings"] == "ALLOW_INTERNAL_AND_GCLB"


# -- the URL map -----------------------------------------------------------------------------


def _template(template: str) -> re.Pattern[str]:
    """A URL map `path_template_match`: `*` one segment, `**` any number, `{var=...}`."""
    out = []
    for segment in template.strip("/").split("/"):
        variable = re.fullmatch(r"\{\w+(?:=(.+))?\}", segment)
        if variable:
            segment = variable.group(1) or "*"
        out.append({"*": "[^/]+", "**": ".*"}.get(segment, re.escape(segment)))
    return re.compile("/" + "/".join(out))


def _matches(rule: dict, path: str) -> bool:
    if "prefix_match" in rule:
        return path.startswith(rule["prefix_match"])
    if "full_path_match" in rule:
        return path == rule["full_path_match"]
    if "path_template_match" in rule:
        return bool(_template(rule["path_template_match"]).fullmatch(path))
    raise AssertionError(f"a match rule this test cannot evaluate: {rule!r}")


def _route(url_map: dict, path: str) -> str:
    """The function the URL map sends `path` to (on the API's host)."""
    (host,) = url_map["host_rule"]
    assert host["hosts"] == ["${var.domain}"]
    (matcher,) = [m for m in url_map["path_matcher"] if m["name"] == host["path_matcher"]]
    prefix = "google_compute_backend_service.fn"
    for rule in sorted(matcher.get("route_rules", []), key=lambda r: r["priority"]):
        if any(_matches(match, path) for match in rule["match_rules"]):
            return _indexed(rule["service"], prefix)
    return "(default) " + _indexed(matcher["default_service"], prefix)


def test_every_route_is_sent_to_the_function_that_declares_it(tf: Terraform) -> None:
    url_map = tf.resource("google_compute_url_map", "api")
    (matcher,) = url_map["path_matcher"]
    priorities = [rule["priority"] for rule in matcher["route_rules"]]
    assert len(priorities) == len(set(priorities)), "two route rules share a priority"

    routes = _routes()
    assert sum(map(len, routes.values())) > 20  # the routers were really read
    wrong = []
    for function, declared in routes.items():
        router = importlib.import_module(f"functions.{function}").router
        for rule, methods, _access in declared:
            path = _sample_path(rule)
            assert router.handles(path), f"{function}: {rule} does not match its sample {path}"
            if (reached := _route(url_map, path)) != function:
                wrong.append(f"{'/'.join(methods)} {rule} ({path}): {reached}, not {function}")
    assert not wrong, "the URL map sends routes to the wrong function:\n" + "\n".join(wrong)


def test_each_function_has_a_serverless_backend(tf: Terraform) -> None:
    neg = tf.resource("google_compute_region_network_endpoint_group", "fn")
    backend = tf.resource("google_compute_backend_service", "fn")
    assert neg["for_each"] == backend["for_each"] == "${local.functions}"
    assert neg["network_endpoint_type"] == "SERVERLESS"
    assert _one(neg, "cloud_run")["service"] == (
        "${google_cloudfunctions2_function.fn[each.key].name}"
    )
    assert _one(backend, "backend")["group"] == (
        "${google_compute_region_network_endpoint_group.fn[each.key].id}"
    )
    proxy = tf.resource("google_compute_target_https_proxy", "api")
    assert proxy["url_map"] == "${google_compute_url_map.api.id}"
    cert = tf.resource("google_compute_managed_ssl_certificate", "api")
    assert _one(cert, "managed")["domains"] == ["${var.domain}"]


def test_outputs_name_the_webhook_and_the_oauth_callback(tf: Terraform) -> None:
    from shared.config import load_config
    from shared.google import oauth
    from shared.sync import channels

    assert tf.locals["base_url"] == "https://${var.domain}"
    assert tf.locals["function_env"]["PUBLIC_BASE_URL"] == "${local.base_url}"
    config = load_config({"APP_MODE": "local", "PUBLIC_BASE_URL": "https://h"})
    callback = oauth.redirect_uri(config).removeprefix("https://h")
    webhook = channels.webhook(config).removeprefix("https://h")
    assert tf.outputs["oauth_redirect_uri"]["value"] == "${local.base_url}" + callback
    assert tf.outputs["webhook_url"]["value"] == "${local.base_url}" + webhook
    assert tf.outputs["base_url"]["value"] == "${local.base_url}"


# -- Cloud Tasks -----------------------------------------------------------------------------


def _queues_the_code_creates(monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """queue name -> RetryConfig, as `ensure_queues` creates them for the local stack."""
    from google.api_core.exceptions import NotFound

    from shared.config import load_config
    from shared.queue import tasks

    created: dict[str, object] = {}

    class Recording:
        def get_queue(self, name: str) -> None:
            raise NotFound(name)

        def create_queue(self, parent: str, queue) -> None:
            created[queue.name.rsplit("/", 1)[-1]] = queue.retry_config

    monkeypatch.setattr(tasks, "tasks_client", lambda config: Recording())
    tasks.ensure_queues(load_config({"APP_MODE": "local"}))
    return created


def test_every_queue_the_code_names_exists_with_the_same_retries(
    tf: Terraform, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared.config import _ENV, Config, load_config

    created = _queues_the_code_creates(monkeypatch)
    config = load_config({"APP_MODE": "local"})
    named = {getattr(config, field) for field in Config.model_fields if field.endswith("_queue")}
    assert set(created) == named, "ensure_queues creates other queues than the config names"

    queues = {
        body["name"]: (key, body) for key, body in tf.resources["google_cloud_tasks_queue"].items()
    }
    for name, retry in created.items():
        assert name in queues, f"the code sends tasks to queue {name!r}; infra has none"
        _key, body = queues[name]
        infra = _one(body, "retry_config")
        assert infra["max_attempts"] == retry.max_attempts, name
        assert _seconds(infra["max_retry_duration"]) == retry.max_retry_duration.total_seconds()
        assert _seconds(infra["min_backoff"]) == retry.min_backoff.total_seconds(), name
        assert _seconds(infra["max_backoff"]) == retry.max_backoff.total_seconds(), name
        assert infra["max_doublings"] == retry.max_doublings, name
        assert _one(body, "rate_limits"), f"queue {name} has no rate limits"

    # The functions are told each queue's name, and may enqueue to it.
    env = tf.locals["function_env"]
    enqueues = tf.resource("google_cloud_tasks_queue_iam_member", "runtime_enqueues")
    for variable, field in _ENV.items():
        if field.endswith("_queue"):
            key, _ = queues[getattr(config, field)]
            assert env[variable] == f"${{google_cloud_tasks_queue.{key}.name}}", variable
            assert f"${{google_cloud_tasks_queue.{key}.name}}" in enqueues["for_each"].values()


# -- Cloud Scheduler -------------------------------------------------------------------------


def _cron_jobs_in_code() -> set[str]:
    """The job names `functions/cron.py` dispatches on (`if job == "sweep": ...`)."""
    tree = ast.parse((ROOT / "functions" / "cron.py").read_text(encoding="utf-8"))
    return {
        node.comparators[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Compare)
        and isinstance(node.left, ast.Name)
        and node.left.id == "job"
        and isinstance(node.ops[0], ast.Eq)
        and isinstance(node.comparators[0], ast.Constant)
    }


def test_every_cron_job_is_scheduled_from_the_one_schedule_file(tf: Terraform) -> None:
    import dev.schedules

    in_code = _cron_jobs_in_code()
    assert in_code, "found no cron job in functions/cron.py"
    document = json.loads(SCHEDULES.read_text(encoding="utf-8"))
    in_file = {job["name"] for job in document["jobs"]}
    assert in_file == in_code, "functions/cron.py and infra/schedules.json name other jobs"

    # `make run` reads that same file...
    assert dev.schedules.SCHEDULES.resolve() == SCHEDULES.resolve()
    assert {job.name for job in dev.schedules.load_jobs()} == in_code
    # ...and so does Terraform, taking every setting of a job from it.
    assert _expr(tf.locals["schedules"]) == ('${jsondecode(file("${path.module}/schedules.json"))}')
    assert "local.schedules.jobs" in _expr(tf.locals["jobs"])
    job = tf.resource("google_cloud_scheduler_job", "cron")
    assert job["for_each"] == "${local.jobs}"
    assert job["schedule"] == "${each.value.schedule}"
    assert job["time_zone"] == "${each.value.timeZone}"
    assert "each.value.attemptDeadline" in job["attempt_deadline"]
    target = _one(job, "http_target")
    url = "${local.base_url}${each.value.httpTarget.path}"
    assert target["uri"] == url
    oidc = _one(target, "oidc_token")
    assert oidc["audience"] == url, "shared/security.py wants the URL called as the audience"
    assert oidc["service_account_email"] == "${google_service_account.invoker.email}"
    assert tf.locals["function_env"]["TASKS_SERVICE_ACCOUNT"] == (
        "${google_service_account.invoker.email}"
    )

    # A run may take its whole attempt deadline: the cron function must not stop it sooner.
    longest = max(j.attempt_deadline for j in dev.schedules.load_jobs())
    assert tf.locals["functions"]["cron"]["timeout"] >= longest


def test_the_invoker_may_call_exactly_the_task_and_cron_functions(tf: Terraform) -> None:
    service_only = {
        name
        for name, routes in _routes().items()
        if routes and all(access == "service" for _path, _methods, access in routes)
    }
    assert set(tf.locals["service_functions"]) == service_only
    invoker = tf.resource("google_cloud_run_v2_service_iam_member", "invoker")
    assert invoker["for_each"] == "${toset(local.service_functions)}"
    assert invoker["role"] == "roles/run.invoker"
    assert invoker["member"] == "serviceAccount:${google_service_account.invoker.email}"
    acts_as = tf.resource("google_service_account_iam_member", "runtime_acts_as_invoker")
    assert acts_as["service_account_id"] == "${google_service_account.invoker.name}"


# -- the environment -------------------------------------------------------------------------

# A production environment that loads (every value a placeholder).
_PRODUCTION = {
    "APP_MODE": "production",
    "GOOGLE_CLOUD_PROJECT": "p",
    "PUBLIC_BASE_URL": "https://api.example.com",
    "PLATFORM_RETURN_URL": "https://app.example.com/return",
    "APP_JWT_SECRET": "j" * 40,
    "SIGNING_SECRET": "s" * 40,
    "TASKS_SERVICE_ACCOUNT": "invoker@p.iam.gserviceaccount.com",
    "KMS_KEY_NAME": "projects/p/locations/l/keyRings/r/cryptoKeys/k",
}
_RS256 = {
    **{k: v for k, v in _PRODUCTION.items() if k != "APP_JWT_SECRET"},
    "APP_JWT_ALGORITHM": "RS256",
    "APP_JWT_JWKS_URL": "https://app.example.com/jwks",
}


def _refused(env: dict[str, str]) -> str | None:
    from shared.config import ConfigError, load_config

    try:
        load_config(env)
    except ConfigError as exc:
        return str(exc)
    return None


def test_every_variable_production_reads_is_set_on_the_functions(tf: Terraform) -> None:
    from shared.config import _ENV

    assert _refused(_PRODUCTION) is None and _refused(_RS256) is None
    # Local-only: the names production refuses outright.
    local_only = {
        name
        for name in _ENV
        if name not in _PRODUCTION and "local-only" in (_refused({**_PRODUCTION, name: "1"}) or "")
    }
    assert {"LOCAL_SERVICE_SECRET", "CLOUD_TASKS_EMULATOR_HOST"} <= local_only
    production = set(_ENV) - local_only

    plain = set(tf.locals["function_env"])
    secret = tf.locals["secret_env"]
    assert not plain & set(secret), "a setting is both plain and secret"
    assert production <= plain | set(secret), (
        f"not set on the functions: {sorted(production - plain - set(secret))}"
    )
    assert plain | set(secret) <= production, (
        f"set, but not read in production: {sorted((plain | set(secret)) - production)}"
    )

    # What production cannot start without is always there (whatever the token algorithm).
    required = {
        name
        for name in production
        if _refused({k: v for k, v in _PRODUCTION.items() if k != name})
        and _refused({k: v for k, v in _RS256.items() if k != name})
    }
    assert {"SIGNING_SECRET", "KMS_KEY_NAME", "TASKS_SERVICE_ACCOUNT"} <= required
    for name in required:
        assert name in plain or secret[name]["enabled"] is True, f"{name} may be left unset"

    # The function resource uses those maps as they are.
    service = _one(tf.resource("google_cloudfunctions2_function", "fn"), "service_config")
    assert service["environment_variables"] == "${local.function_env}"
    (mounted,) = [d["secret_environment_variables"] for d in service["dynamic"]]
    assert mounted["for_each"] == "${local.enabled_secrets}"
    assert _one(mounted, "content")["key"] == "${secret_environment_variables.key}"
    assert "local.secret_env" in _expr(tf.locals["enabled_secrets"])
    reads = tf.resource("google_secret_manager_secret_iam_member", "runtime_reads")
    assert reads["for_each"] == "${local.enabled_secrets}"
    assert reads["role"] == "roles/secretmanager.secretAccessor"


# -- Firestore: recording the queries -------------------------------------------------------


@dataclass(frozen=True)
class Recorded:
    collection: str
    group: bool  # a collection-group query (across every company)
    filters: tuple[tuple[str, str], ...]  # (field, operator)
    orders: tuple[tuple[str, str], ...]  # (field, ASCENDING | DESCENDING)
    site: str  # where shared/ ran it

    def __str__(self) -> str:
        scope = "collection group " if self.group else ""
        where = " AND ".join(f"{field} {op}" for field, op in self.filters) or "(all)"
        order = f" ORDER BY {', '.join(f'{f} {d}' for f, d in self.orders)}" if self.orders else ""
        return f"{scope}{self.collection}: {where}{order} [{self.site}]"


def _code_frame() -> str:
    """file:line of the innermost frame of shared/ or functions/ calling into Firestore."""
    frame = sys._getframe(2)
    while frame is not None:
        path = Path(frame.f_code.co_filename).resolve()
        if path.is_relative_to(ROOT) and path.relative_to(ROOT).parts[0] in QUERY_SOURCES:
            return f"{path.relative_to(ROOT).as_posix()}:{frame.f_lineno}"
        frame = frame.f_back
    return "?"


def _flat_filters(pb, into: list[tuple[str, str]]) -> None:
    kind = type(pb).__name__
    if kind == "FieldFilter" or kind == "UnaryFilter":
        into.append((pb.field.field_path, pb.op.name))
    elif kind == "CompositeFilter" and pb.op.name == "AND":
        for inner in pb.filters:
            _flat_filters(getattr(inner, inner._pb.WhichOneof("filter_type")), into)
    else:
        raise AssertionError(f"a filter this test cannot judge (teach it): {pb}")


def _recorded(query) -> Recorded:
    filters: list[tuple[str, str]] = []
    for pb in query._field_filters:
        _flat_filters(pb, filters)
    return Recorded(
        collection=query._parent.id,
        group=bool(query._all_descendants),
        filters=tuple(filters),
        orders=tuple((o.field.field_path, o.direction.name) for o in query._orders),
        site=_code_frame(),
    )


@dataclass
class Recording:
    queries: set[Recorded]
    sites: set[str]  # file:line of every .where/.order_by/.collection_group that ran


@pytest.fixture
def recording(monkeypatch: pytest.MonkeyPatch) -> Recording:
    """A Firestore client whose queries are recorded and find nothing, and whose other reads
    and writes do nothing; task enqueues are dropped."""
    from google.cloud.firestore_v1 import (
        aggregation,
        base_collection,
        base_query,
        batch,
        document,
        query,
    )
    from google.cloud.firestore_v1 import client as client_module

    from shared.queue import tasks

    seen = Recording(set(), set())

    def noting(original):
        def wrapper(self, *args, **kwargs):
            seen.sites.add(_code_frame())
            return original(self, *args, **kwargs)

        return wrapper

    for cls in (base_query.BaseQuery, base_collection.BaseCollectionReference):
        for method in ("where", "order_by"):
            monkeypatch.setattr(cls, method, noting(getattr(cls, method)))
    monkeypatch.setattr(
        client_module.Client,
        "collection_group",
        noting(client_module.Client.collection_group),
    )

    def stream(self, *args, **kwargs) -> Iterator:
        seen.queries.add(_recorded(self))
        return iter([])

    def get(self, *args, **kwargs) -> list:
        seen.queries.add(_recorded(self))
        return []

    def aggregate(self, *args, **kwargs) -> list:
        seen.queries.add(_recorded(self._nested_query))
        return [[types.SimpleNamespace(value=0)]]

    def missing(self, *args, **kwargs) -> types.SimpleNamespace:
        return types.SimpleNamespace(
            exists=False, id=self.id, reference=self, to_dict=lambda: None, get=lambda f: None
        )

    monkeypatch.setattr(query.Query, "stream", stream)
    monkeypatch.setattr(query.Query, "get", get)
    monkeypatch.setattr(aggregation.AggregationQuery, "get", aggregate)
    monkeypatch.setattr(aggregation.AggregationQuery, "stream", aggregate)
    monkeypatch.setattr(document.DocumentReference, "get", missing)
    for method in ("set", "create", "update", "delete"):
        monkeypatch.setattr(document.DocumentReference, method, lambda self, *a, **k: None)
    monkeypatch.setattr(client_module.Client, "get_all", lambda self, *a, **k: iter([]))
    monkeypatch.setattr(batch.WriteBatch, "commit", lambda self, *a, **k: [])
    monkeypatch.setattr(tasks, "enqueue", lambda *a, **k: True)

    def offline(self):
        raise AssertionError("a recorded code path called the Firestore server: patch that call")

    monkeypatch.setattr(client_module.Client, "_firestore_api", property(offline))
    return seen


def _store():
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import firestore

    from shared.store.firestore import Store

    client = firestore.Client(project="infra-test", credentials=AnonymousCredentials())
    return Store(client)


def _run_every_query(store) -> None:
    """Run every function of shared/ that queries Firestore (add yours here)."""
    from shared.config import load_config
    from shared.domain.account import GoogleAccount
    from shared.domain.company import Company
    from shared.domain.worker import Worker
    from shared.services import bookings, invitation_rounds, operations
    from shared.store import records
    from shared.sync import busy_import, channels
    from shared.views import calendar

    config = load_config({"APP_MODE": "local"})
    now = datetime.now(UTC)
    week = now + timedelta(days=7)
    linked = Worker.from_record(
        "w1",
        {
            "email": "ada@example.com",
            "active": True,
            "connection": {"state": "connected", "google_sub": "sub1"},
        },
    )
    delegating = Company(
        id="c1",
        enabled=True,
        provider="private",
        client_id="client",
        workspace_domain="example.com",
        service_account_key={"sealed": True},
    )

    # shared/store/records.py
    records.workers_page(store, "c1", None, 10)
    records.workers_page(store, "c1", "w1", 10)
    records.account_members(store, "c1", "sub1")
    records.linked_anywhere(store, "sub1")
    records.pending_since_before(store, now)
    records.oldest_pending(store)
    records.worker_bookings(store, "c1", "w1", now)
    records.worker_blocks(store, "c1", "w1", now)
    records.event_links(store, "c1", "w1", now)
    records.item_links(store, "c1", "booking", "b1")
    # shared/services/
    bookings.reconcile_status(config, store, "c1", "s1")
    invitation_rounds.expected_invitations(store, delegating)
    invitation_rounds._page(store, "c1", None)
    invitation_rounds.pending_before(store, now)
    operations.expiring_channels(store, timedelta(days=2))
    operations.errors(store, "c1")
    operations._failed_links(store, "c1", "w1")
    operations._imports(store, "c1", "sub1")
    # shared/sync/
    busy_import._Import(config, store, "c1", "sub1", "cal1", None)._stale("g1")
    busy_import._Import(config, store, "c1", "sub1", "cal1", None)._aged_out(now)
    busy_import.request_imports(config, store, "c1", GoogleAccount(sub="sub1"))
    busy_import.forget_account(store, "c1", "sub1")
    channels.expiring(config, store)
    # shared/views/
    calendar._bookings(store, "c1", ["w1"], now, week)
    calendar._unavailable(store, "c1", ["w1"], now, week)
    calendar._google_busy(store, "c1", [linked], now, week)


def _query_sites() -> set[str]:
    """file:line of every `.where(`, `.order_by(` and `.collection_group(` call in the code
    (the line of the method name, which is where Python reports a chained call)."""
    sites = set()
    for top in QUERY_SOURCES:
        for path in sorted((ROOT / top).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("where", "order_by", "collection_group")
                ):
                    sites.add(f"{path.relative_to(ROOT).as_posix()}:{node.func.end_lineno}")
    return sites


# -- Firestore: what each query needs --------------------------------------------------------

_EQUALITY = {"EQUAL", "IN", "IS_NULL", "IS_NAN"}
_CONTAINS = {"ARRAY_CONTAINS", "ARRAY_CONTAINS_ANY"}


def _needed(query: Recorded) -> list[tuple[frozenset, tuple]] | None:
    """The index a query needs as (equality fields, sort fields), each field (path, mode);
    None when it reads a whole collection."""
    equal = {
        (f, "CONTAINS" if op in _CONTAINS else "ASCENDING")
        for f, op in query.filters
        if op in _EQUALITY | _CONTAINS
    }
    ranges = sorted({f for f, op in query.filters if op not in _EQUALITY | _CONTAINS})
    sort = [(f, d) for f, d in query.orders if (f, d) != ("__name__", "ASCENDING")]
    sort += [(f, "ASCENDING") for f in ranges if f not in {s for s, _ in sort}]
    sort = [(f, d) for f, d in sort if f not in {e for e, _ in equal}]
    if not equal and not sort:
        return None
    return [(frozenset(equal), tuple(sort))]


def _field_indexes(tf: Terraform) -> dict[tuple[str, str], dict]:
    return {
        (body["collection"], body["field"]): body
        for body in tf.resources.get("google_firestore_field", {}).values()
    }


def _override_has(override: dict, scope: str, mode: str) -> bool:
    config = override.get("index_config")
    indexes = (config[0].get("indexes", []) if config else None) or []
    for index in indexes:
        index_mode = "CONTAINS" if index.get("array_config") == "CONTAINS" else index.get("order")
        if index.get("query_scope", "COLLECTION") == scope and index_mode == mode:
            return True
    return False


def _composite(tf: Terraform) -> list[tuple[str, str, list[tuple[str, str]]]]:
    found = []
    for body in tf.resources.get("google_firestore_index", {}).values():
        fields = [
            (f["field_path"], "CONTAINS" if f.get("array_config") == "CONTAINS" else f["order"])
            for f in body["fields"]
        ]
        found.append((body["collection"], body.get("query_scope", "COLLECTION"), fields))
    return found


def _has_index(tf: Terraform, query: Recorded) -> str | None:
    """None if infra serves the query, else what is missing."""
    needed = _needed(query)
    if needed is None:
        return None
    ((equal, sort),) = needed
    scope = "COLLECTION_GROUP" if query.group else "COLLECTION"
    fields = [*sorted(equal), *sort]
    if len(fields) == 1:
        ((field, mode),) = fields
        override = _field_indexes(tf).get((query.collection, field))
        if override is None and not query.group:
            return None  # the automatic single-field index
        if override is not None and _override_has(override, scope, mode):
            return None
        return f"a {scope} single-field index on {query.collection}.{field} ({mode})"
    for collection, index_scope, index_fields in _composite(tf):
        if (collection, index_scope) != (query.collection, scope) or len(index_fields) != len(
            fields
        ):
            continue
        head, tail = index_fields[: len(equal)], index_fields[len(equal) :]
        if set(head) == set(equal) and tuple(tail) == sort:
            return None
    return f"a composite index on {query.collection} ({scope}): {fields}"


def test_every_query_the_code_runs_has_its_index(tf: Terraform, recording: Recording) -> None:
    _run_every_query(_store())

    not_run = sorted(_query_sites() - recording.sites)
    assert not not_run, (
        "queries in the code that _run_every_query does not run (add a call there, so that "
        "their index is checked):\n" + "\n".join(not_run)
    )
    assert len(recording.queries) >= 20  # the recording really saw the queries
    missing = [
        f"{query}\n    needs {need}"
        for query in sorted(recording.queries, key=str)
        if (need := _has_index(tf, query))
    ]
    assert not missing, "queries without an index in infra/firestore.tf:\n" + "\n".join(missing)


def test_the_index_rules_of_this_test_catch_what_they_should(tf: Terraform) -> None:
    """The judge itself: a query infra does not serve is reported."""
    unindexed = Recorded(
        "bookings", False, (("worker_ids", "ARRAY_CONTAINS"), ("start", "LESS_THAN")), (), "t"
    )
    assert _has_index(tf, unindexed)
    group = Recorded("workers", True, (("active", "EQUAL"),), (), "t")
    assert _has_index(tf, group)  # no collection-group index on workers.active
    assert _has_index(tf, Recorded("workers", False, (("active", "EQUAL"),), (), "t")) is None
    served = Recorded(
        "bookings", False, (("end", "GREATER_THAN"), ("worker_ids", "ARRAY_CONTAINS")), (), "t"
    )
    assert _has_index(tf, served) is None


# -- Firestore: TTL and rules ----------------------------------------------------------------


def _ttl_writes() -> set[tuple[str, str]]:
    """(Store method, field) of every `store.<collection>(...)...set/create/update({...})` in
    shared/ whose document carries `expire_at`: the field a TTL policy must delete by."""
    found = set()
    for path in sorted((ROOT / "shared").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("set", "create", "update")
                and node.args
                and isinstance(node.args[0], ast.Dict)
            ):
                continue
            keys = {k.value for k in node.args[0].keys if isinstance(k, ast.Constant)}
            if "expire_at" not in keys:
                continue
            receiver = node.func.value
            while isinstance(receiver, ast.Call | ast.Attribute):
                if (
                    isinstance(receiver, ast.Call)
                    and isinstance(receiver.func, ast.Attribute)
                    and isinstance(receiver.func.value, ast.Name)
                    and receiver.func.value.id == "store"
                ):
                    found.add((receiver.func.attr, "expire_at"))
                    break
                receiver = receiver.func if isinstance(receiver, ast.Call) else receiver.value
            else:
                raise AssertionError(f"{path}: expire_at written where this test cannot tell")
    return found


def test_every_expiring_document_has_a_ttl_policy(tf: Terraform) -> None:
    writes = _ttl_writes()
    assert writes, "found no document with expire_at (shared/services/consent.py has one)"
    store = _store()
    ttl = {
        (body["collection"], body["field"])
        for body in tf.resources.get("google_firestore_field", {}).values()
        if "ttl_config" in body
    }
    for method, field in writes:
        collection = getattr(store, method)("c1")
        collection_id = collection.id if hasattr(collection, "id") else collection.parent.id
        assert (collection_id, field) in ttl, f"no TTL policy on {collection_id}.{field}"


def test_firestore_rules_deny_every_client(tf: Terraform) -> None:
    rules = (INFRA / "firestore.rules").read_text(encoding="utf-8")
    code = re.sub(r"//[^\n]*", "", rules)
    allows = re.findall(r"\ballow\b[^;]*;", code)
    assert allows and all(re.search(r":\s*if\s+false\s*;$", a) for a in allows), allows
    assert "match /{document=**}" in code
    ruleset = tf.resource("google_firebaserules_ruleset", "firestore")
    files = _one(_one(ruleset, "source"), "files")
    assert _expr(files["content"]) == '${file("${path.module}/firestore.rules")}'
    release = tf.resource("google_firebaserules_release", "firestore")
    assert release["name"] == "cloud.firestore"
    database = tf.resource("google_firestore_database", "main")
    assert database["name"] == "(default)" and database["type"] == "FIRESTORE_NATIVE"
