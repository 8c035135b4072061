"""A local Slack Web API and Teams Workflows webhook, for the demo: what acebridge's notifier posts, checked by
the vendors' own libraries and kept in a log to read.

- `POST /api/chat.postMessage` (bearer token, `application/json; charset=utf-8`): the blocks are built into
  slack_sdk's Block Kit models (Slack's Python SDK), which must accept them; answers as Slack does
  (`{"ok": true, "ts": …}`, or `{"ok": false, "error": "invalid_blocks"}`).
- `GET /api/users.lookupByEmail?email=…`: `{"ok": true, "user": {"id": …}}` for any address (a demo user).
- `POST /workflows/…`: a Teams Workflows trigger; answers 202 Accepted for a message with an Adaptive Card.

Prints one JSON line per request: the path, the answer, the notice's headline, never the token.

    python chat_receiver.py --port 9790
"""
import argparse
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from slack_blocks import slack_problems


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, body, line):
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        if body is not None:
            self.send_header("content-type", "application/json; charset=utf-8")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        print(json.dumps(line), flush=True)

    def do_GET(self):
        if self.path.startswith("/api/users.lookupByEmail"):
            self.answer(200, {"ok": True, "user": {"id": "U0DEMO0001"}}, {"path": "users.lookupByEmail", "status": 200})
        else:
            self.answer(404, {"ok": False, "error": "unknown_method"}, {"path": self.path.split("?")[0], "status": 404})

    def do_POST(self):
        length = int(self.headers.get("content-length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            body = {}
        if self.path == "/api/chat.postMessage":
            if not (self.headers.get("authorization") or "").startswith("Bearer xoxb-"):
                return self.answer(200, {"ok": False, "error": "not_authed"}, {"path": "chat.postMessage", "error": "not_authed"})
            problems = slack_problems(body)
            header = next((b["text"]["text"] for b in body.get("blocks", []) if b.get("type") == "header"), "")
            if problems:
                return self.answer(200, {"ok": False, "error": "invalid_blocks"},
                                   {"path": "chat.postMessage", "error": "invalid_blocks", "problems": problems})
            return self.answer(200, {"ok": True, "channel": body.get("channel"), "ts": "1930380900.000100"},
                               {"slack": body.get("channel"), "blocks": len(body.get("blocks", [])), "headline": header,
                                "checked_by": "slack_sdk"})
        if self.path.startswith("/workflows/"):
            att = (body.get("attachments") or [{}])[0]
            if body.get("type") != "message" or att.get("contentType") != "application/vnd.microsoft.card.adaptive":
                return self.answer(400, None, {"teams": self.path, "status": 400})
            card = att.get("content") or {}
            headline = next((b.get("text") for b in card.get("body", []) if b.get("type") == "TextBlock"), "")
            return self.answer(202, None, {"teams": "workflow", "status": 202, "headline": headline})
        self.answer(404, None, {"path": self.path, "status": 404})


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    a = p.parse_args()
    ThreadingHTTPServer(("127.0.0.1", a.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
