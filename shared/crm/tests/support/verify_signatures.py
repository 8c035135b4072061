"""Checks signatures with libraries acebridge did not write, for the Rust tests (JSON on stdin, JSON out).

- {"standard_webhooks": {"secret": "whsec_…", "deliveries": [{"headers": {…}, "body": "…"}]}}
  → one entry per delivery: null when the Standard Webhooks library verifies it, else its reason.
- {"hubspot_v3": {"client_secret": "…", "calls": [{"method", "uri", "body", "timestamp", "signature"}]}}
  → one entry per call: true/false from HubSpot's official client (hubspot-api-client), or its error.
"""
import json
import sys

from hubspot.utils.signature import Signature
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

req = json.load(sys.stdin)
out = {}
if "standard_webhooks" in req:
    sw = req["standard_webhooks"]
    results = []
    for d in sw["deliveries"]:
        try:
            Webhook(sw["secret"]).verify(d["body"], d["headers"], json_parse=False)
            results.append(None)
        except WebhookVerificationError as e:
            results.append(str(e) or type(e).__name__)
    out["standard_webhooks"] = results
if "hubspot_v3" in req:
    hs = req["hubspot_v3"]
    results = []
    for c in hs["calls"]:
        try:
            results.append(Signature.is_valid(
                signature=c["signature"], client_secret=hs["client_secret"], request_body=c["body"],
                http_uri=c["uri"], http_method=c["method"], signature_version="v3", timestamp=c["timestamp"]))
        except Exception as e:  # the client raises on a stale or unreadable timestamp
            results.append(f"{type(e).__name__}: {e}")
    out["hubspot_v3"] = results
json.dump(out, sys.stdout)
