# Firestore: the database, the indexes the code's queries need, the TTL policy it relies on,
# and security rules that shut out every direct client (only the functions' service account
# reads and writes, through IAM, which rules do not apply to).
#
# Which index serves which query: tests/infra runs every query in shared/ against a recording
# client and fails when one has no index here. Composite indexes list the equality fields
# first, then the range fields in the order Firestore sorts a query with several range filters
# (by field name). Queries on equalities only could be served by merging single-field
# indexes; they get a composite index all the same, so their cost does not depend on how
# the data happens to be spread.

resource "google_firestore_database" "main" {
  name                              = "(default)"
  location_id                       = var.firestore_location != "" ? var.firestore_location : var.region
  type                              = "FIRESTORE_NATIVE"
  concurrency_mode                  = "PESSIMISTIC"
  point_in_time_recovery_enablement = "POINT_IN_TIME_RECOVERY_ENABLED"
  delete_protection_state           = "DELETE_PROTECTION_ENABLED"
  deletion_policy                   = "ABANDON"

  depends_on = [google_project_service.apis]
}

# -- bookings ----------------------------------------------------------------------------------

# shared/store/records.py worker_bookings: a worker's bookings ending after the push window's start.
resource "google_firestore_index" "bookings_worker_end" {
  database   = google_firestore_database.main.name
  collection = "bookings"

  fields {
    field_path   = "worker_ids"
    array_config = "CONTAINS"
  }
  fields {
    field_path = "end"
    order      = "ASCENDING"
  }
}

# shared/views/calendar.py: bookings of some workers (array-contains-any) overlapping a range.
resource "google_firestore_index" "bookings_worker_end_start" {
  database   = google_firestore_database.main.name
  collection = "bookings"

  fields {
    field_path   = "worker_ids"
    array_config = "CONTAINS"
  }
  fields {
    field_path = "end"
    order      = "ASCENDING"
  }
  fields {
    field_path = "start"
    order      = "ASCENDING"
  }
}

# shared/services/bookings.py reconcile_status: a status's bookings inside the push window.
resource "google_firestore_index" "bookings_status_end" {
  database   = google_firestore_database.main.name
  collection = "bookings"

  fields {
    field_path = "status_id"
    order      = "ASCENDING"
  }
  fields {
    field_path = "end"
    order      = "ASCENDING"
  }
}

# -- unavailability ----------------------------------------------------------------------------

# shared/store/records.py worker_blocks.
resource "google_firestore_index" "unavailability_worker_end" {
  database   = google_firestore_database.main.name
  collection = "unavailability"

  fields {
    field_path = "worker_id"
    order      = "ASCENDING"
  }
  fields {
    field_path = "end"
    order      = "ASCENDING"
  }
}

# shared/views/calendar.py: blocks of some workers (`in`) overlapping a range.
resource "google_firestore_index" "unavailability_worker_end_start" {
  database   = google_firestore_database.main.name
  collection = "unavailability"

  fields {
    field_path = "worker_id"
    order      = "ASCENDING"
  }
  fields {
    field_path = "end"
    order      = "ASCENDING"
  }
  fields {
    field_path = "start"
    order      = "ASCENDING"
  }
}

# -- event_links -------------------------------------------------------------------------------

# shared/store/records.py event_links: a worker's link records inside the push window.
resource "google_firestore_index" "event_links_worker_end" {
  database   = google_firestore_database.main.name
  collection = "event_links"

  fields {
    field_path = "worker_id"
    order      = "ASCENDING"
  }
  fields {
    field_path = "end"
    order      = "ASCENDING"
  }
}

# shared/store/records.py item_links: every worker's link record of one booking or block.
resource "google_firestore_index" "event_links_kind_item" {
  database   = google_firestore_database.main.name
  collection = "event_links"

  fields {
    field_path = "kind"
    order      = "ASCENDING"
  }
  fields {
    field_path = "item_id"
    order      = "ASCENDING"
  }
}

# shared/services/operations.py: a worker's failed link records (the operator tool).
resource "google_firestore_index" "event_links_worker_state" {
  database   = google_firestore_database.main.name
  collection = "event_links"

  fields {
    field_path = "worker_id"
    order      = "ASCENDING"
  }
  fields {
    field_path = "state"
    order      = "ASCENDING"
  }
}

# -- busy_blocks -------------------------------------------------------------------------------

# shared/sync/busy_import.py: one imported calendar's blocks (mark and sweep).
resource "google_firestore_index" "busy_blocks_sub_calendar" {
  database   = google_firestore_database.main.name
  collection = "busy_blocks"

  fields {
    field_path = "sub"
    order      = "ASCENDING"
  }
  fields {
    field_path = "calendar_id"
    order      = "ASCENDING"
  }
}

# shared/sync/busy_import.py _aged_out: one calendar's blocks that ended before the window.
resource "google_firestore_index" "busy_blocks_calendar_aged" {
  database   = google_firestore_database.main.name
  collection = "busy_blocks"

  fields {
    field_path = "calendar_id"
    order      = "ASCENDING"
  }
  fields {
    field_path = "sub"
    order      = "ASCENDING"
  }
  fields {
    field_path = "range_end"
    order      = "ASCENDING"
  }
}

# shared/views/calendar.py: the blocks of some accounts (`in`) overlapping a range.
resource "google_firestore_index" "busy_blocks_sub_range" {
  database   = google_firestore_database.main.name
  collection = "busy_blocks"

  fields {
    field_path = "sub"
    order      = "ASCENDING"
  }
  fields {
    field_path = "range_end"
    order      = "ASCENDING"
  }
  fields {
    field_path = "range_start"
    order      = "ASCENDING"
  }
}

# -- workers -----------------------------------------------------------------------------------

# shared/services/invitation_rounds.py expected_invitations: counts of active workers that are
# linked, in the Workspace domain, or both.
resource "google_firestore_index" "workers_active_state" {
  database   = google_firestore_database.main.name
  collection = "workers"

  fields {
    field_path = "active"
    order      = "ASCENDING"
  }
  fields {
    field_path = "connection.state"
    order      = "ASCENDING"
  }
}

resource "google_firestore_index" "workers_active_domain" {
  database   = google_firestore_database.main.name
  collection = "workers"

  fields {
    field_path = "active"
    order      = "ASCENDING"
  }
  fields {
    field_path = "email_domain"
    order      = "ASCENDING"
  }
}

resource "google_firestore_index" "workers_active_domain_state" {
  database   = google_firestore_database.main.name
  collection = "workers"

  fields {
    field_path = "active"
    order      = "ASCENDING"
  }
  fields {
    field_path = "email_domain"
    order      = "ASCENDING"
  }
  fields {
    field_path = "connection.state"
    order      = "ASCENDING"
  }
}

# -- single-field settings ---------------------------------------------------------------------
# Firestore indexes every field of a collection by itself automatically, but only for queries
# on one collection. The queries across all companies' workers (collection-group queries)
# need the field's index with COLLECTION_GROUP scope, set here. Setting a field's indexes
# replaces the automatic ones, so each also keeps the collection-scope index that the
# per-company queries use.

# shared/store/records.py pending_since_before: the sweeper's "looks waiting too long".
resource "google_firestore_field" "workers_sync_pending_since" {
  database   = google_firestore_database.main.name
  collection = "workers"
  field      = "sync_pending_since"

  index_config {
    indexes {
      order       = "ASCENDING"
      query_scope = "COLLECTION"
    }
    indexes {
      order       = "ASCENDING"
      query_scope = "COLLECTION_GROUP"
    }
  }
}

resource "google_firestore_field" "workers_push_pending_since" {
  database   = google_firestore_database.main.name
  collection = "workers"
  field      = "push_pending_since"

  index_config {
    indexes {
      order       = "ASCENDING"
      query_scope = "COLLECTION"
    }
    indexes {
      order       = "ASCENDING"
      query_scope = "COLLECTION_GROUP"
    }
  }
}

# shared/store/records.py linked_anywhere (a grant's release: is any company's worker still
# on it?) across companies, and account_members within one.
resource "google_firestore_field" "workers_google_sub" {
  database   = google_firestore_database.main.name
  collection = "workers"
  field      = "connection.google_sub"

  index_config {
    indexes {
      order       = "ASCENDING"
      query_scope = "COLLECTION"
    }
    indexes {
      order       = "ASCENDING"
      query_scope = "COLLECTION_GROUP"
    }
  }
}

# Single-field queries on one collection that the automatic indexes serve; stated here so
# that nobody exempts these fields from indexing by accident.
# shared/sync/channels.py expiring (/cron/renew-channels) and the operator tool.
resource "google_firestore_field" "channels_expiration" {
  database   = google_firestore_database.main.name
  collection = "channels"
  field      = "expiration"

  index_config {
    indexes {
      order       = "ASCENDING"
      query_scope = "COLLECTION"
    }
  }
}

# shared/services/invitation_rounds.py pending_before (the sweeper's unfinished rounds).
resource "google_firestore_field" "companies_invitation_round_pending_since" {
  database   = google_firestore_database.main.name
  collection = "companies"
  field      = "invitation_round_pending_since"

  index_config {
    indexes {
      order       = "ASCENDING"
      query_scope = "COLLECTION"
    }
  }
}

# shared/sync/busy_import.py request_imports and forget_account: an account's imported calendars.
resource "google_firestore_field" "calendar_imports_sub" {
  database   = google_firestore_database.main.name
  collection = "calendar_imports"
  field      = "sub"

  index_config {
    indexes {
      order       = "ASCENDING"
      query_scope = "COLLECTION"
    }
  }
}

# -- TTL ---------------------------------------------------------------------------------------

# shared/services/consent.py: a consent attempt (oauth_states) carries `expire_at`; abandoned
# ones are deleted by this policy (they hold no secret: the PKCE verifier is derived, never
# stored). Nothing queries the field, so it is not indexed (a TTL timestamp index is a write
# hotspot).
resource "google_firestore_field" "oauth_states_ttl" {
  database   = google_firestore_database.main.name
  collection = "oauth_states"
  field      = "expire_at"

  ttl_config {}
  index_config {}
}

# -- security rules ----------------------------------------------------------------------------

resource "google_firebaserules_ruleset" "firestore" {
  source {
    files {
      name    = "firestore.rules"
      content = file("${path.module}/firestore.rules")
    }
  }

  depends_on = [google_firestore_database.main, google_project_service.apis]
}

resource "google_firebaserules_release" "firestore" {
  name         = "cloud.firestore"
  ruleset_name = "projects/${var.project_id}/rulesets/${google_firebaserules_ruleset.firestore.name}"

  lifecycle {
    replace_triggered_by = [google_firebaserules_ruleset.firestore]
  }
}
