# Terraform and provider versions, and where the state lives.
#
# The state holds no secret value (Secret Manager versions are added outside Terraform, see
# README.md), but it does name every resource: keep it in a bucket only the deployers read.
# `terraform init -backend-config="bucket=<state bucket>" -backend-config="prefix=calendar-sync"`.

terraform {
  required_version = ">= 1.6"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 6.14, < 8.0"
    }
    archive = {
      source = "hashicorp/archive"
      # 2.4 added glob patterns to archive_file's `excludes`.
      version = ">= 2.4, < 3.0"
    }
  }

  backend "gcs" {}
}

provider "google" {
  project = var.project_id
  region  = var.region

  default_labels = var.labels
}
