"""Writes one concrete template per variant (Channel x CrmKind) into a folder, so that checks which cannot
take parameter values (checkov) see each variant as CloudFormation would create it: resources whose
Condition is false are gone, every Fn::If has taken its branch, Conditions and Rules are resolved away.
Other intrinsics are kept as they are.

    python infra/local/template-variants.py OUT_DIR

Prints the variants' parameters, one line each (for cfn-lint's --parameters).
"""
import json
import pathlib
import sys

from sam_template import NO_VALUE, Resolver, load_source

CHANNELS = ["both", "api", "s3"]
CRMS = ["store", "salesforce", "hubspot", "webhook"]
NOTIFY_ON = {"salesforce", "webhook"}
NOTIFY_SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:acebridge-notify-AbCdEf"
# With the partner's own key (DataKmsKeyArn): without one, logs and queues are under AWS-owned keys, which
# checkov's CMK checks (CKV_AWS_158, CKV_AWS_27) report by design; docs/deploy.md says which to choose.
COMMON = {"PartnerId": "1234567890", "AceBucketOwner": "111122223333",
          "DataKmsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
          "CrmSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:acebridge-crm-AbCdEf",
          "SalesforceEventBusName": "aws.partner/salesforce.com/00D000000000000/0YL000000000000"}


def concrete(node, r):
    """The template with conditions applied: Fn::If branches taken, NoValue dropped."""
    if isinstance(node, list):
        out = [concrete(x, r) for x in node]
        return [x for x in out if x is not NO_VALUE]
    if isinstance(node, dict):
        if set(node) == {"Fn::If"}:
            name, yes, no = node["Fn::If"]
            return concrete(yes if r.condition(name) else no, r)
        if node == {"Ref": "AWS::NoValue"}:
            return NO_VALUE
        out = {k: concrete(v, r) for k, v in node.items()}
        return {k: v for k, v in out.items() if v is not NO_VALUE}
    return node


def main():
    out_dir = pathlib.Path(sys.argv[1])
    out_dir.mkdir(parents=True, exist_ok=True)
    for channel in CHANNELS:
        for crm in CRMS:
            params = dict(COMMON, Channel=channel, CrmKind=crm)
            # The notifier on in half the variants and off in the other half, so both are linted and scanned.
            if crm in NOTIFY_ON:
                params["NotifySecretArn"] = NOTIFY_SECRET
                params["NotifySlackChannel"] = "C0123456789"
            template = load_source()
            r = Resolver(template, params)
            resources = {name: res for name, res in template["Resources"].items()
                         if "Condition" not in res or r.condition(res["Condition"])}
            for res in resources.values():
                res.pop("Condition", None)
            outputs = {name: o for name, o in template.get("Outputs", {}).items()
                       if "Condition" not in o or r.condition(o["Condition"])}
            for o in outputs.values():
                o.pop("Condition", None)
            variant = {k: v for k, v in template.items() if k not in ("Conditions", "Rules")}
            # The variant's values become the parameters' defaults, which is where checkov reads a Ref.
            for name, value in params.items():
                variant["Parameters"][name]["Default"] = value
            variant["Resources"] = concrete(resources, r)
            variant["Outputs"] = concrete(outputs, r)
            (out_dir / f"{channel}-{crm}.json").write_text(json.dumps(variant, indent=1))
            print(" ".join(f"{k}={v}" for k, v in params.items()))


if __name__ == "__main__":
    main()
