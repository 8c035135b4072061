"""The operations console in a real browser (issue 29): headless Chromium from Debian's packages, driven by
Playwright for Python, with axe-core (npm) checking every page's accessibility.

Runs on the local stack (`make browser`, part of `make test`): moto (started by with-stack.sh), the
Partner Central emulator, the ingest function under `cargo lambda watch` (what S3's notification does in
AWS), and `acebridge console`. Flows walked, as an operator would:

1. a file with a bad field lands in Failures; the record is fixed in the form (a first correction that
   is still wrong is refused by the pre-flight check), resent, and after the ingest the record is in the
   CRM store, found on the Records page;
2. a pending lead invitation from AWS (the emulator) is accepted on the Invitations page; the emulator
   says ACCEPTED and the lead is in the CRM store;
3. a customer name containing `<script>` renders as text, and no script runs;
4. a forged cross-site POST (a form on another origin) and a foreign Host (DNS rebinding: another name
   resolved to 127.0.0.1) are refused, and nothing changed;
5. axe-core finds no serious or critical violation on any page.

Screenshots of each page go to docs/images/console/ (docs/operations.md shows them).
"""

import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

from playwright.sync_api import sync_playwright

from stack import ROOT, Stack, client, free_port, post_json

SHOTS = ROOT / "docs" / "images" / "console"
AXE = ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SCRIPT_NAME = "<script>document.title='pwned'</script> Example Holdings"

failures: list[str] = []


def check(ok: bool, what: str) -> None:
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


class Evil(BaseHTTPRequestHandler):
    """Another site: a page whose form posts to the console (a cross-site request forgery)."""

    target = ""

    def do_GET(self):
        body = f"""<!doctype html><html lang="en"><title>win a prize</title>
<form id="f" method="post" action="{Evil.target}invitations/decide">
<input name="invitation" value="{Evil.invitation}"><input name="decision" value="reject">
<input name="reason" value="Other"><input name="csrf" value="guessed">
<button>Claim</button></form></html>""".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def axe(page, name: str) -> None:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document)")
    bad = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
    check(not bad, f"axe-core: no serious or critical violation on {name}" + (f": {[v['id'] for v in bad]}" if bad else ""))


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def main() -> int:
    evil_port = free_port()
    with Stack("browser") as st:
        landing, pc, base, port = st.landing, st.pc, st.base, st.port
        # AWS's referral file, with one record whose target close date is not a date.
        referral = json.loads((ROOT / "infra/local/demo/aws-referral.json").read_text())
        record = referral["opportunities"][0]
        record["targetCloseDate"] = "24/09/2022"
        record["partnerProjectTitle"] = "Browser-test referral"
        key = "opportunity-outbound/browser-referral.json"
        st.put(key, json.dumps(referral).encode())
        print("ingest:", st.ingest(key), flush=True)

        # A lead invitation, and an opportunity invitation whose customer name holds markup.
        post_json(f"{pc}/_emulator/invite", (ROOT / "infra/local/demo/partner-central-lead.json").read_bytes())
        opp = json.loads((ROOT / "infra/local/demo/partner-central-invitation.json").read_text())
        opp["Invitation"]["Payload"]["OpportunityInvitation"]["Customer"]["CompanyName"] = SCRIPT_NAME
        post_json(f"{pc}/_emulator/invite", opp)
        # A Teams notice the notifier could not send, as its ledger mark stands (acebridge_notify::dispatch).
        client("dynamodb").put_item(TableName=st.ledger, Item={
            "pk": {"S": "NOTICE#sync-failed#OP-1042 (O1234567)#1961394000000#teams"},
            "key": {"S": "sync-failed#OP-1042 (O1234567)#1961394000000"}, "target": {"S": "teams"},
            "kind": {"S": "sync-failed"}, "revision": {"N": "2"}, "attempts": {"N": "3"},
            "last_error": {"S": "workflow webhook: HTTP 502"}, "expires_at": {"N": str(int(time.time()) + 86400)},
        })
        print("console:", base, flush=True)

        Evil.target = base
        evil = HTTPServer(("127.0.0.1", evil_port), Evil)
        threading.Thread(target=evil.serve_forever, daemon=True).start()

        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM,
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    # DNS rebinding, played: another name that resolves to the console's address.
                    "--host-resolver-rules=MAP rebind.example 127.0.0.1",
                ],
            )
            # bypass_csp: the console allows no script; axe-core is injected by the test, not the page.
            ctx = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
            page = ctx.new_page()

            # Overview.
            page.goto(base)
            check(page.locator("h1").inner_text() == "Overview", "the overview page opens")
            check(page.locator('svg[aria-label="Partner Central calls, last 24 hours"] rect').count() == 2,
                  "the overview draws the daily read and write budgets as an SVG chart")

            # 1. Failures: the bad record, fixed and resent.
            page.goto(base + "failures")
            row = page.locator("tr", has_text="24/09/2022")
            check(row.count() >= 1, "the record with a bad date is listed in Failures with the value it refused")
            check(page.get_by_text("browser-referral.json").count() >= 1, "Failures names the file")
            notice = page.locator("tr", has_text="workflow webhook: HTTP 502")
            check(notice.count() == 1 and "teams" in notice.inner_text(),
                  "a notice the notifier could not send is listed in Failures with the vendor's error")
            axe(page, "Failures")
            shot(page, "failures")
            page.get_by_role("link", name="Fix and resend record 0").first.click()
            check("Fix and resend" in page.locator("h1").inner_text(), "the fix form opens")
            text = page.locator("#record").input_value()
            page.locator("#record").fill(text.replace('"24/09/2022"', '"2022-13-45"'))
            page.get_by_role("button", name="Check and resend").click()
            check(page.get_by_role("alert").count() == 1 and "2022-13-45" in page.get_by_role("alert").inner_text(),
                  "a correction that is still wrong is refused by the pre-flight check, naming the value")
            check(not [o for o in client("s3").list_objects_v2(Bucket=landing, Prefix="opportunity-outbound/replay-").get("Contents", [])],
                  "nothing was written for the refused correction")
            axe(page, "Fix and resend")
            shot(page, "fix-and-resend")
            page.locator("#record").fill(page.locator("#record").input_value().replace('"2022-13-45"', '"2022-09-24"'))
            page.get_by_role("button", name="Check and resend").click()
            check(page.locator("h1").inner_text() == "Resent", "the corrected record is resent")
            replays = [o["Key"] for o in client("s3").list_objects_v2(Bucket=landing, Prefix="opportunity-outbound/replay-").get("Contents", [])]
            check(len(replays) == 1, "one replay file is in the landing bucket, where the ingest reads")
            # What S3's notification does in AWS: the ingest takes the replayed file.
            print("ingest:", st.ingest(replays[0]), flush=True)
            page.goto(base + "records?q=Browser-test+referral")
            check(page.locator("tbody tr").count() == 1, "the fixed referral is in the CRM store (Records, found by title)")
            page.locator("tbody tr a").first.click()
            check(page.locator("h2", has_text="Timeline").count() == 1, "the record's page shows its timeline")
            written = page.locator("tr.step", has_text="AWS's version written to the CRM")
            check(written.count() >= 1, "the timeline has the step that wrote AWS's version to the CRM")
            check(written.last.locator("ul.changes li", has_text="2022-09-24").count() >= 1,
                  "that step names the fields it changed, the corrected target close date among them")
            check("opportunity-outbound/replay-" in written.last.locator("td").nth(2).inner_text(),
                  "the step names the file the version came from (the replay file)")
            axe(page, "Record")
            shot(page, "record")
            page.goto(base + "records")
            axe(page, "Records")
            shot(page, "records")

            # 2. Invitations: accept the lead.
            page.goto(base + "invitations")
            lead_row = page.locator("tr", has_text="Lead")
            check(lead_row.count() == 1, "the pending lead invitation is listed")
            # 3. Markup in a customer's name is text.
            check(page.locator("td.customer", has_text="<script>").count() == 1, "a customer name containing <script> renders as text")
            check(page.title() != "pwned" and page.evaluate("document.scripts.length") == 0,
                  "no script from the customer's name runs (the page has no script element at all)")
            axe(page, "Invitations")
            shot(page, "invitations")
            lead_id = lead_row.locator("td").first.inner_text()
            opp_id = page.locator("tr", has_text="Opportunity").locator("td").first.inner_text()
            lead_row.get_by_role("button", name=f"Accept {lead_id}").click()
            check(page.locator("h1").inner_text() == "Decided" and "lead accepted" in page.locator("main").inner_text(),
                  "the lead invitation is accepted through the console")
            import boto3

            pcs = boto3.client("partnercentral-selling", endpoint_url=pc, region_name="us-east-1")
            inv = pcs.get_engagement_invitation(Catalog="Sandbox", Identifier=lead_id)
            check(inv["Status"] == "ACCEPTED", "the emulator (boto3's GetEngagementInvitation) says the lead invitation is ACCEPTED")
            leads = [i for i in client("dynamodb").scan(TableName=st.crm)["Items"] if json.dumps(i).find("Example Lead Corp") >= 0]
            check(len(leads) >= 1, "the accepted lead is in the CRM store")
            page.goto(base + "invitations")
            check(page.locator("tr", has_text=lead_id).count() == 0, "the accepted lead is no longer pending")

            # 4a. A forged cross-site POST.
            Evil.invitation = opp_id
            evil_page = ctx.new_page()
            evil_page.goto(f"http://127.0.0.1:{evil_port}/")
            with evil_page.expect_navigation():
                evil_page.locator("button").click()
            check("refused" in evil_page.locator("body").inner_text(), "a form on another site posting to the console is refused")
            inv = pcs.get_engagement_invitation(Catalog="Sandbox", Identifier=opp_id)
            check(inv["Status"] == "PENDING", "the forged POST changed nothing (the invitation is still PENDING)")
            # The console's own origin without its token is refused too.
            r = page.request.post(base + "invitations/decide", form={"invitation": opp_id, "decision": "reject", "reason": "Other"},
                                  headers={"Origin": base.rstrip("/")})
            check(r.status == 403, f"a POST without the CSRF token is refused (got {r.status})")
            # 4b. DNS rebinding: the browser reaches 127.0.0.1 under another name.
            resp = evil_page.goto(f"http://rebind.example:{port}/")
            check(resp is not None and resp.status == 421 and "Host" in evil_page.locator("body").inner_text(),
                  "a request under a foreign Host name is refused (DNS rebinding)")

            # Held edits and Channels.
            for path, name in (("held", "Held edits"), ("channels", "Channels")):
                page.goto(base + path)
                check(page.locator("h1").inner_text().startswith(name.split()[0]), f"the {name} page opens")
                axe(page, name)
                shot(page, path)
            page.goto(base + "channels")
            check(page.locator("h2", has_text="Moving from the S3 exchange to the API").count() == 1
                  and "moving to the API" in page.locator("main").inner_text(),
                  "Channels says where the stack stands in the move to the API (files still land, CRM changes over the API)")
            # The overview again, now that records, a failure and an accepted lead are in the ledger.
            page.goto(base)
            check(page.locator("svg[role=img]").count() >= 3, "the overview draws records by state, by channel and the budgets as SVG charts")
            check(page.locator("svg[aria-label='Partner Central calls, last 24 hours'] + details table").text_content().find(" of 100000") > 0,
                  "the budget chart says the calls used of the daily read quota")
            axe(page, "Overview")
            shot(page, "overview")
            browser.close()
        evil.shutdown()
        st.failed = bool(failures)
    print(f"browser: {len(failures)} failed" if failures else "browser: all checks passed", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
