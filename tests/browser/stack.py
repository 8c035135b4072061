"""The local stack the console runs on, for the browser tests and the console benchmark: moto (already
started by infra/local/with-stack.sh), the tables and buckets (`acebridge local-init`), the Partner Central
emulator, the ingest function under `cargo lambda watch` (what the landing bucket's notification runs in
AWS), and `acebridge console` on a free port. Each process is stopped on exit; their logs are printed when
something failed."""

import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import datetime, timezone

ROOT = pathlib.Path(__file__).resolve().parents[2]
CLI = ROOT / "target" / "debug" / "acebridge"
EMULATOR = ROOT / "target" / "debug" / "pc-emulator"

ACE_BUCKET = "ace-apn-1588143-beta-us-west-2"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, what: str, seconds: float = 120) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{what} did not listen on 127.0.0.1:{port}")


def post_json(url: str, body) -> dict:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method="POST")
    with urllib.request.urlopen(req, timeout=900) as r:
        return json.loads(r.read() or b"{}")


def client(service: str):
    import boto3

    return boto3.client(service, endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1")


class Stack:
    """`with Stack("browser") as st:` the tables, the emulator, the ingest and the console, named after
    `name`."""

    def __init__(self, name: str, ingest: bool = True, refresh_seconds: int = 0):
        self.landing = f"acebridge-{name}-landing"
        self.ledger = f"acebridge-{name}-ledger"
        self.crm = f"acebridge-{name}-crm"
        self.bus = f"acebridge-{name}-bus"
        self.with_ingest = ingest
        # 0: every page reads the tables (a test sees each change at once); the console's default is 10.
        self.refresh_seconds = refresh_seconds
        self.state = pathlib.Path(tempfile.mkdtemp(prefix=f"acebridge-{name}-"))
        self.procs: list[subprocess.Popen] = []
        self.failed = False

    def _start(self, args, log, **kw):
        out = open(self.state / log, "w")
        p = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, **kw)
        self.procs.append(p)
        return p

    def __enter__(self):
        try:
            return self._up()
        except BaseException:
            self.failed = True
            self.__exit__(None, None, None)
            raise

    def _up(self):
        subprocess.run(
            [CLI, "local-init", "--ace-bucket", ACE_BUCKET, "--landing-bucket", self.landing,
             "--ledger-table", self.ledger, "--crm-table", self.crm, "--event-bus", self.bus],
            check=True, stdout=subprocess.DEVNULL,
        )
        pc_port = free_port()
        self._start([EMULATOR, "--port", str(pc_port)], "pc-emulator.log")
        wait_port(pc_port, "the emulator")
        self.pc = f"http://127.0.0.1:{pc_port}"
        self.env = {
            "LANDING_BUCKET": self.landing,
            "LEDGER_TABLE": self.ledger,
            "CRM_TABLE": self.crm,
            "CATALOG": "Sandbox",
            "EVENT_BUS": self.bus,
            "PARTNER_ID": "1588143",
            "ACE_BUCKET": ACE_BUCKET,
            "ACE_BUCKET_REGION": "us-west-2",
            "PARTNER_CENTRAL_ENDPOINT": self.pc,
            "INVITATION_POLICY": "manual",
            "LEAD_INVITATION_POLICY": "manual",
            # Channel=both: AWS's files land and CRM changes go over the API.
            "CHANNEL": "api",
            "RUST_LOG": "warn",
        }
        if self.with_ingest:
            self.watch_port = free_port()
            envfile = self.state / "functions.env"
            aws = {k: v for k, v in os.environ.items() if k.startswith("AWS_")}
            envfile.write_text("".join(f"{k}={v}\n" for k, v in {**aws, **self.env}.items()))
            self._start(["cargo", "lambda", "watch", "--invoke-port", str(self.watch_port), "--env-file", str(envfile)],
                        "watch.log", cwd=ROOT)
            wait_port(self.watch_port, "cargo lambda watch")
        url_file = self.state / "console.url"
        self._start(
            [CLI, "console", "--catalog", "Sandbox", "--ledger-table", self.ledger, "--crm-table", self.crm,
             "--bucket", self.landing, "--port", "0", "--url-file", str(url_file),
             "--refresh-seconds", str(self.refresh_seconds)],
            "console.log", env={**os.environ, **self.env},
        )
        for _ in range(3000):
            if url_file.exists() and url_file.read_text():
                break
            time.sleep(0.1)
        self.base = url_file.read_text()
        self.port = int(self.base.rsplit(":", 1)[1].strip("/"))
        return self

    def put(self, key: str, body: bytes) -> None:
        client("s3").put_object(Bucket=self.landing, Key=key, Body=body)

    def ingest(self, key: str) -> dict:
        """What the landing bucket's notification does in AWS: the ingest function takes the object."""
        head = client("s3").head_object(Bucket=self.landing, Key=key)
        event = {"Records": [{
            "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
            "eventTime": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z"), "eventName": "ObjectCreated:Put",
            "userIdentity": {"principalId": "AWS:acebridge-scanner"},
            "requestParameters": {"sourceIPAddress": "127.0.0.1"}, "responseElements": {},
            "s3": {"s3SchemaVersion": "1.0", "configurationId": "landing-object-created",
                   "bucket": {"name": self.landing, "ownerIdentity": {"principalId": "acebridge"},
                              "arn": f"arn:aws:s3:::{self.landing}"},
                   "object": {"key": urllib.parse.quote_plus(key, safe="/"), "size": head["ContentLength"],
                              "eTag": head["ETag"].strip('"'), "sequencer": "0"}},
        }]}
        url = f"http://127.0.0.1:{self.watch_port}/2015-03-31/functions/ace-file-ingest/invocations"
        return post_json(url, event)

    def __exit__(self, kind, value, tb):
        for p in self.procs:
            try:
                os.killpg(p.pid, 15)
            except ProcessLookupError:
                pass
        for p in self.procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, 9)
        self.procs = []
        if self.failed or kind is not None:
            for log in sorted(self.state.glob("*.log")):
                print(f"--- {log.name} (last lines)", file=sys.stderr)
                print("\n".join(log.read_text(errors="replace").splitlines()[-30:]), file=sys.stderr)
        shutil.rmtree(self.state, ignore_errors=True)
        return False
