"""Each Lambda function's IAM role, as AWS would create it from template.yaml: the template goes through
SAM's own transform (samtranslator, from the venv), then the role's inline policies and the template's
managed policies it attaches are resolved for one set of parameter values.

    python infra/local/function-policies.py [Name=Value ...]

prints JSON: {"<crate name, e.g. partner-central-events>": {"function": "<logical id>",
"policies": [<policy documents>], "aws_managed": [<ARNs of AWS managed policies>]}}.
Functions a variant does not create (their Condition is false) are left out.

A resource of the stack resolves to the name CloudFormation would give it, with the stack's name and
CloudFormation's random suffix as wildcards: the name its properties give (`acebridge-landing-*`,
`acebridge-*` for the event bus) or `*-<LogicalId>-*` (a table without a TableName is named
`<stack>-LedgerTable-<random>`). Tests name their tables, buckets and buses to fit, so the roles are checked
resource by resource as well as action by action. Parameters resolve to the values given (or the template's
defaults).
"""
import json
import sys

from sam_template import NO_VALUE, Resolver, load_source, sam_transform


def main():
    params = dict(a.split("=", 1) for a in sys.argv[1:])
    params.setdefault("PartnerId", "1234567890")
    params.setdefault("AceBucketOwner", "123456789012")  # moto's account, where local ACE buckets live
    source = load_source()
    transformed = sam_transform(source, params)
    r = Resolver(transformed, params)
    resources = transformed["Resources"]
    original = source["Resources"]
    out = {}
    for name, res in resources.items():
        if res["Type"] != "AWS::Lambda::Function":
            continue
        if "Condition" in res and not r.condition(res["Condition"]):
            continue
        binary = original.get(name, {}).get("Metadata", {}).get("BuildProperties", {}).get("Binary", name)
        role_ref = res["Properties"]["Role"]
        role_name = role_ref["Fn::GetAtt"][0] if "Fn::GetAtt" in role_ref else None
        role = r.value(resources[role_name]["Properties"]) if role_name else {}
        policies = [p["PolicyDocument"] for p in role.get("Policies", [])]
        aws_managed = []
        for arn in resources[role_name]["Properties"].get("ManagedPolicyArns", []) if role_name else []:
            resolved_ref = None
            if isinstance(arn, dict) and "Fn::If" in arn:
                cond, yes, no = arn["Fn::If"]
                arn = yes if r.condition(cond) else no
            if isinstance(arn, dict) and "Ref" in arn and arn["Ref"] in resources:
                resolved_ref = arn["Ref"]
            if resolved_ref:
                managed = resources[resolved_ref]
                if "Condition" not in managed or r.condition(managed["Condition"]):
                    policies.append(r.value(managed["Properties"]["PolicyDocument"]))
                continue
            value = r.value(arn)
            if value is not NO_VALUE:
                aws_managed.append(value)
        out[binary] = {"function": name, "policies": policies, "aws_managed": aws_managed}
    json.dump(out, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
