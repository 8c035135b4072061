"""Checks with code acebridge did not write, for the Rust tests (JSON on stdin, JSON out): signatures by
the Standard Webhooks library and HubSpot's official client, request bodies by HubSpot's published schemas.
- {"standard_webhooks": {"secret": "whsec_…", "deliveries": [{"headers": {…}, "body": "…"}]}}
  → one entry per delivery: null when the Standard Webhooks library verifies it, else its reason.
- {"hubspot_v3": {"client_secret": "…", "calls": [{"method", "uri", "body", "timestamp", "signature"}]}}
  → one entry per call: true/false from HubSpot's official client (hubspot-api-client), or its error.
- {"hubspot_v3_sign": {"client_secret": "…", "calls": [{"method", "uri", "body", "timestamp"}]}}
  → one v3 signature per call, computed by HubSpot's official client over the URI exactly as given.
- {"hubspot_openapi": {"schema_file": "…", "bodies": [{"schema": "<name>", "body": {…}}]}}
  → one entry per body: null when it validates (jsonschema) against the schema HubSpot publishes, else why.
- {"freshness": {"now_ms": N, "hubspot_ms": [ts, …], "standard_webhooks_s": [ts, …]}}
  → {"hubspot": [true/false …], "standard_webhooks": [true/false …]}: whether each library takes a request
  signed at that timestamp when its clock reads now_ms (its own rule; only the time it reads is set, by
  replacing the `datetime` its module imported with one whose now() is now_ms). The signature is the
  library's own, so only the timestamp can fail.
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
if "hubspot_v3_sign" in req:
    hs = req["hubspot_v3_sign"]
    out["hubspot_v3_sign"] = [
        Signature.get_signature(hs["client_secret"], c["body"], "v3", c["uri"], c["method"], c["timestamp"])
        for c in hs["calls"]]
if "hubspot_openapi" in req:
    import jsonschema
    ho = req["hubspot_openapi"]
    with open(ho["schema_file"]) as f:
        spec = json.load(f)
    results = []
    for b in ho["bodies"]:
        schema = dict(spec, **{"$ref": f"#/components/schemas/{b['schema']}"})
        errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(b["body"]), key=str)
        results.append(None if not errors else "; ".join(
            f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors))
    out["hubspot_openapi"] = results
if "freshness" in req:
    from datetime import datetime, timezone

    import hubspot.utils.signature as hubspot_signature
    import standardwebhooks.webhooks as sw_module

    fr = req["freshness"]
    fixed = datetime.fromtimestamp(fr["now_ms"] / 1000, tz=timezone.utc)

    class Fixed(datetime):
        @classmethod
        def now(cls, tz=None):
            return fixed if tz is not None else fixed.replace(tzinfo=None)

    hubspot_signature.datetime = Fixed
    sw_module.datetime = Fixed
    secret, body, uri = "client-secret", "[]", "https://abc.lambda-url.us-east-1.on.aws/hubspot"
    hubspot = []
    for ts in fr["hubspot_ms"]:
        sig = Signature.get_signature(secret, body, "v3", uri, "POST", str(ts))
        try:
            hubspot.append(Signature.is_valid(sig, secret, body, uri, "POST", "v3", str(ts)))
        except Exception:  # InvalidSignatureTimestampError: stale
            hubspot.append(False)
    hook = Webhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    standard = []
    for ts in fr["standard_webhooks_s"]:
        headers = {"webhook-id": "msg_1", "webhook-timestamp": str(ts),
                   "webhook-signature": hook.sign("msg_1", datetime.fromtimestamp(ts, tz=timezone.utc), body)}
        try:
            hook.verify(body, headers, json_parse=False)
            standard.append(True)
        except WebhookVerificationError:
            standard.append(False)
    out["freshness"] = {"hubspot": hubspot, "standard_webhooks": standard}
json.dump(out, sys.stdout)
