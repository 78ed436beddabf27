# What the people around the deployment need: where the API lives, the address Google's
# consent screen must return to (every OAuth client's redirect URI), and the webhook.

output "base_url" {
  description = "PUBLIC_BASE_URL: every path of docs/api.md lives under it."
  value       = local.base_url
}

output "oauth_redirect_uri" {
  description = "The OAuth callback. Register it as an authorized redirect URI on the platform's OAuth client and on every company's private client."
  value       = "${local.base_url}/getAuthKey"
}

output "webhook_url" {
  description = "Where Google delivers push notifications for the calendars we import."
  value       = "${local.base_url}/notifications"
}

output "load_balancer_ip" {
  description = "Point the domain's A record here; the managed certificate is issued once it resolves."
  value       = google_compute_global_address.api.address
}

output "tasks_service_account" {
  description = "TASKS_SERVICE_ACCOUNT: the identity in Cloud Tasks' and Cloud Scheduler's OIDC tokens."
  value       = google_service_account.invoker.email
}

output "runtime_service_account" {
  description = "What the functions run as."
  value       = google_service_account.runtime.email
}

output "kms_key_name" {
  description = "KMS_KEY_NAME: the key that wraps the data keys of secrets at rest."
  value       = google_kms_crypto_key.secrets.id
}

output "secrets_to_fill" {
  description = "Secret Manager secrets that need a version before the functions can start: environment variable => secret id."
  value       = { for name, secret in local.enabled_secrets : name => secret.secret_id }
}
