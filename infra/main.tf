# What the whole deployment shares: the APIs it needs, the public address, and the
# environment every function starts with (shared/config.py validates it at start).

locals {
  base_url = "https://${var.domain}"

  # Every variable shared/config.py reads in production, as plain environment variables.
  # An empty value means "not set" to the config (its default applies). The local-only
  # settings (LOCAL_SERVICE_SECRET, LOCAL_ENCRYPTION_KEY, CLOUD_TASKS_EMULATOR_HOST,
  # GOOGLE_API_BASE) are never set: production refuses them.
  # tests/infra checks this list against shared/config.py.
  function_env = {
    APP_MODE              = "production"
    GOOGLE_CLOUD_PROJECT  = var.project_id
    FUNCTION_REGION       = var.region
    PUBLIC_BASE_URL       = local.base_url
    PLATFORM_RETURN_URL   = var.platform_return_url
    APP_JWT_ALGORITHM     = var.jwt_algorithm
    APP_JWT_JWKS_URL      = var.jwt_jwks_url
    APP_JWT_AUDIENCE      = var.jwt_audience
    SYNC_QUEUE            = google_cloud_tasks_queue.sync.name
    MAIL_QUEUE            = google_cloud_tasks_queue.mail.name
    TASKS_SERVICE_ACCOUNT = google_service_account.invoker.email
    PLATFORM_CLIENT_ID    = var.platform_client_id
    KMS_KEY_NAME          = google_kms_crypto_key.secrets.id
    SMTP_HOST             = var.smtp_host
    SMTP_PORT             = tostring(var.smtp_port)
    SMTP_USERNAME         = var.smtp_username
    SMTP_STARTTLS         = tostring(var.smtp_starttls)
    MAIL_FROM             = var.mail_from
    POLL_INTERVAL         = var.poll_interval
    IMPORT_BACK_DAYS      = tostring(var.import_back_days)
    IMPORT_AHEAD_DAYS     = tostring(var.import_ahead_days)
    PUSH_PACE             = var.push_pace
    GOOGLE_TIMEOUT        = tostring(var.google_timeout)
  }

  # The settings that are secrets: each is a Secret Manager secret, mounted as the
  # environment variable of the same name. Only the enabled ones are created and mounted.
  secret_env = {
    SIGNING_SECRET = {
      secret_id = "${var.name_prefix}-signing-secret"
      enabled   = true
    }
    APP_JWT_SECRET = {
      secret_id = "${var.name_prefix}-app-jwt-secret"
      enabled   = var.jwt_algorithm == "HS256"
    }
    PLATFORM_CLIENT_SECRET = {
      secret_id = "${var.name_prefix}-platform-client-secret"
      enabled   = var.platform_client_id != ""
    }
    SMTP_PASSWORD = {
      secret_id = "${var.name_prefix}-smtp-password"
      enabled   = var.smtp_username != ""
    }
  }
  enabled_secrets = { for name, secret in local.secret_env : name => secret if secret.enabled }
}

resource "google_project_service" "apis" {
  for_each = toset([
    "artifactregistry.googleapis.com",
    "calendar-json.googleapis.com",
    "cloudbuild.googleapis.com",
    "cloudfunctions.googleapis.com",
    "cloudkms.googleapis.com",
    "cloudscheduler.googleapis.com",
    "cloudtasks.googleapis.com",
    "compute.googleapis.com",
    "firebaserules.googleapis.com",
    "firestore.googleapis.com",
    "iam.googleapis.com",
    "logging.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
    "storage.googleapis.com",
  ])

  service            = each.value
  disable_on_destroy = false
}
