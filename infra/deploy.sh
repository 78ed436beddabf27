#!/usr/bin/env bash
# Deploy every function and the queues to PROJECT in REGION. Idempotent.
# Usage: PROJECT=my-project REGION=europe-west1 ENV_FILE=prod.env infra/deploy.sh
set -euo pipefail
: "${PROJECT:?set PROJECT}" "${REGION:?set REGION}" "${ENV_FILE:?set ENV_FILE (KEY=VALUE lines)}"
cd "$(dirname "$0")/.."

env_vars="GOOGLE_FUNCTION_SOURCE=functions/main.py,$(grep -v '^#' "$ENV_FILE" | paste -sd, -)"

# The same retry settings as shared/tasks.py: sync work retries for a day; an email that
# cannot go out stops after 10 attempts (permanent failures are not retried at all).
declare -A retry=(
  [sync]="--max-attempts=-1 --max-retry-duration=86400s --min-backoff=1s --max-backoff=300s --max-doublings=8"
  [mail]="--max-attempts=10 --max-retry-duration=14400s --min-backoff=30s --max-backoff=3600s --max-doublings=7"
)
for queue in sync mail; do
  # shellcheck disable=SC2086
  gcloud tasks queues describe "$queue" --project "$PROJECT" --location "$REGION" >/dev/null 2>&1 ||
    gcloud tasks queues create "$queue" --project "$PROJECT" --location "$REGION" ${retry[$queue]}
done

for fn in settings bookings connections calendar notifications tasks cron; do
  public=()
  case "$fn" in connections | notifications | settings | bookings | calendar) public=(--allow-unauthenticated) ;; esac
  gcloud functions deploy "$fn" --project "$PROJECT" --region "$REGION" --gen2 \
    --runtime python312 --trigger-http --source . --entry-point "$fn" \
    --set-env-vars "$env_vars" "${public[@]}"
done
