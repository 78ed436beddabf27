# What operators watch: log-based metrics over the events the code logs (shared/logs.py's
# `event(...)`: a JSON payload with `event` and a few fields), and the alerts that page.
#
#   event            logged by                              fields
#   google_call      every Calendar API call or batch       method, outcome (ok or status)
#   retry_later      a request answered 503 to be retried   path, reason
#   task_done        every Cloud Tasks task                 kind, outcome
#   push_done        a worker's push reached Google         written, lag_seconds
#   import_done      a calendar's import stored its blocks  mode, stored, removed, lag_seconds
#   needs_reauth     a worker must connect again            (labels: company, worker)
#   channel_renewal  a push channel opened or renewed       outcome (ok or failed)
#   pending_work     every sweep (each minute or so)        oldest_age_seconds
#
# tests/infra checks that every event named here is logged somewhere in the code.

locals {
  event_filter = "jsonPayload.event=\"%s\""

  # name => event, description, and the payload fields that become metric labels.
  counters = {
    google_calls = {
      event       = "google_call"
      description = "Google Calendar API calls, by method and outcome."
      labels      = { method = "method", outcome = "outcome" }
    }
    retries = {
      event       = "retry_later"
      description = "Requests answered 503 so that Cloud Tasks retries them."
      labels      = {}
    }
    tasks = {
      event       = "task_done"
      description = "Cloud Tasks tasks done, by kind."
      labels      = { kind = "kind" }
    }
    pushes = {
      event       = "push_done"
      description = "Pushes of a worker's changed bookings and blocks to Google."
      labels      = {}
    }
    imports = {
      event       = "import_done"
      description = "Imports of a Google calendar's changes as busy blocks, by mode."
      labels      = { mode = "mode" }
    }
    needs_reauth = {
      event       = "needs_reauth"
      description = "Workers whose Google permission was refused: they must connect again."
      labels      = {}
    }
    channel_renewals = {
      event       = "channel_renewal"
      description = "Push channels opened or renewed, by outcome."
      labels      = { outcome = "outcome" }
    }
  }

  # name => event and the payload field measured (seconds).
  distributions = {
    push_lag = {
      event       = "push_done"
      field       = "lag_seconds"
      description = "Seconds from a booking change to its event written in Google."
    }
    import_lag = {
      event       = "import_done"
      field       = "lag_seconds"
      description = "Seconds from Google's notification to the busy block stored."
    }
    pending_work_age = {
      event       = "pending_work"
      field       = "oldest_age_seconds"
      description = "Seconds the oldest pending sync has waited, at each sweep."
    }
  }
}

resource "google_logging_metric" "counter" {
  for_each    = local.counters
  name        = "${var.name_prefix}/${each.key}"
  description = each.value.description
  filter      = format(local.event_filter, each.value.event)

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"

    dynamic "labels" {
      for_each = each.value.labels
      content {
        key        = labels.key
        value_type = "STRING"
      }
    }
  }

  label_extractors = {
    for key, field in each.value.labels : key => "EXTRACT(jsonPayload.${field})"
  }
}

resource "google_logging_metric" "distribution" {
  for_each        = local.distributions
  name            = "${var.name_prefix}/${each.key}"
  description     = each.value.description
  filter          = format(local.event_filter, each.value.event)
  value_extractor = "EXTRACT(jsonPayload.${each.value.field})"

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "DISTRIBUTION"
    unit        = "s"
  }

  bucket_options {
    exponential_buckets {
      num_finite_buckets = 24
      growth_factor      = 2
      scale              = 0.01 # 10 ms up to about 23 hours
    }
  }
}

resource "google_monitoring_notification_channel" "operators" {
  display_name = "Calendar sync operators"
  type         = "email"
  labels = {
    email_address = var.alert_email
  }
}

locals {
  user_metric = "logging.googleapis.com/user/${var.name_prefix}"
}

# Pending work older than 15 minutes: a booking or busy block that should have reached its
# calendar has not. The sweeper retries it every run; this pages when that is not enough.
resource "google_monitoring_alert_policy" "pending_work" {
  display_name          = "Calendar sync: pending work older than 15 minutes"
  combiner              = "OR"
  notification_channels = [google_monitoring_notification_channel.operators.id]

  conditions {
    display_name = "oldest pending sync > 900 s"
    condition_threshold {
      filter          = "metric.type=\"${local.user_metric}/pending_work_age\" AND resource.type=\"cloud_run_revision\""
      comparison      = "COMPARISON_GT"
      threshold_value = 900
      duration        = "300s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_PERCENTILE_99"
        cross_series_reducer = "REDUCE_MAX"
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "Work has waited over 15 minutes. `python -m shared.ops pending` lists it, `python -m shared.ops errors COMPANY` shows why, `python -m shared.ops replay` asks again."
  }
}

# More workers than usual must reconnect: a revoked client, a changed secret, or Google
# refusing our grants (for a company: its private client).
resource "google_monitoring_alert_policy" "needs_reauth" {
  display_name          = "Calendar sync: workers must reconnect"
  combiner              = "OR"
  notification_channels = [google_monitoring_notification_channel.operators.id]

  conditions {
    display_name = "needs_reauth above ${var.needs_reauth_per_hour} an hour"
    condition_threshold {
      filter          = "metric.type=\"${local.user_metric}/needs_reauth\" AND resource.type=\"cloud_run_revision\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.needs_reauth_per_hour
      duration        = "0s"
      aggregations {
        alignment_period     = "3600s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "Workers are moving to needs_reauth. `python -m shared.ops errors COMPANY` shows which, and Google's refusal."
  }
}

# A channel renewal failed: that calendar hears of changes only through the backstop poll
# until the next renewal works.
resource "google_monitoring_alert_policy" "channel_renewals" {
  display_name          = "Calendar sync: push channel renewals failing"
  combiner              = "OR"
  notification_channels = [google_monitoring_notification_channel.operators.id]

  conditions {
    display_name = "failed channel renewals in the last hour"
    condition_threshold {
      filter          = "metric.type=\"${local.user_metric}/channel_renewals\" AND metric.label.outcome=\"failed\" AND resource.type=\"cloud_run_revision\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period     = "3600s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "Channels are not being renewed. `python -m shared.ops channels --hours 24` lists those about to lapse."
  }
}
