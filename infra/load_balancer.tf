# One public address for every path of the API (docs/api.md) and for the console (/console):
# a global external Application Load Balancer with a managed certificate for `domain`, one
# serverless NEG and backend service per function, and a URL map sending each path to the
# function whose router declares it. tests/infra checks every route of functions/*.py against
# this map.

resource "google_compute_global_address" "api" {
  name       = "${var.name_prefix}-api"
  depends_on = [google_project_service.apis]
}

resource "google_compute_managed_ssl_certificate" "api" {
  name = "${var.name_prefix}-api"

  managed {
    domains = [var.domain]
  }

  depends_on = [google_project_service.apis]
}

resource "google_compute_ssl_policy" "api" {
  name            = "${var.name_prefix}-api"
  profile         = "MODERN"
  min_tls_version = "TLS_1_2"
  depends_on      = [google_project_service.apis]
}

resource "google_compute_region_network_endpoint_group" "fn" {
  for_each = local.functions

  name                  = "${var.name_prefix}-${each.key}"
  region                = var.region
  network_endpoint_type = "SERVERLESS"

  # A gen2 function is served by the Cloud Run service of the same name.
  cloud_run {
    service = google_cloudfunctions2_function.fn[each.key].name
  }
}

resource "google_compute_backend_service" "fn" {
  for_each = local.functions

  name                  = "${var.name_prefix}-${each.key}"
  load_balancing_scheme = "EXTERNAL_MANAGED"

  backend {
    group = google_compute_region_network_endpoint_group.fn[each.key].id
  }

  # Off: the load balancer's request log keeps whole URLs, and /connect?invite=... and
  # /getAuthKey?code=...&state=... carry invitation tokens and OAuth codes. The functions
  # log every request themselves, with those redacted (shared/logs.py).
  log_config {
    enable = false
  }
}

# Route rules are tried in priority order (lowest first). Path matching ignores the query
# string. `prefix_match` is a plain string prefix ("/bookings" also takes "/bookings:batch");
# `path_template_match` "*" is exactly one path segment.
resource "google_compute_url_map" "api" {
  name = "${var.name_prefix}-api"

  # Unknown hosts and paths: the settings function, whose router answers the API's JSON 404.
  default_service = google_compute_backend_service.fn["settings"].id

  host_rule {
    hosts        = [var.domain]
    path_matcher = "api"
  }

  path_matcher {
    name            = "api"
    default_service = google_compute_backend_service.fn["settings"].id

    # GET/PUT /settings, GET /booking-statuses, PUT /booking-statuses/{status_id}
    route_rules {
      priority = 10
      service  = google_compute_backend_service.fn["settings"].id
      match_rules {
        prefix_match = "/settings"
      }
      match_rules {
        prefix_match = "/booking-statuses"
      }
    }

    # PUT/DELETE /bookings/{id}, GET /bookings/{id}/sync, POST /bookings:batch,
    # PUT/DELETE /unavailability/{id}
    route_rules {
      priority = 20
      service  = google_compute_backend_service.fn["bookings"].id
      match_rules {
        prefix_match = "/bookings"
      }
      match_rules {
        prefix_match = "/unavailability"
      }
    }

    # PUT /workers/{worker_id}: the roster is the bookings function's; everything below a
    # worker (/workers/{id}/connection, /calendars, /authorization-*, /resync) is
    # connections'. This rule must stay ahead of the next one.
    route_rules {
      priority = 30
      service  = google_compute_backend_service.fn["bookings"].id
      match_rules {
        path_template_match = "/workers/*"
      }
    }

    route_rules {
      priority = 40
      service  = google_compute_backend_service.fn["connections"].id
      match_rules {
        prefix_match = "/workers/"
      }
    }

    # The consent round trip (Google redirects to /getAuthKey) and the admin's list.
    route_rules {
      priority = 50
      service  = google_compute_backend_service.fn["connections"].id
      match_rules {
        full_path_match = "/connect"
      }
      match_rules {
        full_path_match = "/getAuthKey"
      }
      match_rules {
        full_path_match = "/connections"
      }
    }

    # The read views.
    route_rules {
      priority = 60
      service  = google_compute_backend_service.fn["calendar"].id
      match_rules {
        full_path_match = "/calendar"
      }
      match_rules {
        full_path_match = "/availability"
      }
      match_rules {
        full_path_match = "/conflicts"
      }
    }

    # Google's push notifications (the webhook address of every channel).
    route_rules {
      priority = 70
      service  = google_compute_backend_service.fn["notifications"].id
      match_rules {
        full_path_match = "/notifications"
      }
    }

    # Cloud Tasks.
    route_rules {
      priority = 80
      service  = google_compute_backend_service.fn["tasks"].id
      match_rules {
        prefix_match = "/tasks/"
      }
    }

    # Cloud Scheduler.
    route_rules {
      priority = 90
      service  = google_compute_backend_service.fn["cron"].id
      match_rules {
        prefix_match = "/cron/"
      }
    }

    # The admin console's page and files (/console, /console/...): not the API, a page that
    # calls it (functions/console.py).
    route_rules {
      priority = 100
      service  = google_compute_backend_service.fn["console"].id
      match_rules {
        full_path_match = "/console"
      }
      match_rules {
        prefix_match = "/console/"
      }
    }
  }
}

resource "google_compute_target_https_proxy" "api" {
  name             = "${var.name_prefix}-api"
  url_map          = google_compute_url_map.api.id
  ssl_certificates = [google_compute_managed_ssl_certificate.api.id]
  ssl_policy       = google_compute_ssl_policy.api.id
}

resource "google_compute_global_forwarding_rule" "https" {
  name                  = "${var.name_prefix}-https"
  load_balancing_scheme = "EXTERNAL_MANAGED"
  ip_address            = google_compute_global_address.api.address
  port_range            = "443"
  target                = google_compute_target_https_proxy.api.id
}

# Plain http only redirects to https.
resource "google_compute_url_map" "redirect" {
  name = "${var.name_prefix}-redirect"

  default_url_redirect {
    https_redirect         = true
    redirect_response_code = "MOVED_PERMANENTLY_DEFAULT"
    strip_query            = false
  }
}

resource "google_compute_target_http_proxy" "redirect" {
  name    = "${var.name_prefix}-redirect"
  url_map = google_compute_url_map.redirect.id
}

resource "google_compute_global_forwarding_rule" "http" {
  name                  = "${var.name_prefix}-http"
  load_balancing_scheme = "EXTERNAL_MANAGED"
  ip_address            = google_compute_global_address.api.address
  port_range            = "80"
  target                = google_compute_target_http_proxy.redirect.id
}
