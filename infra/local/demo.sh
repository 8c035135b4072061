#!/usr/bin/env bash
# The S3 channel end to end on the local stack, no AWS account needed:
#   AWS drops files into the "ACE bucket" (moto) -> the scanner function moves them to the landing
#   bucket -> the ingest function (invoked with the S3 event moto cannot deliver) applies them to the
#   CRM store through the sync ledger -> `acebridge show` prints the result.
# Then the Partner Central channel against the local emulator: a reconcile backfills the partner's
# opportunities, AWS sends an invitation, the policy accepts it, the opportunity lands in the CRM store,
# and an AWS-side update flows through. Last, the other direction: a CRM change reaches Partner Central
# (API channel: created, associated, submitted; a burst of edits held and written once through the CRM
# changes queue on moto; a change waiting for the day's write quota) and becomes an inbound file in the
# ACE bucket (S3 channel).
# The functions run under `cargo lambda watch` and are invoked with `cargo lambda invoke --data-file`.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
port="${MOTO_PORT:-4566}"
watch_port="${WATCH_PORT:-9000}"
pc_port="${PC_PORT:-4567}"
state="$root/.local"
mkdir -p "$state"

ace_bucket="ace-apn-1588143-beta-us-west-2"
landing="acebridge-demo-landing"   # named in functions/ace-file-ingest/events/demo-landing.json
ledger="acebridge-demo-ledger"
crm="acebridge-demo-crm"
bus="acebridge-demo-bus"
export AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_ENDPOINT_URL="http://127.0.0.1:$port"

# One cargo invocation builds the CLI and both functions (cargo lambda watch then reuses them).
cargo build --quiet --workspace --bins
cli="$root/target/debug/acebridge"

bash infra/local/local-down.sh >/dev/null 2>&1 || true   # a fresh moto: the demo starts from nothing
bash infra/local/local-up.sh
watch_pid=""
pc_pid=""
cleanup() {
  if [ -n "$watch_pid" ]; then kill -- "-$watch_pid" 2>/dev/null || kill "$watch_pid" 2>/dev/null || true; fi
  if [ -n "$pc_pid" ]; then kill "$pc_pid" 2>/dev/null || true; fi
  bash infra/local/local-down.sh >/dev/null
}
trap cleanup EXIT

echo; echo "== 1. the local stack: ACE bucket, landing bucket, ledger and CRM store tables"
"$cli" local-init --ace-bucket "$ace_bucket" --landing-bucket "$landing" --ledger-table "$ledger" --crm-table "$crm" --event-bus "$bus"

echo; echo "== 2. AWS drops files into s3://$ace_bucket (samples, an AWS referral, a results file, a broken file)"
.venv/bin/python - "$port" "$ace_bucket" <<'PY'
import sys, pathlib, boto3
port, bucket = sys.argv[1], sys.argv[2]
s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-west-2")
for line in pathlib.Path("infra/local/demo/plan.tsv").read_text().splitlines():
    src, key = line.split("\t")
    s3.put_object(Bucket=bucket, Key=key, Body=pathlib.Path(src).read_bytes(), ACL="bucket-owner-full-control")
for o in s3.list_objects_v2(Bucket=bucket)["Contents"]:
    print(f"  {o['Size']:>6}  {o['Key']}")
PY

echo; echo "== 3. cargo lambda watch (both functions; log in .local/watch.log)"
cat >"$state/demo.env" <<ENV
AWS_ACCESS_KEY_ID=demo
AWS_SECRET_ACCESS_KEY=demo
AWS_REGION=us-east-1
AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL
ACE_BUCKET=$ace_bucket
ACE_BUCKET_REGION=us-west-2
ACE_BUCKET_OWNER=123456789012
LANDING_BUCKET=$landing
LEDGER_TABLE=$ledger
CRM_TABLE=$crm
CATALOG=Sandbox
EVENT_BUS=$bus
PARTNER_ID=1588143
CHANNEL=api
PARTNER_CENTRAL_ENDPOINT=http://127.0.0.1:$pc_port
INVITATION_POLICY=accept
LEAD_INVITATION_POLICY=accept
RUST_LOG=info
DEADLINE_MARGIN_MS=2000
ENV
start_watch() { # env file
  setsid cargo lambda watch --invoke-port "$watch_port" --env-file "$1" >>"$state/watch.log" 2>&1 &
  watch_pid=$!
  for _ in $(seq 1 150); do
    if (echo >"/dev/tcp/127.0.0.1/$watch_port") 2>/dev/null; then break; fi
    sleep 0.2
  done
}
: >"$state/watch.log"
start_watch "$state/demo.env"

invoke() { # function, event file
  cargo lambda invoke "$1" --invoke-port "$watch_port" --data-file "$2" --output-format json
}

echo; echo "== 4. cargo lambda invoke ace-bucket-scanner (the schedule fires)"
invoke ace-bucket-scanner functions/ace-bucket-scanner/events/scheduled.json
echo

echo; echo "== 5. cargo lambda invoke ace-file-ingest (S3 ObjectCreated on the landing bucket, 5 records)"
invoke ace-file-ingest functions/ace-file-ingest/events/demo-landing.json
echo

echo; echo "== 6. the same event again (S3 delivers at least once): nothing changes"
invoke ace-file-ingest functions/ace-file-ingest/events/demo-landing.json
echo

echo; echo "== 7. the Partner Central emulator (awsJson1_0 on 127.0.0.1:$pc_port, seeded with 3 partner opportunities)"
"$root/target/debug/pc-emulator" --port "$pc_port" --seed infra/local/demo/partner-central-seed.json >"$state/pc-emulator.log" 2>&1 &
pc_pid=$!
for _ in $(seq 1 100); do
  if (echo >"/dev/tcp/127.0.0.1/$pc_port") 2>/dev/null; then break; fi
  sleep 0.1
done
emulator() { # POST a control call: path, JSON file or inline JSON
  .venv/bin/python - "$pc_port" "$1" "$2" <<'PY'
import sys, json, pathlib, urllib.request
port, path, body = sys.argv[1], sys.argv[2], sys.argv[3]
data = pathlib.Path(body).read_bytes() if pathlib.Path(body).is_file() else body.encode()
req = urllib.request.Request(f"http://127.0.0.1:{port}/_emulator/{path}", data=data, method="POST")
print(json.loads(urllib.request.urlopen(req).read()))
PY
}
delivered=0
deliver() { # what EventBridge does: every new emulator event to the function
  mkdir -p "$state/events"
  delivered=$(.venv/bin/python - "$pc_port" "$delivered" "$state/events" <<'PY'
import sys, json, urllib.request, pathlib
port, after, out = sys.argv[1], int(sys.argv[2]), pathlib.Path(sys.argv[3])
got = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/_emulator/events?after={after}").read())
for i, e in enumerate(got["events"], start=after):
    (out / f"{i:04d}.json").write_text(json.dumps(e))
print(got["next"])
PY
)
  for f in $(ls "$state/events"/*.json 2>/dev/null | sort); do
    echo "  -> $(.venv/bin/python -c 'import json,sys; e=json.load(open(sys.argv[1])); print(e["detail-type"])' "$f")"
    invoke partner-central-events "$f" | sed 's/^/     /'
    echo
    rm -f "$f"
  done
}

echo "  Like AWS's, the emulator's Start...Task operations answer IN_PROGRESS; here they take 1.5 s to finish:"
emulator tasks '{"delay_ms": 1500}'
task_reads() { # how often acebridge read a task (List...Tasks) so far
  .venv/bin/python - "$pc_port" <<'PY'
import sys, json, urllib.request
calls = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/_emulator/stats").read())["calls"]
print(", ".join(f"{op} x{n}" for op, n in sorted(calls.items()) if op.endswith("Tasks")) or "none")
PY
}

echo; echo "== 8. cargo lambda invoke partner-central-events (the reconcile schedule: first run backfills)"
invoke partner-central-events functions/partner-central-events/events/reconcile.json
echo

echo; echo "== 9. AWS refers an opportunity (Engagement Invitation Created); INVITATION_POLICY=accept"
emulator invite infra/local/demo/partner-central-invitation.json
deliver
echo "  the accept was IN_PROGRESS; acebridge followed it to COMPLETE (task reads: $(task_reads))"
echo; echo "== 10. the accept's events (Invitation Accepted, Opportunity Created, ...) reach the function"
deliver

echo; echo "== 10b. AWS refers another opportunity; the alliance manager decides it from the command line first"
echo "  (acebridge pending / decide: the same operation a decision made in the CRM goes through)"
emulator invite infra/local/demo/partner-central-invitation.json >/dev/null
export PARTNER_CENTRAL_ENDPOINT="http://127.0.0.1:$pc_port"
"$cli" pending --catalog Sandbox
invitation=$(.venv/bin/python - "$pc_port" <<'PY'
import sys, json, urllib.request
got = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/_emulator/events?after=0").read())
created = [e for e in got["events"] if e["detail-type"] == "Engagement Invitation Created"]
print(created[-1]["detail"]["engagementInvitation"]["id"])
PY
)
"$cli" decide "$invitation" --reject "Customer problem unclear" --catalog Sandbox --ledger-table "$ledger" --crm-table "$crm"
echo "  a second decision is refused with the reason (it is no longer pending):"
"$cli" decide "$invitation" --accept --catalog Sandbox --ledger-table "$ledger" --crm-table "$crm" 2>&1 | sed 's/^/  /' || true
echo "  its events reach the function; the CRM's referral shows the rejection:"
deliver

echo; echo "== 11. AWS moves an opportunity to Committed in Partner Central (Opportunity Updated)"
emulator aws-update '{"Catalog": "Sandbox", "Identifier": "O5000001", "Patch": {"LifeCycle": {"Stage": "Committed"}}}'
deliver

echo; echo "== 12. CRM -> AWS, API channel: cargo lambda invoke crm-outbound (a 'CRM Opportunity Changed' from SQS)"
invoke crm-outbound functions/crm-outbound/events/opportunity-changed.sqs.json
echo
.venv/bin/python - "$pc_port" <<'PY'
import sys, json, urllib.request
got = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/_emulator/events?after=0").read())
created = [e for e in got["events"] if e["detail-type"] == "Opportunity Created"]
print("  Partner Central now has:", ", ".join(e["detail"]["opportunity"]["identifier"] for e in created))
print("  last events:", ", ".join(e["detail-type"] for e in got["events"][-5:]))
PY
echo "  the submission task was followed to its end (task reads: $(task_reads))"

echo; echo "== 12b. a submission AWS fails (the task ends FAILED with a ReasonCode): the CRM record shows why"
emulator tasks '{"fail_next": 1, "reason_code": "OpportunityValidationFailed", "message": "Customer.Account.Duns does not match the company"}'
sed 's/CRM-2001/CRM-2002/g; s/000000000001"/000000000002"/g' functions/crm-outbound/events/opportunity-changed.sqs.json >"$state/opportunity-changed-2.sqs.json"
invoke crm-outbound "$state/opportunity-changed-2.sqs.json"
echo

echo; echo "== 12c. AWS sends a lead over the API (Engagement Invitation Created, payloadType LeadInvitation); LEAD_INVITATION_POLICY=accept"
emulator invite infra/local/demo/partner-central-lead.json
deliver
echo "  (the lead was accepted with AcceptEngagementInvitation and is in the CRM as a lead; its events follow)"
deliver
engagement=$(.venv/bin/python - "$pc_port" <<'PY'
import sys, json, urllib.request
got = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/_emulator/events?after=0").read())
leads = [e for e in got["events"] if e["detail"].get("engagementInvitation", {}).get("payloadType") == "LeadInvitation"]
print(leads[-1]["detail"]["engagementInvitation"]["engagementId"])
PY
)
echo; echo "== 12d. the CRM qualifies the lead and converts it ('CRM Lead Changed': UpdateEngagementContext, StartOpportunityFromEngagementTask)"
sed "s/eng-00000000000000/$engagement/g" functions/crm-outbound/events/lead-changed.sqs.json >"$state/lead-changed.sqs.json"
invoke crm-outbound "$state/lead-changed.sqs.json"
echo
echo "  the conversion's events (Opportunity Created, Engagement Updated) reach partner-central-events:"
deliver
.venv/bin/python - "$port" "$crm" "$engagement" <<'PY'
import sys, json, boto3
table = boto3.resource("dynamodb", endpoint_url=f"http://127.0.0.1:{sys.argv[1]}", region_name="us-east-1").Table(sys.argv[2])
for it in table.scan()["Items"]:
    if it.get("ace_key") == f"lead#{sys.argv[3]}":
        e = it["record"].get("engagement", {})
        print(f"  CRM lead {sys.argv[3]} ({it['crm_id']}): qualification={e.get('qualification_status')}, readiness={e.get('readiness_score')},"
              f" interactions={len(e.get('interactions', []))}, converted to opportunity {e.get('opportunity_id')}")
PY

echo; echo "== 12e. order: a CRM change SQS delivers late (after a newer one of CRM-2002) does not put its older values back"
.venv/bin/python - functions/crm-outbound/events/opportunity-changed.sqs.json "$state" <<'PY'
import sys, json, copy
sqs = json.load(open(sys.argv[1]))
def change(name, time, opportunity):
    e = copy.deepcopy(sqs)
    body = json.loads(e["Records"][0]["body"])
    body["id"], body["time"] = f"demo-{name}", time
    body["detail"] = {"crmId": "CRM-2002", "opportunity": opportunity}
    e["Records"][0]["body"] = json.dumps(body)
    e["Records"][0]["messageId"] = f"demo-{name}"
    json.dump(e, open(f"{sys.argv[2]}/{name}.sqs.json", "w"))
change("newer", "2026-11-22T10:05:20Z", {"project": {"title": "Demo: claims processing (renamed twice)"}})
change("older", "2026-11-22T10:05:10Z", {"project": {"title": "Demo: claims processing (renamed once)"},
                                         "life_cycle": {"next_steps": "Call the CFO"}})
PY
echo "  the newer change (10:05:20: title renamed twice):"
invoke crm-outbound "$state/newer.sqs.json"
echo
echo "  the older change (10:05:10: title renamed once, next steps set), delivered after it:"
invoke crm-outbound "$state/older.sqs.json"
echo
deliver
.venv/bin/python - "$port" "$crm" <<'PY'
import sys, boto3
table = boto3.resource("dynamodb", endpoint_url=f"http://127.0.0.1:{sys.argv[1]}", region_name="us-east-1").Table(sys.argv[2])
for it in table.scan()["Items"]:
    if it.get("crm_id") == "CRM-2002" and "record" in it:
        r = it["record"]
        print(f"  Partner Central's record, back in the CRM: title={r['project']['title']!r},"
              f" next steps={r['life_cycle'].get('next_steps')!r}")
PY

echo; echo "== 12f. a burst of edits through the CRM changes queue (SQS on moto, SETTLE_SECONDS=6): held, joined, written once"
# crm-outbound as deployed: its CRM changes queue, and the settle hold it hands messages back to.
queue_url="$(.venv/bin/python - "$port" <<'PY'
import sys, boto3
sqs = boto3.client("sqs", endpoint_url=f"http://127.0.0.1:{sys.argv[1]}", region_name="us-east-1")
print(sqs.create_queue(QueueName="acebridge-demo-crm-changes")["QueueUrl"])
PY
)"
kill -- "-$watch_pid" 2>/dev/null || true
sleep 1
{ cat "$state/demo.env"; echo "CRM_CHANGES_QUEUE_URL=$queue_url"; echo "SETTLE_SECONDS=6"; } >"$state/demo-queue.env"
start_watch "$state/demo-queue.env"
queue() { # send NAME SECONDS_AGO JSON | receive N FILE: the CRM's side and Lambda's event source, on moto
  .venv/bin/python - "$port" "$queue_url" "$@" <<'PY'
import sys, json, time, datetime, boto3
port, url, verb = sys.argv[1], sys.argv[2], sys.argv[3]
sqs = boto3.client("sqs", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1")
if verb == "send":
    name, ago, opportunity = sys.argv[4], int(sys.argv[5]), json.loads(sys.argv[6])
    at = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=ago)
    body = {"version": "0", "id": f"demo-{name}", "detail-type": "CRM Opportunity Changed", "source": "acebridge.crm",
            "account": "123456789012", "time": at.strftime("%Y-%m-%dT%H:%M:%SZ"), "region": "us-east-1", "resources": [],
            "detail": {"crmId": "CRM-2002", "opportunity": opportunity}}
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(body))
else:
    want, path = int(sys.argv[4]), sys.argv[5]
    records, until = [], time.time() + 15
    while len(records) < want and time.time() < until:
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                     MessageSystemAttributeNames=["All"]).get("Messages", []):
            records.append({"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
                            "attributes": m["Attributes"], "messageAttributes": {}, "md5OfBody": m["MD5OfBody"],
                            "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:acebridge-demo-crm-changes",
                            "awsRegion": "us-east-1"})
    json.dump({"Records": records}, open(path, "w"))
    print(f"  Lambda's event source receives {len(records)} message(s), receive counts "
          f"{sorted(int(r['attributes']['ApproximateReceiveCount']) for r in records)}")
PY
}
writes() { .venv/bin/python - "$pc_port" <<'PY'
import sys, json, urllib.request
stats = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/_emulator/stats").read())
print(stats.get("calls", {}).get("UpdateOpportunity", 0))
PY
}
before="$(writes)"
echo "  the seller renames CRM-2002 (just now):"
queue send burst-1 0 '{"project": {"title": "Demo: claims processing (burst, first edit)"}}'
queue receive 1 "$state/burst-1.sqs.json"
invoke crm-outbound "$state/burst-1.sqs.json"; echo
echo "  held for 6 s (a batch item failure, handed back to the queue). Another change of CRM-2002 arrives meanwhile"
echo "  (delivered late: put on the bus a minute ago), in a batch of its own:"
queue send burst-2 60 '{"life_cycle": {"next_steps": "Send the proposal"}}'
queue receive 1 "$state/burst-2.sqs.json"
invoke crm-outbound "$state/burst-2.sqs.json"; echo
echo "  it joins the record's hold. When the hold ends both come back together:"
queue receive 2 "$state/burst-3.sqs.json"
invoke crm-outbound "$state/burst-3.sqs.json"; echo
echo "  UpdateOpportunity calls for the two changes: $(( $(writes) - before ))"

echo; echo "== 12g. the day's write quota (PC_WRITES_PER_DAY=1, already spent today): a change waits in the queue, Partner Central not called"
kill -- "-$watch_pid" 2>/dev/null || true
sleep 1
{ cat "$state/demo-queue.env"; echo "PC_WRITES_PER_DAY=1"; } >"$state/demo-budget.env"
start_watch "$state/demo-budget.env"
before="$(writes)"
queue send budget 120 '{"life_cycle": {"next_steps": "Book the workshop"}}'
queue receive 1 "$state/budget.sqs.json"
invoke crm-outbound "$state/budget.sqs.json"; echo
echo "  UpdateOpportunity calls: $(( $(writes) - before )); crm-outbound's log:"
grep -o "the day's Partner Central writes are spent" "$state/watch.log" | tail -1 | sed 's/^/    /'
echo "  (the message is back in the queue until the next full hour)"

echo; echo "== 13. CRM -> AWS, S3 channel (CHANNEL=s3): the same change as an inbound file in the ACE bucket"
kill -- "-$watch_pid" 2>/dev/null || true
sleep 1
sed 's/^CHANNEL=api$/CHANNEL=s3/' "$state/demo.env" >"$state/demo-s3.env"
start_watch "$state/demo-s3.env"
invoke crm-outbound functions/crm-outbound/events/opportunity-changed.sqs.json
echo
.venv/bin/python - "$port" "$ace_bucket" <<'PY'
import sys, json, boto3
s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{sys.argv[1]}", region_name="us-west-2")
for o in s3.list_objects_v2(Bucket=sys.argv[2], Prefix="opportunity-inbound/").get("Contents", []):
    body = json.loads(s3.get_object(Bucket=sys.argv[2], Key=o["Key"])["Body"].read())
    r = body["opportunities"][0]
    print(f"  {o['Key']}: version {body['version']}, spmsId {body['spmsId']}, {len(body['opportunities'])} record(s);"
          f" partnerCrmUniqueIdentifier={r.get('partnerCrmUniqueIdentifier')}, partnerProjectTitle={r.get('partnerProjectTitle')!r}")
PY

echo; echo "== 14. acebridge show"
"$cli" show --ledger-table "$ledger" --crm-table "$crm" --bucket "$landing" --event-bus "$bus"

echo; echo "== 14b. a customer asks to be erased: acebridge forget --email test@test.com (the sample customer)"
summary() { .venv/bin/python infra/local/demo/forget-summary.py; }
"$cli" forget --ledger-table "$ledger" --crm-table "$crm" --bucket "$landing" --email test@test.com | summary
echo "  and again (--dry-run): nothing of the customer is left"
"$cli" forget --ledger-table "$ledger" --crm-table "$crm" --bucket "$landing" --email test@test.com --dry-run | summary

echo; echo "== 15. a partner's own system behind a signed webhook (CRM_KIND=webhook): a reference receiver prints what it gets"
wh_port="${WEBHOOK_PORT:-9780}"
# The reference receiver verifies with the Standard Webhooks library (infra/local/webhook_receiver.py).
wh_secret="whsec_$(printf 'acebridge-demo-webhook-key-0123' | base64)"
ACEBRIDGE_WEBHOOK_SECRETS="$wh_secret" .venv/bin/python infra/local/webhook_receiver.py --port "$wh_port" >"$state/webhook.log" 2>"$state/webhook.err" &
wh_pid=$!
trap 'kill "$wh_pid" 2>/dev/null || true; cleanup' EXIT
for _ in $(seq 1 100); do
  if (echo >"/dev/tcp/127.0.0.1/$wh_port") 2>/dev/null; then break; fi
  sleep 0.1
done
# The credentials live in Secrets Manager (moto here), never in the environment.
secret_arn=$(.venv/bin/python - "$port" "$wh_port" "$wh_secret" <<'PY'
import sys, json, boto3
sm = boto3.client("secretsmanager", endpoint_url=f"http://127.0.0.1:{sys.argv[1]}", region_name="us-east-1")
value = {"kind": "webhook", "url": f"http://127.0.0.1:{sys.argv[2]}/acebridge", "signing_secret": sys.argv[3]}
print(sm.create_secret(Name="acebridge/demo/crm", SecretString=json.dumps(value))["ARN"])
PY
)
"$cli" local-init --ace-bucket acebridge-demo-wh-ace --landing-bucket acebridge-demo-wh-landing \
  --ledger-table acebridge-demo-wh-ledger --crm-table acebridge-demo-wh-crm >/dev/null
kill -- "-$watch_pid" 2>/dev/null || true
sleep 1
sed -e 's/^LEDGER_TABLE=.*/LEDGER_TABLE=acebridge-demo-wh-ledger/' -e 's/^CRM_TABLE=.*/CRM_TABLE=acebridge-demo-wh-crm/' \
  "$state/demo.env" >"$state/demo-webhook.env"
printf 'CRM_KIND=webhook\nCRM_SECRET_ARN=%s\nCRM_MAPPING=webhook-canonical\n' "$secret_arn" >>"$state/demo-webhook.env"
start_watch "$state/demo-webhook.env"
echo "  cargo lambda invoke partner-central-events (reconcile into an empty ledger: every opportunity goes to the webhook)"
invoke partner-central-events functions/partner-central-events/events/reconcile.json
echo
echo "  a forged delivery (wrong secret) for comparison:"
.venv/bin/python - "$wh_port" <<'PY'
import sys, time, base64, urllib.request, urllib.error
from datetime import datetime, timezone
from standardwebhooks.webhooks import Webhook
body = '{"type":"acebridge.record","kind":"opportunity","crmId":"forged"}'
forger = Webhook("whsec_" + base64.b64encode(b"not-the-secret-key-0123456789ab").decode())
sig = forger.sign("msg_forged", datetime.now(timezone.utc), body)
req = urllib.request.Request(f"http://127.0.0.1:{sys.argv[1]}/acebridge", data=body.encode(), method="POST",
                             headers={"webhook-id": "msg_forged", "webhook-timestamp": str(int(time.time())),
                                      "webhook-signature": sig})
try:
    urllib.request.urlopen(req)
except urllib.error.HTTPError as e:
    print(f"  receiver answered {e.code}")
PY
sleep 0.5
echo "  what the receiver got (.local/webhook.log):"
sed 's/^/    /' "$state/webhook.log"
grep -q '"verified":true' "$state/webhook.log" || { echo "demo: the webhook receiver got no verified delivery" >&2; exit 1; }

echo; echo "== 15b. notices in Slack and Teams (the notifier; docs/notifications.md): local Slack Web API and Teams workflow"
chat_port="${CHAT_PORT:-9790}"
.venv/bin/python infra/local/chat_receiver.py --port "$chat_port" >"$state/notices.log" 2>"$state/notices.err" &
chat_pid=$!
trap 'kill "$chat_pid" 2>/dev/null || true; kill "$wh_pid" 2>/dev/null || true; cleanup' EXIT
for _ in $(seq 1 100); do
  if (echo >"/dev/tcp/127.0.0.1/$chat_port") 2>/dev/null; then break; fi
  sleep 0.1
done
notify_arn=$(.venv/bin/python - "$port" "$chat_port" <<'PY'
import json, sys, boto3
sm = boto3.client("secretsmanager", endpoint_url=f"http://127.0.0.1:{sys.argv[1]}", region_name="us-east-1")
value = {"slack_bot_token": "xoxb-demo-token",
         "teams_workflow_url": f"http://127.0.0.1:{sys.argv[2]}/workflows/demo/triggers/manual/paths/invoke"}
print(sm.create_secret(Name="acebridge/demo/notify", SecretString=json.dumps(value))["ARN"])
PY
)
kill -- "-$watch_pid" 2>/dev/null || true
sleep 1
cp "$state/demo.env" "$state/demo-notify.env"
printf 'NOTIFY_SECRET_ARN=%s\nNOTIFY_SLACK_CHANNEL=C0DEMO0001\nSLACK_API_URL=http://127.0.0.1:%s/api\nCONSOLE_URL=http://127.0.0.1:%s\n' \
  "$notify_arn" "$chat_port" "${CONSOLE_PORT:-8421}" >>"$state/demo-notify.env"
start_watch "$state/demo-notify.env"
echo "  cargo lambda invoke notifier (an 'ACE Sync Failed' outcome from its queue): one Slack message, one Teams card"
invoke notifier functions/notifier/events/sync-failed.sqs.json
echo
echo "  the same event again (EventBridge and SQS deliver at least once): nothing is posted twice"
invoke notifier functions/notifier/events/sync-failed.sqs.json
echo
sleep 0.3
echo "  what Slack and Teams got (.local/notices.log; Slack's blocks checked by slack_sdk):"
sed 's/^/    /' "$state/notices.log"
[ "$(grep -c '"checked_by": "slack_sdk"' "$state/notices.log")" = 1 ] || { echo "demo: Slack did not get exactly one notice" >&2; exit 1; }
[ "$(grep -c '"status": 202' "$state/notices.log")" = 1 ] || { echo "demo: Teams did not get exactly one notice" >&2; exit 1; }
echo "  every notice kind and the daily digest as posted: acebridge notices (docs/notifications.md shows them)"

echo; echo "== 16. the operations console on the demo's stack (acebridge console; docs/operations.md, \"The console\")"
console_port="${CONSOLE_PORT:-8421}"
PARTNER_CENTRAL_ENDPOINT="http://127.0.0.1:$pc_port" INVITATION_POLICY=accept LEAD_INVITATION_POLICY=accept CHANNEL=api \
  "$cli" console --catalog Sandbox --ledger-table "$ledger" --crm-table "$crm" --bucket "$landing" \
  --port "$console_port" --url-file "$state/console.url" >"$state/console.log" 2>&1 &
console_pid=$!
trap 'kill "$console_pid" 2>/dev/null || true; kill "$chat_pid" 2>/dev/null || true; kill "$wh_pid" 2>/dev/null || true; cleanup' EXIT
for _ in $(seq 1 100); do [ -s "$state/console.url" ] && break; sleep 0.1; done
url="$(cat "$state/console.url")"
for page in "" records failures invitations held channels; do
  printf '  %-40s HTTP %s\n' "$url$page" "$(curl -s -o /dev/null -w '%{http_code}' "$url$page")"
done
echo "  console: $url  (Overview, Records, Failures, Invitations, Held edits, Channels)"
if [ -t 0 ] && [ -z "${DEMO_NO_WAIT:-}" ]; then
  read -r -p "  open it in a browser on this machine; press Enter to stop the demo " _ || true
fi

echo; echo "demo: done (the console, cargo lambda watch, the emulator, the receiver and moto stop on exit)"
