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

locals {
  # name => what pages, when, and where the operator starts (shared/ops.py).
  alerts = {
    # A booking or busy block that should have reached its calendar has not; the sweeper
    # retries every run, and this pages when that is not enough.
    pending_work = {
      display_name = "Calendar sync: pending work older than 15 minutes"
      condition    = "oldest pending sync > 900 s"
      metric       = "pending_work_age"
      labels       = ""
      threshold    = 900
      duration     = "300s"
      period       = "300s"
      aligner      = "ALIGN_PERCENTILE_99"
      reducer      = "REDUCE_MAX"
      help         = "Work has waited over 15 minutes. `python -m shared.ops pending` lists it, `python -m shared.ops errors COMPANY` shows why, `python -m shared.ops replay` asks again."
    }
    # More workers than usual must reconnect: a revoked client, a changed secret, or
    # Google refusing our grants (for a company: its private client).
    needs_reauth = {
      display_name = "Calendar sync: workers must reconnect"
      condition    = "needs_reauth above ${var.needs_reauth_per_hour} an hour"
      metric       = "needs_reauth"
      labels       = ""
      threshold    = var.needs_reauth_per_hour
      duration     = "0s"
      period       = "3600s"
      aligner      = "ALIGN_SUM"
      reducer      = "REDUCE_SUM"
      help         = "Workers are moving to needs_reauth. `python -m shared.ops errors COMPANY` shows which, and Google's refusal."
    }
    # That calendar hears of changes only through the backstop poll until a renewal works.
    channel_renewals = {
      display_name = "Calendar sync: push channel renewals failing"
      condition    = "failed channel renewals in the last hour"
      metric       = "channel_renewals"
      labels       = " AND metric.label.outcome=\"failed\""
      threshold    = 0
      duration     = "0s"
      period       = "3600s"
      aligner      = "ALIGN_SUM"
      reducer      = "REDUCE_SUM"
      help         = "Channels are not being renewed. `python -m shared.ops channels --hours 24` lists those about to lapse."
    }
  }
}

resource "google_monitoring_alert_policy" "alert" {
  for_each              = local.alerts
  display_name          = each.value.display_name
  combiner              = "OR"
  notification_channels = [google_monitoring_notification_channel.operators.id]

  conditions {
    display_name = each.value.condition
    condition_threshold {
      filter          = "metric.type=\"${local.user_metric}/${each.value.metric}\" AND resource.type=\"cloud_run_revision\"${each.value.labels}"
      comparison      = "COMPARISON_GT"
      threshold_value = each.value.threshold
      duration        = each.value.duration
      aggregations {
        alignment_period     = each.value.period
        per_series_aligner   = each.value.aligner
        cross_series_reducer = each.value.reducer
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = each.value.help
  }
}
