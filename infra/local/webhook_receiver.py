"""acebridge's reference webhook receiver: what a partner's system does with acebridge's deliveries.

Verifies each delivery with the Standard Webhooks reference library (`standardwebhooks`, not acebridge's
code): `webhook-id`, `webhook-timestamp` within five minutes, `webhook-signature` against the signing
secret. During a key rotation set both secrets: a delivery passes with either. Answers 204 when verified
(drop a `webhook-id` already seen: the same id is the same content), 401 otherwise, and prints one JSON
line per delivery: ids and list-view fields, never contact data.

    ACEBRIDGE_WEBHOOK_SECRETS="whsec_new whsec_old" python webhook_receiver.py --port 9780
"""
import argparse
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


def verify(secrets, body, headers):
    """None when one secret verifies the delivery, else the library's reason."""
    reason = "no signing secret configured"
    for secret in secrets:
        try:
            Webhook(secret).verify(body, headers, json_parse=False)
            return None
        except WebhookVerificationError as e:
            reason = str(e)
    return reason


def summary(refused, headers, body):
    try:
        v = json.loads(body)
    except ValueError:
        v = {}
    r = v.get("record") or {}
    return {
        "verified": refused is None,
        "refused": refused,
        "delivery": headers.get("webhook-id", ""),
        "kind": v.get("kind"),
        "crmId": v.get("crmId"),
        "aceId": v.get("aceId"),
        "title": (r.get("project") or {}).get("title"),
        "stage": (r.get("life_cycle") or {}).get("stage"),
        "sync": v.get("sync"),
        "fields": sorted(r) if isinstance(r, dict) else None,
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, default=9780)
    p.add_argument("--secrets-env", default="ACEBRIDGE_WEBHOOK_SECRETS",
                   help="environment variable with the signing secret(s), space-separated (never on the command line)")
    args = p.parse_args()
    secrets = os.environ.get(args.secrets_env, "").split()
    if not secrets:
        sys.exit(f"{args.secrets_env} is not set")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("content-length", "0"))
            if length > 8 * 1024 * 1024:
                self.send_response(413)
                self.end_headers()
                return
            body = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            refused = verify(secrets, body, headers)
            print(json.dumps(summary(refused, headers, body), sort_keys=True, separators=(",", ":")), flush=True)
            self.send_response(204 if refused is None else 401)
            self.end_headers()

        def log_message(self, *_):
            pass

    print(f"webhook receiver on http://127.0.0.1:{args.port}/ (Standard Webhooks, {len(secrets)} secret(s))",
          file=sys.stderr, flush=True)
    ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
