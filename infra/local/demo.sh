#!/usr/bin/env bash
# The demo on the local stack: an "ACE bucket" in moto receives AWS's sample files; acebridge reads each
# one, validates it as an inbound file, and converts an AWS referral to the Partner Central API form.
# (The scanner / ingest functions and the CRM store join this demo with the S3-channel issue.)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
port="${MOTO_PORT:-4566}"
export AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo AWS_DEFAULT_REGION=us-west-2
bucket="ace-apn-1588143-beta-us-west-2"

cargo build --quiet -p acebridge-cli
cli="$root/target/debug/acebridge"
bash infra/local/local-up.sh
trap 'bash infra/local/local-down.sh >/dev/null' EXIT

echo; echo "== 1. AWS drops files into the ACE bucket (moto S3, s3://$bucket)"
.venv/bin/python - "$port" "$bucket" <<'PY'
import sys, pathlib, boto3
port, bucket = sys.argv[1], sys.argv[2]
s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-west-2")
s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
root = pathlib.Path("tests/fixtures/ace-s3")
plan = {
    "opportunity/Opportunity-Outbound-Sample.json": "opportunity-outbound/",
    "lead/Lead-Outbound-Sample.json": "lead-outbound/",
    "opportunity/Opportunity-Results_With-Errors-Sample.json": "opportunity-inbound-processed-results/",
}
for rel, prefix in plan.items():
    s3.put_object(Bucket=bucket, Key=prefix + pathlib.Path(rel).name, Body=(root / rel).read_bytes())
s3.put_object(Bucket=bucket, Key="opportunity-outbound/broken.json", Body=b'[{"not": "an object"}]')
for o in s3.list_objects_v2(Bucket=bucket)["Contents"]:
    print(f"  {o['Size']:>6}  {o['Key']}")
    pathlib.Path(".local/demo").mkdir(parents=True, exist_ok=True)
    s3.download_file(bucket, o["Key"], f".local/demo/{pathlib.Path(o['Key']).name}")
PY

echo; echo "== 2. acebridge validate (each file as an inbound file we would send; exit 0/1/2)"
set +e
"$cli" validate --today "$(date -u +%F)" .local/demo/*.json | sed 's|^.local/demo/|  |'
echo "  exit code: ${PIPESTATUS[0]}"
set -e

echo; echo "== 3. acebridge convert --to api (the ACE outbound record as a Partner Central UpdateOpportunity payload)"
"$cli" convert --to api .local/demo/Opportunity-Outbound-Sample.json | head -40
echo "  ..."
echo; echo "demo: done (moto is stopped on exit)"
