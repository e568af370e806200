#!/usr/bin/env bash
# Runs web (127.0.0.1:8000), a Celery worker and Celery beat together; Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
mkdir -p var/log
# Secrets the demo seed made (the retail demo's API key at the reseller demo): environment only.
if [ -f var/demo.env ]; then set -a; . var/demo.env; set +a; fi

pids=()
cleanup() {
  trap - INT TERM EXIT
  echo
  echo "Stopping web, worker and beat..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

$BIN/celery -A config worker --loglevel=INFO --pool=solo >var/log/worker.log 2>&1 &
pids+=($!)
$BIN/celery -A config beat --loglevel=INFO --schedule var/celerybeat-schedule >var/log/beat.log 2>&1 &
pids+=($!)

cat <<MSG

  Unlock storefront is starting (worker and beat log to var/log/).

  Retail demo (USD balance):     http://imeiserver.localhost:8000/
  Reseller demo (EUR credits):   http://doctorsim.localhost:8000/
  Emails sent (dev outbox):      http://imeiserver.localhost:8000/dev/outbox/
  Admin:                         http://imeiserver.localhost:8000/admin/

  Demo logins (password unlock-demo-2026 for all, on each storefront):
    customer@example.com   a verified customer
    support@example.com    staff, Support group (refunds)
    disputes@example.com   staff, Dispute admin group
    admin@example.com      platform operator (superuser, every storefront)

  Ctrl-C stops web, worker and beat.

MSG

$BIN/python manage.py runserver 127.0.0.1:8000 &
pids+=($!)
wait -n "${pids[@]}" || true
