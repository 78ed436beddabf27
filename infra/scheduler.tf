# The Cloud Scheduler jobs, made from schedules.json: the one definition of the jobs, which
# `make run`'s local scheduler (dev/schedules.py) fires on the same schedules. Add or change a
# job there, never here. Each job POSTs its body to PUBLIC_BASE_URL + path with an OIDC token
# for the invoker whose audience is that same URL (what shared/security.py checks).

locals {
  schedules = jsondecode(file("${path.module}/schedules.json"))
  jobs      = { for job in local.schedules.jobs : job.name => job }
}

resource "google_cloud_scheduler_job" "cron" {
  for_each = local.jobs

  name             = "${var.name_prefix}-${each.key}"
  region           = var.region
  description      = try(each.value.description, "")
  schedule         = each.value.schedule
  time_zone        = each.value.timeZone
  attempt_deadline = try(each.value.attemptDeadline, "180s")

  http_target {
    http_method = try(each.value.httpTarget.httpMethod, "POST")
    uri         = "${local.base_url}${each.value.httpTarget.path}"
    body        = base64encode(jsonencode(try(each.value.httpTarget.body, {})))
    headers = {
      "Content-Type" = "application/json"
    }

    oidc_token {
      service_account_email = google_service_account.invoker.email
      audience              = "${local.base_url}${each.value.httpTarget.path}"
    }
  }

  depends_on = [
    google_project_service.apis,
    google_cloud_run_v2_service_iam_member.invoker,
  ]
}
