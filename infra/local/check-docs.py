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
for p in problems:
    print(p, file=sys.stderr)
print(f"docs check: {len(template['Parameters'])} parameters, {len(template['Outputs'])} outputs documented; "
      f"DataKmsKeyArn on {keyed} data resources and every function" if not problems else "docs check failed")
sys.exit(1 if problems else 0)
