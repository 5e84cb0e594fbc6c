#!/usr/bin/env bash
# Starts the web server, a Celery worker and Celery beat together; Ctrl-C (or any of them
# exiting) stops all three. Called by `make run` after migrations, demo data and collectstatic.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
mkdir -p var

pids=()
stop_all() {
  trap - INT TERM EXIT
  echo; echo "Stopping web server, worker and beat..."
  kill -TERM "${pids[@]}" 2>/dev/null
  wait "${pids[@]}" 2>/dev/null
  echo "Stopped."
}
trap stop_all INT TERM EXIT

"$BIN/gunicorn" crm_site.wsgi --bind "$HOST:$PORT" --workers "${WEB_WORKERS:-2}" --threads 4 \
  --access-logfile - --graceful-timeout 5 &
pids+=($!)
"$BIN/celery" -A crm_site worker --loglevel INFO --concurrency "${WORKER_CONCURRENCY:-2}" --hostname "crm@%h" &
pids+=($!)
"$BIN/celery" -A crm_site beat --loglevel INFO --pidfile= &
pids+=($!)

cat <<BANNER

  The CRM is running at http://$HOST:$PORT/   (health: http://$HOST:$PORT/healthz)
  Logins, password "demo" for all: admin, manager, sales1, sales2, marketing, agent1, contractor1
  Press Ctrl-C to stop the web server, the worker and beat.

BANNER

# Return as soon as any of the three exits, then stop the others.
wait -n "${pids[@]}"
status=$?
echo "A process exited (status $status)."
exit "$status"
