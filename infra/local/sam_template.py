"""template.yaml as CloudFormation sees it, for the local checks: the YAML with its short-form tags read as
intrinsic functions, and a resolver of intrinsics and conditions for one set of parameter values (stack
resources resolve to the names CloudFormation would give them, with wildcards for the stack's name and
CloudFormation's random suffix). Used by function-policies.py (each function's role) and
template-variants.py (one concrete template per Channel x CrmKind, for checkov)."""
import os
import pathlib

import yaml
from samtranslator.translator.transform import transform

ROOT = pathlib.Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"
PSEUDO = {"AWS::Partition": "aws", "AWS::Region": "us-east-1", "AWS::AccountId": ACCOUNT,
          "AWS::StackName": "*", "AWS::StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/*/*",
          "AWS::URLSuffix": "amazonaws.com"}
# How each kind of resource names itself, and its ARN.
NAMED = {"AWS::DynamoDB::Table": "TableName", "AWS::S3::Bucket": "BucketName", "AWS::SQS::Queue": "QueueName",
         "AWS::Events::EventBus": "Name", "AWS::SNS::Topic": "TopicName"}
ARNS = {"AWS::DynamoDB::Table": "arn:aws:dynamodb:us-east-1:%s:table/{}" % ACCOUNT,
        "AWS::SQS::Queue": "arn:aws:sqs:us-east-1:%s:{}" % ACCOUNT,
        "AWS::S3::Bucket": "arn:aws:s3:::{}",
        "AWS::Events::EventBus": "arn:aws:events:us-east-1:%s:event-bus/{}" % ACCOUNT,
        "AWS::SNS::Topic": "arn:aws:sns:us-east-1:%s:{}" % ACCOUNT}
NO_VALUE = object()


class Loader(yaml.SafeLoader):
    pass


def tag(loader, suffix, node):
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Condition":
        return {"Condition": value}
    return {name: value}


Loader.add_multi_constructor("!", tag)


class NoManagedPolicies:
    """SAM asks IAM for managed policy ARNs only for policies named without an ARN; acebridge names none."""

    def load(self):
        return {}


class Resolver:
    def __init__(self, template, params):
        self.template = template
        self.params = {name: str(spec.get("Default", "")) for name, spec in template.get("Parameters", {}).items()}
        self.params.update(params)
        self.conditions = template.get("Conditions", {})
        self.resources = template.get("Resources", {})

    def name(self, logical):
        res = self.resources[logical]
        prop = NAMED.get(res.get("Type"))
        given = res.get("Properties", {}).get(prop) if prop else None
        return str(self.value(given)) if given is not None else f"*-{logical}-*"

    def ref(self, logical):
        kind = self.resources[logical].get("Type")
        if kind == "AWS::SQS::Queue":
            return f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/{self.name(logical)}"
        if kind in NAMED:
            return self.name(logical)
        return "*"

    def get_att(self, logical, attribute):
        kind = self.resources.get(logical, {}).get("Type")
        if attribute == "Arn" and kind in ARNS:
            return ARNS[kind].format(self.name(logical))
        if attribute == "QueueName" and kind == "AWS::SQS::Queue":
            return self.name(logical)
        return "*"

    def condition(self, name):
        return bool(self.value(self.conditions[name]))

    def value(self, v):
        if isinstance(v, list):
            out = [self.value(x) for x in v]
            return [x for x in out if x is not NO_VALUE]
        if not isinstance(v, dict):
            return v
        if len(v) == 1:
            (k, arg), = v.items()
            if k == "Ref":
                if arg == "AWS::NoValue":
                    return NO_VALUE
                if arg in PSEUDO:
                    return PSEUDO[arg]
                if arg in self.params:
                    return self.params[arg]
                return self.ref(arg) if arg in self.resources else "*"
            if k == "Fn::GetAtt":
                logical, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
                return self.get_att(logical, attribute)
            if k == "Fn::If":
                name, yes, no = arg
                return self.value(yes if self.condition(name) else no)
            if k == "Fn::Equals":
                a, b = (self.value(x) for x in arg)
                return str(a) == str(b)
            if k == "Fn::Not":
                return not self.value(arg[0])
            if k == "Fn::And":
                return all(self.value(x) for x in arg)
            if k == "Fn::Or":
                return any(self.value(x) for x in arg)
            if k == "Condition":
                return self.condition(arg)
            if k == "Fn::Join":
                sep, parts = arg
                return sep.join(str(self.value(p)) for p in self.value(parts))
            if k == "Fn::Select":
                i, items = arg
                items = self.value(items)
                i = int(self.value(i))
                return items[i] if i < len(items) else "*"  # a part of a stack resource's "*"
            if k == "Fn::Split":
                sep, text = arg
                return str(self.value(text)).split(sep)
            if k == "Fn::Sub":
                text, extra = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
                values = {name: self.value(x) for name, x in extra.items()}
                out, rest = "", text
                while "${" in rest:
                    before, _, after = rest.partition("${")
                    name, _, rest = after.partition("}")
                    out += before
                    if name.startswith("!"):
                        out += "${" + name[1:] + "}"
                    elif name in values:
                        out += str(values[name])
                    else:
                        ref = {"Ref": name} if "." not in name else {"Fn::GetAtt": name.split(".", 1)}
                        out += str(self.value(ref))
                return out + rest
        out = {k: self.value(x) for k, x in v.items()}
        return {k: x for k, x in out.items() if x is not NO_VALUE}




def load_source():
    """template.yaml, tags read as intrinsic functions."""
    return yaml.load((ROOT / "template.yaml").read_text(), Loader=Loader)


def sam_transform(source, params):
    """SAM's own transform of the template (what CloudFormation runs before creating anything)."""
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")  # SAM's transform fills in AWS::Region
    # `sam deploy` uploads the code and puts its S3 location in CodeUri before the transform runs.
    for res in source["Resources"].values():
        if res.get("Type") == "AWS::Serverless::Function":
            res.setdefault("Properties", {})["CodeUri"] = "s3://acebridge-artifacts/function.zip"
    return transform(source, params, NoManagedPolicies())
