"""acebridge's Slack and Teams notices, checked by the vendors' own libraries, not by acebridge's code.

`acebridge notices --large` prints every example notice and the digest (one too large for one message, too)
as the bodies acebridge posts. Each Slack message's blocks are built into slack_sdk's Block Kit models
(PyPI `slack-sdk`, Slack's official Python SDK): each must parse as a known block, pass the model's
`validate_json()` (Slack's documented limits) and serialize back unchanged (nothing dropped). Each Teams
body is parsed by Microsoft's `adaptivecards` library (npm; tests/contract/adaptive_cards_check.js), which
must report no event and keep every element. Limits Slack and Microsoft document but the libraries do not
check are checked here, with the source named: 50 blocks a message, the Workflows connector's ~28 KB.

Each checker is first shown a body the vendor would refuse, and must refuse it: a checker that accepts
everything would prove nothing.

Usage: notices.py target/debug/acebridge
"""

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "infra", "local"))
from slack_blocks import slack_problems  # noqa: E402  (slack_sdk's models, and Slack's 50-block limit)
CHECK_JS = os.path.join(ROOT, "tests", "contract", "adaptive_cards_check.js")

# Microsoft Learn, "Microsoft Teams" connector, known issues and limitations: a message posted by the
# Workflows connector is limited to about 28 KB.
TEAMS_MAX_BYTES = 28 * 1024

failures = []
passed = 0


def check(name, ok, detail=""):
    global passed
    if ok:
        passed += 1
        print(f"test notices::{name} ... ok")
    else:
        failures.append(name)
        print(f"test notices::{name} ... FAILED {detail}")


def teams_problems(bodies):
    """What Microsoft's library (and the connector's envelope and size) refuse, per posted body."""
    out = []
    cards = []
    for body in bodies:
        problems = []
        size = len(json.dumps(body, separators=(",", ":")).encode())
        if size > TEAMS_MAX_BYTES:
            problems.append(f"{size} bytes, over the connector's {TEAMS_MAX_BYTES}")
        att = body.get("attachments") or [{}]
        if body.get("type") != "message" or len(att) != 1:
            problems.append("not a message with one attachment")
        if att[0].get("contentType") != "application/vnd.microsoft.card.adaptive":
            problems.append(f"contentType {att[0].get('contentType')!r}")
        card = att[0].get("content") or {}
        for m in (card.get("msteams") or {}).get("entities", []):
            if m.get("text") not in json.dumps(card.get("body")):
                problems.append(f"mention {m.get('text')!r} is not in the card's text")
        out.append(problems)
        cards.append(card)
    report = json.loads(
        subprocess.run(
            ["node", CHECK_JS], input=json.dumps(cards), capture_output=True, text=True, check=True
        ).stdout
    )
    for problems, r in zip(out, report):
        problems += [f"adaptivecards: {e}" for e in r["events"]]
        problems += [f"adaptivecards dropped a {t}" for t in r["dropped"]]
    return out


def main():
    cli = sys.argv[1] if len(sys.argv) > 1 else "target/debug/acebridge"
    doc = json.loads(subprocess.run([cli, "notices", "--large"], capture_output=True, text=True, check=True).stdout)

    # The checkers bite.
    bad_header = {"text": "x", "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}]}
    check("slack_sdk_refuses_a_header_over_150_characters", bool(slack_problems(bad_header)))
    too_many = {"text": "x", "blocks": [{"type": "divider"}] * 51}
    check("a_message_of_51_blocks_is_refused", bool(slack_problems(too_many)))
    bad_card = {"type": "message", "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive",
               "content": {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "Bogus"}]}}]}
    check("adaptivecards_refuses_an_unknown_element", bool(teams_problems([bad_card])[0]))

    kinds = {n["kind"] for n in doc["notices"]}
    check(
        "an_example_of_every_kind_of_notice",
        kinds >= {"invitation-received", "invitation-expiring", "review-status", "sync-failed", "decision", "lifecycle"},
        str(kinds),
    )
    check("idempotency_keys_are_unique", len({n["key"] for n in doc["notices"]}) == len(doc["notices"]))
    for n in doc["notices"]:
        for j, m in enumerate(n["slack"]):
            p = slack_problems(m)
            check(f"slack_sdk_accepts_{n['key']}_{j}", not p, "; ".join(p))
        for j, p in enumerate(teams_problems(n["teams"])):
            check(f"adaptivecards_accepts_{n['key']}_{j}", not p, "; ".join(p))
    for name in ("digest", "large_digest"):
        for j, m in enumerate(doc[name]["slack"]):
            p = slack_problems(m)
            check(f"slack_sdk_accepts_{name}_{j}", not p, "; ".join(p))
        for j, p in enumerate(teams_problems(doc[name]["teams"])):
            check(f"adaptivecards_accepts_{name}_{j}", not p, "; ".join(p))
    large = doc["large_digest"]
    check("the_large_digest_is_split_for_slack", len(large["slack"]) > 1)
    check("the_large_digest_is_split_for_teams", len(large["teams"]) > 1)
    slack_lines = sum(json.dumps(m).count("Customer ") for m in large["slack"])
    teams_lines = sum(json.dumps(b).count("Customer ") for b in large["teams"])
    check("no_line_of_the_large_digest_is_lost", slack_lines == 300 and teams_lines == 300,
          f"slack {slack_lines}, teams {teams_lines}")
    first = doc["notices"][0]
    # mrkdwn (the message text, sections, fields) must carry it escaped; a plain_text header shows it as is.
    mrkdwn = [m["text"] for m in first["slack"]] + [
        t["text"] for m in first["slack"] for b in m["blocks"]
        for t in ([b["text"]] if isinstance(b.get("text"), dict) else []) + b.get("fields", [])
        if t.get("type") == "mrkdwn"
    ]
    check("a_customer_name_with_markup_is_escaped_for_slack",
          any("&lt;script&gt;" in t for t in mrkdwn) and not any("<script>" in t for t in mrkdwn), str(mrkdwn))
    check("the_owner_is_mentioned", "<@U0EXAMPLE1>" in json.dumps(first["slack"])
          and "pat.lee@example.com" in json.dumps(first["teams"]))

    print(f"test result: {'ok' if not failures else 'FAILED'}. {passed} passed; {len(failures)} failed; 0 ignored")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
