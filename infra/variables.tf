# Inputs of a deployment. `terraform.tfvars.example` shows a filled-in set; README.md says
# where each value comes from. Secret values (JWT secret, signing secret, OAuth client
# secret, SMTP password) are NOT variables: they go straight into Secret Manager.

# -- where -----------------------------------------------------------------------------------

variable "project_id" {
  description = "Google Cloud project that runs the service (functions, Firestore, queues, KMS)."
  type        = string
}

variable "region" {
  description = <<-EOT
    Region of the functions, Cloud Tasks queues, Scheduler jobs and the KMS key ring. The
    functions read it as FUNCTION_REGION to address their queues.
  EOT
  type        = string
  default     = "europe-west1"
}

variable "firestore_location" {
  description = <<-EOT
    Location of the Firestore database: a region (e.g. europe-west1) or a multi-region (eur3,
    nam5). Empty means the same as `region`. It cannot be changed after the database exists.
  EOT
  type        = string
  default     = ""
}

variable "name_prefix" {
  description = "Prefix of every named resource (functions, service accounts, jobs, key ring)."
  type        = string
  default     = "calendar-sync"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix: 3-22 characters, lower-case letters, digits and dashes."
  }
}

variable "labels" {
  description = "Labels put on every resource that takes labels."
  type        = map(string)
  default     = { app = "calendar-sync" }
}

# -- the public address ----------------------------------------------------------------------

variable "domain" {
  description = <<-EOT
    The host name every path of the API is served on (e.g. calendar-sync.example.com).
    PUBLIC_BASE_URL is https://<domain>: Google's push notifications, the OAuth redirect
    (/getAuthKey), Cloud Tasks and Cloud Scheduler all call it. Point an A record at the
    `load_balancer_ip` output; the managed certificate is issued once DNS resolves.
  EOT
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$", var.domain))
    error_message = "domain: a lower-case host name such as calendar-sync.example.com, without scheme or path."
  }
}

variable "platform_return_url" {
  description = <<-EOT
    The platform page people land on after Google's consent screen (PLATFORM_RETURN_URL);
    /getAuthKey appends google_calendar=connected or google_calendar=error&reason=....
  EOT
  type        = string

  validation {
    condition     = startswith(var.platform_return_url, "https://")
    error_message = "platform_return_url must be an https address."
  }
}

# -- platform tokens -------------------------------------------------------------------------

variable "jwt_algorithm" {
  description = <<-EOT
    How the platform signs its tokens (APP_JWT_ALGORITHM): HS256 with a shared secret (the
    secret <name_prefix>-app-jwt-secret is then created and read), or RS256 checked against
    `jwt_jwks_url`.
  EOT
  type        = string
  default     = "HS256"

  validation {
    condition     = contains(["HS256", "RS256"], var.jwt_algorithm)
    error_message = "jwt_algorithm must be HS256 or RS256."
  }
}

variable "jwt_jwks_url" {
  description = "JWKS address of the platform's signing keys (APP_JWT_JWKS_URL); required for RS256."
  type        = string
  default     = ""
}

variable "jwt_audience" {
  description = "The `aud` platform tokens must carry (APP_JWT_AUDIENCE); empty: not checked."
  type        = string
  default     = ""
}

# -- Google OAuth ----------------------------------------------------------------------------

variable "platform_client_id" {
  description = <<-EOT
    Client id of the platform's own Google OAuth client ("use our Google API"), made by hand
    in the Google Cloud console (README.md). Empty: only companies' private clients work.
    When set, its secret is read from the Secret Manager secret
    <name_prefix>-platform-client-secret.
  EOT
  type        = string
  default     = ""
}

# -- outgoing email --------------------------------------------------------------------------

variable "smtp_host" {
  description = "SMTP relay that sends invitations and admin alerts (SMTP_HOST)."
  type        = string
}

variable "smtp_port" {
  description = "SMTP relay port (SMTP_PORT)."
  type        = number
  default     = 587
}

variable "smtp_username" {
  description = <<-EOT
    SMTP user (SMTP_USERNAME); empty: no authentication. When set, the password is read
    from the Secret Manager secret <name_prefix>-smtp-password.
  EOT
  type        = string
  default     = ""
}

variable "smtp_starttls" {
  description = "Whether to upgrade the SMTP connection with STARTTLS (SMTP_STARTTLS)."
  type        = bool
  default     = true
}

variable "mail_from" {
  description = "From: of every email we send (MAIL_FROM), e.g. \"Calendar sync <calendar@example.com>\"."
  type        = string
}

variable "mail_max_dispatches_per_second" {
  description = <<-EOT
    How many emails per second the mail queue may hand to the relay. Not a Google quota:
    set it under your relay's sending limit (an invitation round emails every unconnected
    worker of a company at once).
  EOT
  type        = number
  default     = 5
}

variable "mail_max_concurrent_dispatches" {
  description = "How many emails may be in flight at once (SMTP connections to the relay)."
  type        = number
  default     = 5
}

# -- importing busy time ---------------------------------------------------------------------

variable "poll_interval" {
  description = <<-EOT
    How often each imported calendar is polled as the backstop for dropped push
    notifications (POLL_INTERVAL: 15m to 7d, e.g. 6h). At scale the poll is most of the
    Calendar API calls, so it is money: see GOOGLE_FACTS' daily billing threshold.
  EOT
  type        = string
  default     = "6h"
}

variable "import_back_days" {
  description = "Days before today from which Google events are imported (IMPORT_BACK_DAYS)."
  type        = number
  default     = 30
}

variable "import_ahead_days" {
  description = "Days after today up to which Google events are imported (IMPORT_AHEAD_DAYS)."
  type        = number
  default     = 365
}

# -- Google Calendar quotas (the queue's rate limits are derived from them) --------------------

variable "push_pace" {
  description = <<-EOT
    The most Calendar calls a push makes per Google account in any such period (PUSH_PACE,
    e.g. 500/1m): under Google's 600 a minute per user, with room for the account's imports.
    A bigger push (a first sync of thousands of bookings) goes on as the period allows.
  EOT
  type        = string
  default     = "500/1m"
}

variable "google_timeout" {
  description = <<-EOT
    Seconds a Calendar API call may take before it counts as failed and its task is retried
    (GOOGLE_TIMEOUT); well under the tasks function's timeout.
  EOT
  type        = number
  default     = 30
}

variable "calendar_quota_per_project_per_minute" {
  description = <<-EOT
    The project's Calendar API quota, requests per minute (Google's default: about 10,000).
    Raise it here after Google raises it in the console; the sync queue scales with it.
  EOT
  type        = number
  default     = 10000
}

variable "calendar_quota_per_user_per_minute" {
  description = "The Calendar API quota per user and project, requests per minute (about 600)."
  type        = number
  default     = 600
}

# -- sizing ----------------------------------------------------------------------------------

variable "function_memory" {
  description = "Memory of each function instance."
  type        = string
  default     = "512Mi"
}

variable "function_cpu" {
  description = "vCPUs of each function instance (1 or more to serve requests concurrently)."
  type        = string
  default     = "1"
}

variable "function_concurrency" {
  description = "Requests one instance serves at once (needs function_cpu >= 1 when above 1)."
  type        = number
  default     = 8
}

variable "function_max_instances" {
  description = "Upper bound of instances per function (a cost guard)."
  type        = number
  default     = 20
}

variable "kms_rotation_period" {
  description = "How often Cloud KMS makes a new primary version of the secrets key (old versions still decrypt)."
  type        = string
  default     = "7776000s" # 90 days
}

variable "alert_email" {
  description = "Where the operators' alerts go (pending work older than 15 minutes, workers who must reconnect, failing channel renewals)."
  type        = string
}

variable "needs_reauth_per_hour" {
  description = "Alert when more workers than this move to needs_reauth within an hour."
  type        = number
  default     = 5
}
