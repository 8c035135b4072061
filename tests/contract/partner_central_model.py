"""The Partner Central emulator against AWS's published service model, checked by code acebridge did not
write: boto3 (botocore) is the client, botocore's loader gives the model, botocore's own ParamValidator
and a strict walk of every raw answer (Python's `regex` engine, which reads the model's look-aheads and
\\p{..} classes as written) check what comes back. Nothing here uses the emulator's Rust validator.

1. Every operation the emulator implements, called with valid input: the answer validates strictly
   against the operation's output shape (required members, no unknown members, types, enums, patterns,
   lengths, ranges, ISO 8601 timestamps, unions) and carries an x-amzn-RequestId.
2. The same operations with an invalid enum, a missing required member, a wrong type, an out-of-range
   number and a broken pattern (each mutation derived from the model, wherever the input shape has such a
   member): a ValidationException whose ErrorList names the member with the model's code.

Usage: python partner_central_model.py <pc-emulator binary>. Prints cargo-style lines, and
`test result: ok. N passed; M failed` last, so `make test` counts it with the Rust tests.
"""
import datetime
import json
import os
import pathlib
import socket
import subprocess
import sys
import time
import traceback

import boto3
import botocore.config
import botocore.loaders
import botocore.validate
import regex

MODEL = botocore.loaders.create_loader().load_service_model("partnercentral-selling", "service-2")
SHAPES = MODEL["shapes"]
CODES = set(SHAPES["ValidationExceptionErrorCode"]["enum"])


# ---------------------------------------------------------------- a strict walk of a value against a shape
def strict(shape_name, value, at, out):
    shape = SHAPES[shape_name]
    kind = shape["type"]
    where = at or "<body>"
    if kind == "structure":
        if not isinstance(value, dict):
            out.append(f"{where}: expected an object")
            return
        for r in shape.get("required", []):
            if value.get(r) is None:
                out.append(f"{at + '.' if at else ''}{r}: required, missing")
        members = shape.get("members", {})
        present = 0
        for k, v in value.items():
            path = f"{at}.{k}" if at else k
            if k not in members:
                out.append(f"{path}: not a member of {shape_name}")
                continue
            present += 1
            strict(members[k]["shape"], v, path, out)
        if shape.get("union") and present != 1:
            out.append(f"{where}: union {shape_name} has {present} members set")
    elif kind == "list":
        if not isinstance(value, list):
            out.append(f"{where}: expected a list")
            return
        if "min" in shape and len(value) < shape["min"] or "max" in shape and len(value) > shape["max"]:
            out.append(f"{where}: {len(value)} items outside {shape.get('min')}..{shape.get('max')}")
        for i, v in enumerate(value):
            strict(shape["member"]["shape"], v, f"{at}[{i}]", out)
    elif kind == "map":
        if not isinstance(value, dict):
            out.append(f"{where}: expected a map")
            return
        for k, v in value.items():
            strict(shape["key"]["shape"], k, f"{at}.{k}", out)
            strict(shape["value"]["shape"], v, f"{at}.{k}", out)
    elif kind == "string":
        if not isinstance(value, str):
            out.append(f"{where}: expected a string")
            return
        if "enum" in shape:
            if value not in shape["enum"]:
                out.append(f"{where}: {value!r} not in {shape_name}")
            return
        if "min" in shape and len(value) < shape["min"] or "max" in shape and len(value) > shape["max"]:
            out.append(f"{where}: length {len(value)} outside {shape.get('min')}..{shape.get('max')}")
        if "pattern" in shape and not regex.fullmatch(shape["pattern"], value):
            out.append(f"{where}: {value!r} does not match {shape['pattern']}")
    elif kind in ("integer", "long"):
        if not isinstance(value, int) or isinstance(value, bool):
            out.append(f"{where}: expected an integer")
            return
        if "min" in shape and value < shape["min"] or "max" in shape and value > shape["max"]:
            out.append(f"{where}: {value} outside {shape.get('min')}..{shape.get('max')}")
    elif kind in ("double", "float"):
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            out.append(f"{where}: expected a number")
    elif kind == "boolean":
        if not isinstance(value, bool):
            out.append(f"{where}: expected a boolean")
    elif kind == "timestamp":
        try:
            datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            out.append(f"{where}: {value!r} is not an ISO 8601 date-time")
    else:
        out.append(f"{where}: shape type {kind} not checked")


# ---------------------------------------------------------------- the emulator and the boto3 client
def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SEED = {
    "solutions": [{"Catalog": "Sandbox", "Id": "S-1234567", "Name": "Test solution", "Status": "Active", "Category": "Software Product",
                   "CreatedDate": "2024-01-01T00:00:00.000Z"}],
    "invitations": [
        {"Catalog": "Sandbox", "Invitation": {"Payload": {"OpportunityInvitation": {
            "ReceiverResponsibilities": ["Co-Sell Facilitator"],
            "Customer": {"CompanyName": "Example Corp", "CountryCode": "US", "Industry": "Software and Internet",
                         "WebsiteUrl": "https://example.com"},
            "Project": {"Title": title, "BusinessProblem": "Needs a partner to migrate its data warehouse",
                        "TargetCompletionDate": "2027-03-31", "ExpectedCustomerSpend": []}}}},
         "Opportunity": {"Customer": {"Account": {"CompanyName": "Example Corp"}}, "Project": {"Title": title}}}
        for title in ("Accept me", "Reject me")
    ] + [
        # A lead (AWS's LeadInvitation and the Lead context of its engagement).
        json.loads((pathlib.Path(__file__).parent.parent / "fixtures/partner-central/lead-invitation.json").read_text())
    ],
}


class Run:
    def __init__(self, binary):
        self.port = free_port()
        self.proc = subprocess.Popen([binary, "--port", str(self.port)], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.url = f"http://127.0.0.1:{self.port}"
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise SystemExit(f"pc-emulator did not start: {self.proc.stderr.read()}")
        self.control("seed", SEED)
        self.raw = []
        self.client = self.make_client(validate=True)
        self.loose = self.make_client(validate=False)

    def make_client(self, validate):
        client = boto3.client(
            "partnercentral-selling", region_name="us-east-1", endpoint_url=self.url,
            aws_access_key_id="contract", aws_secret_access_key="contract",
            config=botocore.config.Config(parameter_validation=validate, retries={"max_attempts": 1}))
        client.meta.events.register("before-parse.partnercentral-selling.*", self.keep_raw)
        return client

    def keep_raw(self, operation_model, response_dict, **_):
        self.raw.append((operation_model.name, response_dict))

    def control(self, what, body):
        import urllib.request
        req = urllib.request.Request(f"{self.url}/_emulator/{what}", data=json.dumps(body).encode(), method="POST")
        with urllib.request.urlopen(req) as r:
            return json.loads(r.read() or b"{}")

    def stats(self):
        import urllib.request
        with urllib.request.urlopen(f"{self.url}/_emulator/stats") as r:
            return json.loads(r.read())

    def stop(self):
        self.proc.terminate()
        self.proc.wait(5)


# ---------------------------------------------------------------- the checks
def check_answer(run, op, params, client=None):
    """Calls op with params through boto3 and checks the raw answer strictly against the output shape."""
    run.raw.clear()
    parsed = getattr(client or run.client, botocore.xform_name(op))(**params)
    name, raw = run.raw[-1]
    assert name == op, (name, op)
    headers = {k.lower(): v for k, v in raw["headers"].items()}
    assert headers.get("x-amzn-requestid"), f"{op}: no x-amzn-RequestId"
    assert raw["status_code"] == 200, (op, raw["status_code"], raw["body"])
    body = json.loads(raw["body"] or b"{}")
    problems = []
    output = MODEL["operations"][op].get("output")
    if output:
        strict(output["shape"], body, "", problems)
        # botocore's own validator on the same value (required members and types as botocore reads them).
        report = botocore.validate.ParamValidator().validate(body, run.client.meta.service_model.shape_for(output["shape"]))
        if report.has_errors():
            problems.append(report.generate_report())
    elif body:
        problems.append(f"no output shape, but the answer has {body}")
    assert not problems, f"{op} answer breaks the model:\n  " + "\n  ".join(problems)
    return parsed


def wait_task(run, list_op, task_id):
    for _ in range(200):
        out = check_answer(run, list_op, {"Catalog": "Sandbox", "TaskIdentifier": [task_id]})
        status = out["TaskSummaries"][0]["TaskStatus"]
        if status != "IN_PROGRESS":
            return out["TaskSummaries"][0]
        time.sleep(0.02)
    raise AssertionError(f"task {task_id} never finished")


def valid_calls(run):
    """Every implemented operation with valid input, in an order that makes each one meaningful.
    Returns {operation: the valid params used}, for the mutations."""
    used = {}

    def call(op, params, client=None):
        used.setdefault(op, params)
        return check_answer(run, op, params, client)

    customer = {"Account": {"CompanyName": "Example Corp", "WebsiteUrl": "https://example.com",
                            "Industry": "Software and Internet",
                            "Address": {"CountryCode": "US", "PostalCode": "10001"}}}
    project = {"Title": "Contract", "CustomerBusinessProblem": "A problem worth twenty characters at least",
               "CustomerUseCase": "Migration/Database Migration", "DeliveryModels": ["SaaS or PaaS"],
               "ExpectedCustomerSpend": [{"Amount": "1000", "CurrencyCode": "USD", "Frequency": "Monthly",
                                          "TargetCompany": "AWS"}]}
    created = call("CreateOpportunity", {"Catalog": "Sandbox", "ClientToken": "contract-1", "Customer": customer,
                                         "Project": project, "OpportunityType": "Net New Business",
                                         "PrimaryNeedsFromAws": ["Co-Sell - Architectural Validation"],
                                         "LifeCycle": {"Stage": "Prospect", "TargetCloseDate": "2027-12-31"}})
    oid = created["Id"]
    got = call("GetOpportunity", {"Catalog": "Sandbox", "Identifier": oid})
    updated = call("UpdateOpportunity", {"Catalog": "Sandbox", "Identifier": oid,
                                         "LastModifiedDate": got["LastModifiedDate"], "Customer": customer,
                                         "Project": dict(project, Title="Contract, renamed"),
                                         "LifeCycle": {"Stage": "Qualified", "TargetCloseDate": "2027-12-31"}})
    assert updated["Id"] == oid
    call("ListOpportunities", {"Catalog": "Sandbox", "MaxResults": 10,
                               "LastModifiedDate": {"AfterLastModifiedDate": datetime.datetime(2020, 1, 1)},
                               "Sort": {"SortOrder": "ASCENDING", "SortBy": "LastModifiedDate"}})
    call("ListSolutions", {"Catalog": "Sandbox", "MaxResults": 10})
    call("AssociateOpportunity", {"Catalog": "Sandbox", "OpportunityIdentifier": oid,
                                  "RelatedEntityType": "AwsProducts", "RelatedEntityIdentifier": "AmazonRDS"})
    call("DisassociateOpportunity", {"Catalog": "Sandbox", "OpportunityIdentifier": oid,
                                     "RelatedEntityType": "AwsProducts", "RelatedEntityIdentifier": "AmazonRDS"})
    check_answer(run, "AssociateOpportunity", {"Catalog": "Sandbox", "OpportunityIdentifier": oid,
                                               "RelatedEntityType": "Solutions", "RelatedEntityIdentifier": "S-1234567"})
    call("AssignOpportunity", {"Catalog": "Sandbox", "Identifier": oid,
                               "Assignee": {"FirstName": "Pat", "LastName": "Lee", "Email": "pat@example.com",
                                            "BusinessTitle": "PartnerAccountManager"}})
    started = call("StartEngagementFromOpportunityTask", {"Catalog": "Sandbox", "ClientToken": "contract-submit",
                                                          "Identifier": oid,
                                                          "AwsSubmission": {"InvolvementType": "Co-Sell",
                                                                            "Visibility": "Full"}})
    assert started["TaskStatus"] == "IN_PROGRESS", started
    used["ListEngagementFromOpportunityTasks"] = {"Catalog": "Sandbox", "TaskIdentifier": [started["TaskId"]]}
    done = wait_task(run, "ListEngagementFromOpportunityTasks", started["TaskId"])
    assert done["TaskStatus"] == "COMPLETE", done
    call("GetAwsOpportunitySummary", {"Catalog": "Sandbox", "RelatedOpportunityIdentifier": oid})
    received = call("ListEngagementInvitations", {"Catalog": "Sandbox", "ParticipantType": "RECEIVER", "MaxResults": 10})
    sent = check_answer(run, "ListEngagementInvitations", {"Catalog": "Sandbox", "ParticipantType": "SENDER"})
    assert sent["EngagementInvitationSummaries"], "a submission sends AWS an invitation"
    by_title = {i["EngagementTitle"]: i["Id"] for i in received["EngagementInvitationSummaries"]}
    call("GetEngagementInvitation", {"Catalog": "Sandbox", "Identifier": by_title["Accept me"]})
    accepted = call("StartEngagementByAcceptingInvitationTask", {"Catalog": "Sandbox", "ClientToken": "contract-accept",
                                                                 "Identifier": by_title["Accept me"]})
    assert accepted["TaskStatus"] == "IN_PROGRESS", accepted
    used["ListEngagementByAcceptingInvitationTasks"] = {"Catalog": "Sandbox", "TaskIdentifier": [accepted["TaskId"]]}
    done = wait_task(run, "ListEngagementByAcceptingInvitationTasks", accepted["TaskId"])
    assert done["TaskStatus"] == "COMPLETE" and done["OpportunityId"], done
    call("GetOpportunity", {"Catalog": "Sandbox", "Identifier": done["OpportunityId"]})
    call("RejectEngagementInvitation", {"Catalog": "Sandbox", "Identifier": by_title["Reject me"],
                                        "RejectionReason": "Duplicate of partner referral"})

    # A lead: accepted, read, qualified under the engagement's lock, converted.
    lead = [i for i in received["EngagementInvitationSummaries"] if i["PayloadType"] == "LeadInvitation"][0]
    invitation = call("GetEngagementInvitation", {"Catalog": "Sandbox", "Identifier": lead["Id"]})
    assert invitation["Payload"]["LeadInvitation"]["Customer"]["CompanyName"], invitation
    call("AcceptEngagementInvitation", {"Catalog": "Sandbox", "Identifier": lead["Id"]})
    listed = call("ListEngagements", {"Catalog": "Sandbox", "ContextTypes": ["Lead"], "MaxResults": 10,
                                      "Sort": {"SortOrder": "DESCENDING", "SortBy": "CreatedDate"}})
    assert [e["Id"] for e in listed["EngagementSummaryList"]] == [lead["EngagementId"]], listed
    engagement = call("GetEngagement", {"Catalog": "Sandbox", "Identifier": lead["EngagementId"]})
    context = engagement["Contexts"][0]
    updated = call("UpdateEngagementContext", {
        "Catalog": "Sandbox", "EngagementIdentifier": lead["EngagementId"], "ContextIdentifier": context["Id"],
        "EngagementLastModifiedAt": engagement["ModifiedAt"], "Type": "Lead",
        "Payload": {"Lead": {"QualificationStatus": "Qualified",
                             "Customer": context["Payload"]["Lead"]["Customer"],
                             "Interaction": {"SourceType": "Partner", "SourceId": "crm-1", "SourceName": "Call",
                                             "CustomerAction": "Call", "BusinessProblem": "A plan for 40 databases",
                                             "Contact": {"BusinessTitle": "CTO", "Email": "cto@example.com",
                                                         "FirstName": "Pat", "LastName": "Lee"}}}}})
    assert updated["EngagementLastModifiedAt"] > engagement["ModifiedAt"], updated
    converting = call("StartOpportunityFromEngagementTask", {"Catalog": "Sandbox", "ClientToken": "contract-convert",
                                                             "Identifier": lead["EngagementId"],
                                                             "ContextIdentifier": context["Id"]})
    used["ListOpportunityFromEngagementTasks"] = {"Catalog": "Sandbox", "TaskIdentifier": [converting["TaskId"]]}
    converted = wait_task(run, "ListOpportunityFromEngagementTasks", converting["TaskId"])
    assert converted["TaskStatus"] == "COMPLETE" and converted["OpportunityId"], converted
    call("GetOpportunity", {"Catalog": "Sandbox", "Identifier": converted["OpportunityId"]})
    return used


def member_shapes(shape_name):
    return {k: v["shape"] for k, v in SHAPES[shape_name].get("members", {}).items()}


def bad_pattern_value(shape):
    """A value of a patterned string shape that breaks the pattern but keeps its length."""
    for candidate in ("!", "X1", "not-a-valid-value!", "zz" * 10):
        n = len(candidate)
        if shape.get("min", 0) <= n <= shape.get("max", 10 ** 9) and not regex.fullmatch(shape["pattern"], candidate):
            return candidate
    return None


def mutations(op, params):
    """(label, params, member, code) for each kind of invalid input this operation's shape allows."""
    shape = MODEL["operations"][op]["input"]["shape"]
    members = member_shapes(shape)
    required = SHAPES[shape].get("required", [])
    out = []
    # Catalog is required everywhere: prefer the operation's own members, so each is exercised.
    prefer_own = sorted(params, key=lambda m: m == "Catalog")
    # ClientToken is an idempotency token: botocore fills it in when it is missing, so it cannot be left out.
    tokens = {m for m, v in SHAPES[shape].get("members", {}).items() if v.get("idempotencyToken")}
    for m in sorted(required, key=lambda m: m == "Catalog"):
        if m in params and m not in tokens:
            out.append(("missing required", {k: v for k, v in params.items() if k != m}, m, "REQUIRED_FIELD_MISSING"))
            break
    for m, s in members.items():
        target = SHAPES[s]
        if target["type"] == "string" and "enum" in target:
            out.append(("invalid enum", dict(params, **{m: "NotAValue"}), m, "INVALID_ENUM_VALUE"))
            break
        if target["type"] == "list" and SHAPES[target["member"]["shape"]].get("enum"):
            out.append(("invalid enum", dict(params, **{m: ["NotAValue"]}), f"{m}[0]", "INVALID_ENUM_VALUE"))
            break
    for m, s in members.items():
        if SHAPES[s]["type"] == "integer" and "max" in SHAPES[s]:
            out.append(("wrong type", dict(params, **{m: "ten"}), m, "INVALID_VALUE"))
            out.append(("out-of-range number", dict(params, **{m: SHAPES[s]["max"] + 1}), m, "VALUE_OUT_OF_RANGE"))
            break
    else:
        out.append(("wrong type", dict(params, Catalog=5), "Catalog", "INVALID_VALUE"))
    for m in prefer_own:
        s = members.get(m)
        if s and SHAPES[s]["type"] == "string" and "pattern" in SHAPES[s]:
            bad = bad_pattern_value(SHAPES[s])
            if bad is not None:
                out.append(("broken pattern", dict(params, **{m: bad}), m, "INVALID_STRING_FORMAT"))
                break
    # (An unknown member cannot be sent through botocore, whose serializer only writes modelled members;
    # the emulator's refusal of one is a Rust test.)
    return out


def check_refused(run, op, params, member, code):
    from botocore.exceptions import ClientError
    try:
        getattr(run.loose, botocore.xform_name(op))(**params)
    except ClientError as e:
        err = e.response
        assert err["Error"]["Code"] == "ValidationException", err
        assert err.get("Reason") == "REQUEST_VALIDATION_FAILED", err
        entries = err.get("ErrorList", [])
        assert all(x["Code"] in CODES for x in entries), entries
        strict("ValidationException", {k: v for k, v in err.items()
                                       if k in ("Message", "Reason", "ErrorList")} | {"Message": err["Message"]}, "", problems := [])
        assert not problems, problems
        assert any(x.get("FieldName") == member and x["Code"] == code for x in entries), \
            f"expected {member} {code}, got {entries}"
        return
    raise AssertionError(f"{op} accepted {params}")


def main():
    binary = sys.argv[1]
    passed, failed = 0, 0

    def test(name, fn):
        nonlocal passed, failed
        try:
            fn()
            print(f"test contract::{name} ... ok")
            passed += 1
        except Exception:  # noqa: BLE001 — every failure is reported, then counted
            print(f"test contract::{name} ... FAILED")
            traceback.print_exc()
            failed += 1

    run = Run(binary)
    try:
        used = {}

        def valid():
            used.update(valid_calls(run))
        test("every_implemented_operation_answers_to_the_model", valid)
        for op, params in sorted(used.items()):
            for label, bad, member, code in mutations(op, params):
                test(f"{op}_{label.replace(' ', '_')}_is_a_validation_exception_naming_{member}",
                     lambda op=op, bad=bad, member=member, code=code: check_refused(run, op, bad, member, code))

        def fix_hints_cover_the_model():
            # acebridge's fix hints (shared/sync/src/partner_central/validation.rs) name every code of the
            # model's ValidationExceptionErrorCode, and no code the model lacks.
            src = pathlib.Path(__file__).resolve().parents[2] / "shared/sync/src/partner_central/validation.rs"
            ours = set(regex.findall(r'\(\s*"([A-Z_]+)",', src.read_text()))
            theirs = set(SHAPES["ValidationExceptionErrorCode"]["enum"])
            assert ours == theirs, {"missing": sorted(theirs - ours), "not in the model": sorted(ours - theirs)}
        test("a_fix_hint_for_every_validation_exception_code_of_the_model", fix_hints_cover_the_model)

        def no_violations():
            stats = run.stats()
            assert stats["model_violations"] == 0, stats
        test("the_emulator_built_no_answer_that_breaks_the_model", no_violations)
    finally:
        run.stop()
    print(f"test result: {'ok' if not failed else 'FAILED'}. {passed} passed; {failed} failed; 0 ignored")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
