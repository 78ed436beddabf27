# Identities and secrets: who runs the functions, who calls the task and cron endpoints,
# the KMS key that seals secrets at rest, and the Secret Manager secrets the config reads.
# Every grant is on the one resource it is needed for, not on the project, except
# Firestore's (its IAM is project-wide).

# -- service accounts ------------------------------------------------------------------------

# What the functions run as: Firestore, enqueueing tasks, the KMS key, the secrets.
resource "google_service_account" "runtime" {
  account_id   = "${var.name_prefix}-run"
  display_name = "Calendar sync functions"
  depends_on   = [google_project_service.apis]
}

# The identity in the OIDC tokens of Cloud Tasks and Cloud Scheduler (TASKS_SERVICE_ACCOUNT):
# shared/security.py accepts /tasks/* and /cron/* calls only with its email.
resource "google_service_account" "invoker" {
  account_id   = "${var.name_prefix}-invoker"
  display_name = "Calendar sync task and cron caller"
  depends_on   = [google_project_service.apis]
}

# What Cloud Build runs as while it turns the source into the functions' images.
resource "google_service_account" "build" {
  account_id   = "${var.name_prefix}-build"
  display_name = "Calendar sync function builds"
  depends_on   = [google_project_service.apis]
}

# -- the runtime's grants --------------------------------------------------------------------

resource "google_project_iam_member" "runtime_firestore" {
  project = var.project_id
  role    = "roles/datastore.user"
  member  = "serviceAccount:${google_service_account.runtime.email}"
}

resource "google_cloud_tasks_queue_iam_member" "runtime_enqueues" {
  for_each = {
    sync = google_cloud_tasks_queue.sync.name
    mail = google_cloud_tasks_queue.mail.name
  }

  name     = each.value
  location = var.region
  role     = "roles/cloudtasks.enqueuer"
  member   = "serviceAccount:${google_service_account.runtime.email}"
}

# A task with an OIDC token for the invoker can only be created by someone who may act as
# the invoker.
resource "google_service_account_iam_member" "runtime_acts_as_invoker" {
  service_account_id = google_service_account.invoker.name
  role               = "roles/iam.serviceAccountUser"
  member             = "serviceAccount:${google_service_account.runtime.email}"
}

resource "google_kms_crypto_key_iam_member" "runtime_seals" {
  crypto_key_id = google_kms_crypto_key.secrets.id
  role          = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
  member        = "serviceAccount:${google_service_account.runtime.email}"
}

resource "google_secret_manager_secret_iam_member" "runtime_reads" {
  for_each = local.enabled_secrets

  secret_id = google_secret_manager_secret.config[each.key].id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.runtime.email}"
}

# -- the build's grants ----------------------------------------------------------------------

resource "google_project_iam_member" "build_builds" {
  project = var.project_id
  role    = "roles/cloudbuild.builds.builder"
  member  = "serviceAccount:${google_service_account.build.email}"
}

# -- secrets at rest (shared/secrets/crypto.py) ----------------------------------------------

# Refresh tokens, private clients' secrets and service-account keys are sealed in Firestore
# with per-secret data keys that this key wraps (KMS_KEY_NAME). Losing the key loses every
# sealed secret (every worker would have to reconnect): Terraform refuses to destroy it.
resource "google_kms_key_ring" "main" {
  name       = var.name_prefix
  location   = var.region
  depends_on = [google_project_service.apis]
}

resource "google_kms_crypto_key" "secrets" {
  name            = "secrets-at-rest"
  key_ring        = google_kms_key_ring.main.id
  purpose         = "ENCRYPT_DECRYPT"
  rotation_period = var.kms_rotation_period

  lifecycle {
    prevent_destroy = true
  }
}

# -- configuration secrets (Secret Manager) ---------------------------------------------------

# Only the containers: their values are added with `gcloud secrets versions add` (README.md),
# so no secret value ever passes through Terraform or its state. The functions read the
# latest version when an instance starts.
resource "google_secret_manager_secret" "config" {
  for_each = local.enabled_secrets

  secret_id = each.value.secret_id
  labels    = { env-var = lower(replace(each.key, "_", "-")) }

  replication {
    auto {}
  }

  depends_on = [google_project_service.apis]
}

# -- what the logs must not keep ---------------------------------------------------------------

# Cloud Run's own request log keeps whole URLs, query strings included: /connect?invite=...
# carries an invitation token, /getAuthKey?code=...&state=... an OAuth code and state. Those
# entries are dropped; the functions log each request themselves, with such values redacted
# (shared/logs.py). The load balancer's request log is off for the same reason.
resource "google_logging_project_exclusion" "urls_with_tokens" {
  name        = "${var.name_prefix}-urls-with-tokens"
  description = "Request log entries whose URL carries an invitation token or an OAuth code."
  filter      = "log_id(\"run.googleapis.com/requests\") AND (httpRequest.requestUrl:\"/connect?\" OR httpRequest.requestUrl:\"/getAuthKey?\")"
}
