//! The functions' IAM roles, for tests: each rendered from template.yaml by SAM's own transform
//! (`infra/local/function-policies.py`), and the SDK configuration that makes a test's calls as one
//! function under its role: signed with the function's name as access key id (the emulator and the
//! [`iam_gate`](crate::iam_gate) know its policies by it), and sent through an IAM gate in front of moto.

use crate::iam_gate::Gate;
use serde_json::Value;
use std::path::Path;
use std::sync::OnceLock;

/// The CRM secret the default roles may read (tests create a secret of this name in moto).
pub const CRM_SECRET_ARN: &str =
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:acebridge-crm-AbCdEf";

/// Every function's role for these template parameters (`Name=Value`), by crate name:
/// `{"<function>": {"function": <logical id>, "policies": [...], "aws_managed": [...]}}`.
pub fn rendered_roles(parameters: &[String]) -> Value {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..");
    let out = std::process::Command::new(root.join(".venv/bin/python"))
        .arg(root.join("infra/local/function-policies.py"))
        .args(parameters)
        .output()
        .unwrap_or_else(|e| panic!("the venv's python (make setup): {e}"));
    assert!(
        out.status.success(),
        "function-policies.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("function-policies.py: {e}"))
}

/// A function's policy documents for a HubSpot stack reading the CRM secret [`CRM_SECRET_ARN`] (so that
/// every function and every CRM permission exists), other parameters at the template's defaults.
pub fn role_policies(function: &str) -> Vec<Value> {
    static ROLES: OnceLock<Value> = OnceLock::new();
    let roles = ROLES.get_or_init(|| {
        rendered_roles(&[
            "CrmKind=hubspot".to_string(),
            format!("CrmSecretArn={CRM_SECRET_ARN}"),
        ])
    });
    roles[function]["policies"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| panic!("the template has no function {function}"))
}

/// `sdk` signing with access key id `function`: the name the emulator's IAM and the gate know its
/// role by.
pub fn signing_as(sdk: &aws_config::SdkConfig, function: &str) -> aws_config::SdkConfig {
    sdk.to_builder()
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(
                aws_credential_types::Credentials::new(function, "local", None, None, "role"),
            ),
        )
        .build()
}

/// An IAM gate in front of moto (`AWS_ENDPOINT_URL`) enforcing `policies` for `function`, and `sdk`
/// signing as `function` through it: every S3, DynamoDB, EventBridge, SQS, Secrets Manager and KMS call
/// is decided under the function's role, and one the role does not allow fails with AccessDenied naming
/// both.
pub async fn through_gate(
    sdk: &aws_config::SdkConfig,
    function: &str,
    policies: &[Value],
) -> (Gate, aws_config::SdkConfig) {
    let moto = std::env::var("AWS_ENDPOINT_URL").unwrap_or_else(|_| "http://127.0.0.1:4566".into());
    let gate = Gate::start(&moto)
        .await
        .unwrap_or_else(|e| panic!("iam gate: {e}"));
    gate.allow(function, policies)
        .unwrap_or_else(|e| panic!("{function}'s policies: {e}"));
    let config = signing_as(sdk, function)
        .to_builder()
        .endpoint_url(gate.url())
        .build();
    (gate, config)
}

/// What the gate refused, as `<function> may not <action> on <resource>`.
pub fn refused(gate: &Gate) -> Vec<String> {
    gate.calls()
        .iter()
        .filter(|c| !c.allowed)
        .map(|c| format!("{} may not {} on {}", c.caller, c.action, c.resource))
        .collect()
}
