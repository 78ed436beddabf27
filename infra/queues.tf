# The Cloud Tasks queues shared/queue/ sends to: `sync` (every look at a Google account or
# calendar: all the service's Calendar API calls happen in its tasks) and `mail` (invitations
# and admin alerts). Both deliver POST /tasks/sync with an OIDC token for the invoker.
#
# The retry settings are the ones shared/queue/tasks.py gives the local emulator, so tests
# and production retry alike (tests/infra checks they agree). The sync queue's rate limits
# come from Google Calendar's quotas (GOOGLE_FACTS.md):
#   per project  about 10,000 requests/minute  (var.calendar_quota_per_project_per_minute)
#   per user     about    600 requests/minute  (var.calendar_quota_per_user_per_minute)
# Over either, Google answers 403 rateLimitExceeded / userRateLimitExceeded or 429, which
# the sync turns into a 503 (RetryLater) so that the queue's backoff retries it.

locals {
  # Concurrency. One sync works one Google account at a time (the account's lease,
  # shared/sync/lease.py), and an account may make at most 600 calls a minute. So
  #   floor(10,000 / 600) = 16
  # syncs running flat out use the project's whole minute; a 17th at once could only meet
  # rate-limit errors. (A sync's batches of up to 50 writes still count 50 calls each.)
  sync_max_concurrent_dispatches = floor(
    var.calendar_quota_per_project_per_minute / var.calendar_quota_per_user_per_minute
  )

  # Dispatch rate. A task that reaches Google makes at least one call, so starting tasks
  # faster than the project's quota per second (10,000 / 60 = 166 a second) could only be
  # refused; 90% of it,
  #   floor(10,000 / 60 * 0.9) = 150 tasks a second,
  # leaves room for Google's own retries inside a call and for the operator tool. Most tasks
  # are cheap (a burst for one account coalesces into one named task per half second), so the
  # concurrency above is what binds under load; this bounds bursts of quick tasks.
  sync_max_dispatches_per_second = floor(var.calendar_quota_per_project_per_minute / 60 * 0.9)
}

resource "google_cloud_tasks_queue" "sync" {
  name     = "sync"
  location = var.region

  rate_limits {
    max_dispatches_per_second = local.sync_max_dispatches_per_second
    max_concurrent_dispatches = local.sync_max_concurrent_dispatches
  }

  # Backoff, from Google's advice for rate limits and 5xx: truncated exponential backoff.
  # - min_backoff 1 s, doubling 8 times: 1, 2, 4, ... 256 s, then capped at max_backoff. The
  #   per-user quota is counted per minute, and after 6 retries (63 s) a task is retried in a
  #   fresh minute; a rate-limited account costs about 6 refused calls, not a storm.
  # - max_backoff 300 s: `quotaExceeded` (Calendar usage limits) lasts hours. A task stuck on
  #   it retries at most 12 times an hour (each retry is a billed call) instead of hammering.
  # - max_attempts unlimited within max_retry_duration 1 day: a sync is desired state, so a
  #   retry never does harm, and after a day the sweeper (/cron/sweep) re-enqueues whatever
  #   is still pending, so giving up loses nothing.
  retry_config {
    max_attempts       = -1
    max_retry_duration = "86400s"
    min_backoff        = "1s"
    max_backoff        = "300s"
    max_doublings      = 8
  }

  depends_on = [google_project_service.apis]
}

resource "google_cloud_tasks_queue" "mail" {
  name     = "mail"
  location = var.region

  # The relay's limits, not Google's (variables.tf).
  rate_limits {
    max_dispatches_per_second = var.mail_max_dispatches_per_second
    max_concurrent_dispatches = var.mail_max_concurrent_dispatches
  }

  # An email that cannot go out now (relay down, greylisting) is retried 10 times over at
  # most 4 hours, 30 s to 1 h apart; one the relay refuses for good is not retried at all
  # (shared/mail/smtp.py tells them apart).
  retry_config {
    max_attempts       = 10
    max_retry_duration = "14400s"
    min_backoff        = "30s"
    max_backoff        = "3600s"
    max_doublings      = 7
  }

  depends_on = [google_project_service.apis]
}
