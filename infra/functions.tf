# One Cloud Functions (gen2) function per entry point of functions/main.py (ENTRY_POINTS),
# all built from the repository root: functions/main.py imports every group, and each
# function runs one of them (`entry_point`). tests/infra checks the names against the code.

locals {
  # timeout: seconds one request may run. cron's must cover the longest attemptDeadline in
  # schedules.json (reconcile: 1800 s); tasks' matches Cloud Tasks' default dispatch deadline
  # for HTTP tasks (10 minutes; shared/queue/tasks.py sets none).
  functions = {
    settings      = { timeout = 60 }
    bookings      = { timeout = 60 }
    connections   = { timeout = 60 }
    calendar      = { timeout = 60 }
    notifications = { timeout = 60 }
    tasks         = { timeout = 600 }
    cron          = { timeout = 1800 }
    console       = { timeout = 60 }
  }

  # The functions only Cloud Tasks and Cloud Scheduler call (every route `access="service"`).
  service_functions = ["tasks", "cron"]
}

# -- the source ------------------------------------------------------------------------------

# The repository root without what production does not run. The buildpack installs
# requirements.txt; pyproject.toml (tool settings only) is left out so it does not try to
# install the project as a package.
data "archive_file" "source" {
  type        = "zip"
  source_dir  = "${path.module}/.."
  output_path = "${path.module}/.build/source.zip"
  excludes = [
    ".git", ".git/**",
    ".venv", ".venv/**",
    ".ci", ".ci/**",
    ".logs", ".logs/**",
    ".local", ".local/**",
    ".local-state", ".local-state/**",
    ".pytest_cache", ".pytest_cache/**",
    ".ruff_cache", ".ruff_cache/**",
    ".import_linter_cache", ".import_linter_cache/**",
    "bench", "bench/**",
    "dev", "dev/**",
    "docs", "docs/**",
    "emulators", "emulators/**",
    "infra", "infra/**",
    "mutants", "mutants/**",
    "tests", "tests/**",
    "**/__pycache__/**",
    "**/*.pyc",
    "Makefile",
    "pyproject.toml",
    "requirements-dev.txt",
  ]
}

resource "google_storage_bucket" "source" {
  name                        = "${var.project_id}-${var.name_prefix}-source"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = true

  # Old archives are only history: Cloud Build has copied what it built.
  lifecycle_rule {
    condition {
      age = 30
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.apis]
}

# Named by content, so a changed source is a new object and every function is rebuilt.
resource "google_storage_bucket_object" "source" {
  name   = "source-${data.archive_file.source.output_md5}.zip"
  bucket = google_storage_bucket.source.name
  source = data.archive_file.source.output_path
}

resource "google_storage_bucket_iam_member" "build_reads_source" {
  bucket = google_storage_bucket.source.name
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:${google_service_account.build.email}"
}

# -- the functions ---------------------------------------------------------------------------

resource "google_cloudfunctions2_function" "fn" {
  for_each = local.functions

  name        = "${var.name_prefix}-${each.key}"
  location    = var.region
  description = "Calendar sync: the ${each.key} group of functions/main.py"

  build_config {
    runtime         = "python312"
    entry_point     = each.key
    service_account = google_service_account.build.id

    # The buildpack's setting: which file holds the entry points (the default is main.py at
    # the root, and ours is functions/main.py).
    environment_variables = {
      GOOGLE_FUNCTION_SOURCE = "functions/main.py"
    }

    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.source.name
      }
    }
  }

  service_config {
    service_account_email            = google_service_account.runtime.email
    available_memory                 = var.function_memory
    available_cpu                    = var.function_cpu
    max_instance_request_concurrency = var.function_concurrency
    min_instance_count               = 0
    max_instance_count               = var.function_max_instances
    timeout_seconds                  = each.value.timeout
    all_traffic_on_latest_revision   = true

    # Only the load balancer reaches the functions: every caller, Google's included, uses
    # PUBLIC_BASE_URL, so the run.app addresses are closed to the internet.
    ingress_settings = "ALLOW_INTERNAL_AND_GCLB"

    environment_variables = local.function_env

    dynamic "secret_environment_variables" {
      for_each = local.enabled_secrets
      content {
        key        = secret_environment_variables.key
        project_id = var.project_id
        secret     = google_secret_manager_secret.config[secret_environment_variables.key].secret_id
        version    = "latest"
      }
    }
  }

  depends_on = [
    google_project_iam_member.build_builds,
    google_storage_bucket_iam_member.build_reads_source,
    google_project_iam_member.runtime_firestore,
    google_secret_manager_secret_iam_member.runtime_reads,
    google_kms_crypto_key_iam_member.runtime_seals,
  ]
}

# -- who may invoke them ---------------------------------------------------------------------

# The load balancer forwards requests as they come and cannot add a Google identity token,
# so Cloud Run's own IAM check cannot be the gate: every function accepts invocations, only
# through the load balancer (ingress above), and our code authenticates every request:
# platform JWTs, Google's OIDC tokens for the invoker account with the exact URL as audience
# (shared/security.py), or, for /connect, /getAuthKey and /notifications, a signed state or a
# channel token. (Cloud Run would also refuse the tasks' tokens: their audience is
# PUBLIC_BASE_URL + path, not the run.app address.)
resource "google_cloud_run_v2_service_iam_member" "public" {
  for_each = local.functions

  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.fn[each.key].name
  role     = "roles/run.invoker"
  member   = "allUsers"
}

# The invoker account may call the task and cron functions, and nothing else.
resource "google_cloud_run_v2_service_iam_member" "invoker" {
  for_each = toset(local.service_functions)

  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.fn[each.key].name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.invoker.email}"
}
