#!/usr/bin/env bash
# Start-up of each function under `cargo lambda watch --release`: the time from process start to ready
# (`init_ms`, logged by acebridge_sync::telemetry::ready: configuration read, SDK clients built, secrets
# fetched) and the wall time of a cold first invoke against a warm second one, measured in one run.
# Needs `make setup`; starts moto if it is not running. Usage: bash benches/startup.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
port="${MOTO_PORT:-4566}"
watch_port="${STARTUP_WATCH_PORT:-9010}"
state="$root/.local/startup"
rm -rf "$state" && mkdir -p "$state"
export PATH="$root/.venv/bin:$PATH"
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_ENDPOINT_URL="http://127.0.0.1:$port"

cargo build --quiet --release -p acebridge-cli
started=""
if ! { [ -f .local/moto.pid ] && kill -0 "$(cat .local/moto.pid)" 2>/dev/null; }; then
  bash infra/local/local-up.sh >/dev/null; started=1
fi
watch_pid=""
cleanup() {
  if [ -n "$watch_pid" ]; then kill -- "-$watch_pid" 2>/dev/null || true; fi
  if [ -n "$started" ]; then bash infra/local/local-down.sh >/dev/null; fi
}
trap cleanup EXIT
target/release/acebridge local-init --ace-bucket startup-ace --landing-bucket acebridge-demo-landing \
  --ledger-table startup-ledger --crm-table startup-crm --event-bus startup-bus >/dev/null
secret_arn=$(python - "$port" <<'PY'
import sys, json, boto3
sm = boto3.client("secretsmanager", endpoint_url=f"http://127.0.0.1:{sys.argv[1]}", region_name="us-east-1")
value = {"kind": "hubspot", "access_token": "pat-startup", "client_secret": "cs", "base_url": "http://127.0.0.1:9"}
try:
    print(sm.create_secret(Name="acebridge/startup", SecretString=json.dumps(value))["ARN"])
except sm.exceptions.ResourceExistsException:
    print(sm.describe_secret(SecretId="acebridge/startup")["ARN"])
PY
)
cat >"$state/env" <<ENV
AWS_ACCESS_KEY_ID=bench
AWS_SECRET_ACCESS_KEY=bench
AWS_REGION=us-east-1
AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL
ACE_BUCKET=startup-ace
ACE_BUCKET_OWNER=123456789012
LANDING_BUCKET=acebridge-demo-landing
LEDGER_TABLE=startup-ledger
CRM_TABLE=startup-crm
EVENT_BUS=startup-bus
CATALOG=AWS
PARTNER_ID=1588143
CHANNEL=api
PARTNER_CENTRAL_ENDPOINT=http://127.0.0.1:9
INVITATION_POLICY=manual
CRM_KIND=store
RUST_LOG=info
ENV
# crm-inbound needs a CRM: HubSpot, its secret in (moto's) Secrets Manager, read at start-up.
sed -e 's/^CRM_KIND=store/CRM_KIND=hubspot/' "$state/env" >"$state/env.inbound"
echo "CRM_SECRET_ARN=$secret_arn" >>"$state/env.inbound"
cat >"$state/sqs.json" <<'JSON'
{"Records": [{"messageId": "m-1", "receiptHandle": "r", "body": "not an event", "attributes": {}, "messageAttributes": {},
  "md5OfBody": "", "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q", "awsRegion": "us-east-1"}]}
JSON

now_ms() { date +%s%3N; }
start_watch() { # env file
  setsid cargo lambda watch --release --invoke-port "$watch_port" --env-file "$1" >"$state/watch.log" 2>&1 &
  watch_pid=$!
  for _ in $(seq 1 3000); do
    if (echo >"/dev/tcp/127.0.0.1/$watch_port") 2>/dev/null; then return; fi
    sleep 0.2
  done
  echo "cargo lambda watch did not start" >&2; exit 1
}
measure() { # function, event, env
  start_watch "$3"
  # A throw-away invoke compiles the function (release) and starts it; the binary is then cached.
  cargo lambda invoke "$1" --invoke-port "$watch_port" --data-file "$2" >/dev/null 2>&1 || true
  kill -- "-$watch_pid" 2>/dev/null || true; sleep 1
  start_watch "$3"
  local t0 t1 t2
  t0=$(now_ms)
  cargo lambda invoke "$1" --invoke-port "$watch_port" --data-file "$2" >/dev/null 2>&1 || true
  t1=$(now_ms)
  cargo lambda invoke "$1" --invoke-port "$watch_port" --data-file "$2" >/dev/null 2>&1 || true
  t2=$(now_ms)
  local init
  init=$(grep -o '"init_ms":"[0-9.]*"' "$state/watch.log" | tail -1 | grep -o '[0-9.]*' || echo "?")
  printf '| %-22s | %8s | %9s | %9s |\n' "$1" "$init" "$((t1 - t0))" "$((t2 - t1))"
  kill -- "-$watch_pid" 2>/dev/null || true; watch_pid=""; sleep 1
}
echo "| function               | init_ms  | cold (ms) | warm (ms) |"
echo "|---|---|---|---|"
measure ace-bucket-scanner functions/ace-bucket-scanner/events/scheduled.json "$state/env"
measure ace-file-ingest functions/ace-file-ingest/events/demo-landing.json "$state/env"
measure partner-central-events functions/partner-central-events/events/opportunity-updated.json "$state/env"
measure crm-outbound "$state/sqs.json" "$state/env"
measure crm-inbound tests/fixtures/crm/salesforce/opportunity-change-event.eventbridge.json "$state/env.inbound"
