#!/usr/bin/env bash
# Runs web (127.0.0.1:$PORT, default 8000), two Celery workers (orders; the rest) and Celery beat
# together; Ctrl-C stops them all. `make run PORT=8100` passes PORT; links in e-mails and the
# demo's supply chain use the same port (SITE_PORT). VAR_DIR (default var/) holds the database, broker, outbox and logs.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PORT="${PORT:-8000}"
case "$PORT" in
  '' | *[!0-9]*) echo "PORT must be a port number, not '$PORT'" >&2; exit 2 ;;
esac
export SITE_PORT="$PORT"
VAR="${VAR_DIR:-var}"
mkdir -p "$VAR/log"

pids=()
cleanup() {
  trap - INT TERM EXIT
  echo
  echo "Stopping web, workers and beat..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

# Two workers, as production has one per kind of work (config/settings.py CELERY_TASK_ROUTES):
# orders (placement at suppliers and polling them) never wait behind e-mail or webhooks.
$BIN/celery -A config worker --loglevel=INFO --pool=solo --queues=dispatch,polling \
  --hostname="orders@%h" >"$VAR/log/worker-orders.log" 2>&1 &
pids+=($!)
$BIN/celery -A config worker --loglevel=INFO --pool=solo --queues=celery,email,webhooks \
  --hostname="other@%h" >"$VAR/log/worker.log" 2>&1 &
pids+=($!)
$BIN/celery -A config beat --loglevel=INFO --schedule "$VAR/celerybeat-schedule" >"$VAR/log/beat.log" 2>&1 &
pids+=($!)

cat <<MSG

  Unlock storefront is starting (workers and beat log to $VAR/log/).

  Retail demo (USD balance):     http://imeiserver.localhost:$PORT/
  Reseller demo (EUR credits):   http://doctorsim.localhost:$PORT/
  Emails sent (dev outbox):      http://imeiserver.localhost:$PORT/dev/outbox/
  Admin:                         http://imeiserver.localhost:$PORT/admin/

  Demo logins (password unlock-demo-2026 for all, on each storefront):
    customer@example.com   a verified customer
    support@example.com    staff, Support group (refunds)
    disputes@example.com   staff, Dispute admin group
    admin@example.com      platform operator (superuser, every storefront)

  Ctrl-C stops web, workers and beat.

MSG

$BIN/python manage.py runserver "127.0.0.1:$PORT" &
pids+=($!)
wait -n "${pids[@]}" || true
