"""Every template parameter and output is documented in docs/deploy.md, and every function in the
template has its crate (what a new user walking through the guide would trip over). And DataKmsKeyArn
reaches every place acebridge keeps data and every function's role, so that a resource added later
without it fails here rather than staying under an AWS key in a partner's account that asked for theirs."""
import pathlib, sys, yaml

root = pathlib.Path(__file__).resolve().parents[2]


class Loader(yaml.SafeLoader):
    pass


def any_tag(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_mapping(node, deep=True)


Loader.add_multi_constructor("!", any_tag)
template = yaml.load((root / "template.yaml").read_text(), Loader=Loader)
guide = (root / "docs" / "deploy.md").read_text()
problems = []
for kind in ("Parameters", "Outputs"):
    for name in template.get(kind, {}):
        if f"`{name}`" not in guide:
            problems.append(f"docs/deploy.md does not document the {kind[:-1].lower()} {name}")
for name, res in template["Resources"].items():
    if res.get("Type") == "AWS::Serverless::Function":
        binary = res.get("Metadata", {}).get("BuildProperties", {}).get("Binary")
        if not binary or not (root / "functions" / binary / "Cargo.toml").exists():
            problems.append(f"{name}: no crate functions/{binary}")
# Where each kind of resource names its key.
KEYED = {
    "AWS::DynamoDB::Table": ("SSESpecification", "KMSMasterKeyId"),
    "AWS::SQS::Queue": ("KmsMasterKeyId",),
    "AWS::Logs::LogGroup": ("KmsKeyId",),
    "AWS::S3::Bucket": ("BucketEncryption",),
    "AWS::SNS::Topic": ("KmsMasterKeyId",),
    "AWS::Events::EventBus": ("KmsKeyIdentifier",),
}
keyed = 0
for name, res in template["Resources"].items():
    props = res.get("Properties", {})
    if res.get("Type") in KEYED:
        value = props
        for key in KEYED[res["Type"]]:
            value = value.get(key, {}) if isinstance(value, dict) else {}
        if "DataKmsKeyArn" not in repr(value):
            problems.append(f"{name}: {'.'.join(KEYED[res['Type']])} does not use DataKmsKeyArn")
        keyed += 1
    if res.get("Type") == "AWS::Serverless::Function" and "UseDataKeyPolicy" not in repr(props.get("Policies")):
        problems.append(f"{name}: its policies do not attach UseDataKeyPolicy (DataKmsKeyArn)")
# The chat notifications: each rule matches an outcome event acebridge publishes, reads fields those events
# carry, and renders what Amazon Q Developer in chat applications takes as a custom notification (AWS's
# schema: "version" "1.0", "source" "custom", "content" with a "description").
import json, re
outcomes = (root / "shared" / "sync" / "src" / "ports" / "outcomes.rs").read_text()
kinds = set(re.findall(r'#\[serde\(rename = "([^"]+)"\)\]', outcomes))
chat_rules = 0
for name, res in template["Resources"].items():
    if res.get("Type") != "AWS::Events::Rule" or not name.startswith("Chat"):
        continue
    chat_rules += 1
    props = res["Properties"]
    for dt in props["EventPattern"]["detail-type"]:
        if dt not in kinds:
            problems.append(f"{name}: detail-type {dt!r} is not an outcome acebridge publishes")
    for target in props["Targets"]:
        t = target["InputTransformer"]
        rendered = t["InputTemplate"]
        for var, path in t["InputPathsMap"].items():
            field = path.rsplit(".", 1)[-1]
            if f'"{field}"' not in outcomes:
                problems.append(f"{name}: {path} is not a field of acebridge's outcome events")
            rendered = rendered.replace(f"<{var}>", "sample")
        try:
            n = json.loads(rendered)
            ok = n.get("version") == "1.0" and n.get("source") == "custom" and n["content"]["description"]
            if not ok or "<" in rendered:
                problems.append(f"{name}: not a custom notification: {rendered}")
        except (ValueError, KeyError) as e:
            problems.append(f"{name}: InputTemplate is not a custom notification ({e})")
if chat_rules != 3:
    problems.append(f"expected 3 chat rules, found {chat_rules}")
for p in problems:
    print(p, file=sys.stderr)
print(f"docs check: {len(template['Parameters'])} parameters, {len(template['Outputs'])} outputs documented; "
      f"DataKmsKeyArn on {keyed} data resources and every function; {chat_rules} chat rules render custom notifications" if not problems else "docs check failed")
sys.exit(1 if problems else 0)
