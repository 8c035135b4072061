//! The notifier's settings, read once at start: which kinds are sent and where (environment), and the
//! targets' credentials (one Secrets Manager secret, never the environment or the template). Parsed, not
//! validated later: a bad setting stops the start with the variable or secret field named.
//!
//! Environment:
//! - `NOTIFY_KINDS`: changes to the default kinds, `+decision,-sync-failed` (see [`Switches::parse`]);
//! - `NOTIFY_SLACK_CHANNEL`: the default Slack channel id (Web API);
//! - `NOTIFY_SLACK_ROUTES`: a channel per kind, `sync-failed=C0FAILURES,invitation-received=C0REFERRALS`.
//!
//! When an expiring invitation is notified is `partner-central-events`' `EXPIRING_WITHIN_HOURS` (its
//! `Referral Expiring` outcome), not a setting here.
//!
//! Secret (JSON; each field optional, at least one target):
//! `{"slack_bot_token": "xoxb-…", "slack_webhook_url": "https://hooks.slack.com/services/…",
//!   "teams_workflow_url": "https://…", "teams_routes": {"sync-failed": "https://…"}}`.

use crate::deliver::{SlackWebApi, SlackWebhook, TeamsWorkflow};
use crate::dispatch::{SlackTarget, Targets};
use crate::notice::{NoticeKind, Switches};
use acebridge_crm::http::HttpClient;
use serde::Deserialize;
use std::collections::BTreeMap;

/// A setting that cannot be used, naming where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// The environment's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Which kinds are sent.
    pub kinds: Switches,
    /// The default Slack channel (Web API).
    pub slack_channel: Option<String>,
    /// Slack channel per kind.
    pub slack_routes: BTreeMap<NoticeKind, String>,
}

/// The secret's fields.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Secret {
    /// Slack bot token (`xoxb-…`).
    pub slack_bot_token: Option<String>,
    /// Slack incoming webhook URL.
    pub slack_webhook_url: Option<String>,
    /// Teams Workflows webhook URL (the default).
    pub teams_workflow_url: Option<String>,
    /// Teams workflow per kind name.
    #[serde(default)]
    pub teams_routes: BTreeMap<String, String>,
}

fn kind_named(name: &str, what: &str) -> Result<NoticeKind, ConfigError> {
    NoticeKind::parse(name.trim()).ok_or_else(|| {
        let names: Vec<&str> = NoticeKind::ALL.iter().map(|k| k.name()).collect();
        ConfigError(format!(
            "{what}: {name:?} is not a notice kind (one of {})",
            names.join(", ")
        ))
    })
}

/// A Slack channel id: `C…`, `G…` (private) or `D…` (direct), letters and digits.
fn channel_id(id: &str, what: &str) -> Result<String, ConfigError> {
    let id = id.trim();
    let ok = id.len() >= 9
        && matches!(id.as_bytes()[0], b'C' | b'G' | b'D')
        && id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if ok {
        Ok(id.to_string())
    } else {
        Err(ConfigError(format!(
            "{what}: {id:?} is not a Slack channel id (like C0123456789: the channel's details, at the bottom)"
        )))
    }
}

impl Settings {
    /// From the environment (`var` reads one variable).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Settings, ConfigError> {
        let kinds = Switches::parse(&var("NOTIFY_KINDS").unwrap_or_default())
            .map_err(|e| ConfigError(format!("NOTIFY_KINDS: {e}")))?;
        let slack_channel = var("NOTIFY_SLACK_CHANNEL")
            .filter(|s| !s.trim().is_empty())
            .map(|c| channel_id(&c, "NOTIFY_SLACK_CHANNEL"))
            .transpose()?;
        let mut slack_routes = BTreeMap::new();
        for item in var("NOTIFY_SLACK_ROUTES")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let Some((kind, channel)) = item.split_once('=') else {
                return Err(ConfigError(format!(
                    "NOTIFY_SLACK_ROUTES: {item:?} is not kind=channel"
                )));
            };
            slack_routes.insert(
                kind_named(kind, "NOTIFY_SLACK_ROUTES")?,
                channel_id(channel, "NOTIFY_SLACK_ROUTES")?,
            );
        }
        Ok(Settings {
            kinds,
            slack_channel,
            slack_routes,
        })
    }
}

fn url(u: &str, what: &str) -> Result<String, ConfigError> {
    let local = u.starts_with("http://127.0.0.1:") || u.starts_with("http://localhost:");
    if u.starts_with("https://") || local {
        Ok(u.to_string())
    } else {
        Err(ConfigError(format!(
            "notification secret, {what}: not an https URL"
        )))
    }
}

/// The targets the secret and settings describe. `base_url`: Slack's Web API (`https://slack.com/api`, a
/// local server in tests and the demo).
pub fn targets(
    settings: &Settings,
    secret_json: &str,
    http: &HttpClient,
    slack_api: &str,
) -> Result<Targets, ConfigError> {
    // The secret's text is never echoed: only the field serde names.
    let secret: Secret = serde_json::from_str(secret_json).map_err(|e| {
        ConfigError(format!(
            "notification secret: not the expected JSON (line {}, column {}: {})",
            e.line(),
            e.column(),
            match e.classify() {
                serde_json::error::Category::Data => "an unknown or mistyped field",
                _ => "not JSON",
            }
        ))
    })?;
    let slack = match (&secret.slack_bot_token, &secret.slack_webhook_url) {
        (Some(_), Some(_)) => {
            return Err(ConfigError(
                "notification secret: slack_bot_token and slack_webhook_url both set; keep one"
                    .into(),
            ));
        }
        (Some(token), None) => {
            if !token.starts_with("xoxb-") {
                return Err(ConfigError(
                    "notification secret, slack_bot_token: not a bot token (xoxb-…)".into(),
                ));
            }
            let channel = settings.slack_channel.clone().ok_or_else(|| {
                ConfigError("NOTIFY_SLACK_CHANNEL: needed with a Slack bot token".into())
            })?;
            Some(SlackTarget::Api {
                api: SlackWebApi {
                    http: http.clone(),
                    base_url: slack_api.to_string(),
                    token: token.clone(),
                },
                channel,
                routes: settings.slack_routes.clone(),
            })
        }
        (None, Some(u)) => Some(SlackTarget::Webhook(SlackWebhook {
            http: http.clone(),
            url: url(u, "slack_webhook_url")?,
        })),
        (None, None) => None,
    };
    let teams = match &secret.teams_workflow_url {
        Some(u) => {
            let flow = |u: &str, what: &str| -> Result<TeamsWorkflow, ConfigError> {
                Ok(TeamsWorkflow {
                    http: http.clone(),
                    url: url(u, what)?,
                })
            };
            let mut routes = BTreeMap::new();
            for (kind, u) in &secret.teams_routes {
                routes.insert(
                    kind_named(kind, "notification secret, teams_routes")?,
                    flow(u, "teams_routes")?,
                );
            }
            Some((flow(u, "teams_workflow_url")?, routes))
        }
        None if !secret.teams_routes.is_empty() => {
            return Err(ConfigError(
                "notification secret: teams_routes without teams_workflow_url".into(),
            ));
        }
        None => None,
    };
    if slack.is_none() && teams.is_none() {
        return Err(ConfigError(
            "notification secret: no target (slack_bot_token, slack_webhook_url or teams_workflow_url)"
                .into(),
        ));
    }
    Ok(Targets {
        slack,
        teams,
        switches: settings.kinds.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    fn http() -> HttpClient {
        HttpClient::new(
            "slack",
            acebridge_crm::http::RetryPolicy::fast(),
            acebridge_clock::TestClock::suite().clock(),
        )
        .unwrap()
    }

    #[test]
    fn settings_are_read_with_their_defaults_and_bad_ones_named() {
        let s = Settings::from_vars(vars(&[])).unwrap();
        assert!(s.kinds.is_on(NoticeKind::SyncFailed));
        let s = Settings::from_vars(vars(&[
            ("NOTIFY_SLACK_CHANNEL", "C0123456789"),
            ("NOTIFY_SLACK_ROUTES", "sync-failed=C0FAILURES1"),
            ("NOTIFY_KINDS", "+decision"),
        ]))
        .unwrap();
        assert_eq!(s.slack_routes[&NoticeKind::SyncFailed], "C0FAILURES1");
        for (k, v, says) in [
            ("NOTIFY_SLACK_CHANNEL", "#general", "not a Slack channel id"),
            (
                "NOTIFY_SLACK_ROUTES",
                "failures=C0FAILURES1",
                "not a notice kind",
            ),
            ("NOTIFY_SLACK_ROUTES", "sync-failed", "not kind=channel"),
            ("NOTIFY_KINDS", "-everything", "not one of"),
        ] {
            let e = Settings::from_vars(vars(&[(k, v)])).unwrap_err().0;
            assert!(e.starts_with(k) && e.contains(says), "{e}");
        }
    }

    #[test]
    fn the_secret_gives_the_targets_and_never_echoes_itself() {
        let s = Settings::from_vars(vars(&[("NOTIFY_SLACK_CHANNEL", "C0123456789")])).unwrap();
        let t = targets(
            &s,
            r#"{"slack_bot_token": "xoxb-1-2-abc", "teams_workflow_url": "https://example.invalid/w",
                "teams_routes": {"sync-failed": "https://example.invalid/f"}}"#,
            &http(),
            "https://slack.com/api",
        )
        .unwrap();
        assert!(matches!(t.slack, Some(SlackTarget::Api { .. })));
        assert_eq!(t.teams.as_ref().unwrap().1.len(), 1);
        for (secret, says) in [
            (
                r#"{"slack_bot_token": "xoxp-user-token"}"#,
                "not a bot token",
            ),
            (
                r#"{"slack_webhook_url": "http://hooks.slack.com/x"}"#,
                "not an https URL",
            ),
            (
                r#"{"slack_bot_token": "xoxb-1", "slack_webhook_url": "https://h/x"}"#,
                "keep one",
            ),
            (r#"{}"#, "no target"),
            (
                r#"{"teams_url": "https://secret-sig"}"#,
                "unknown or mistyped",
            ),
            (
                r#"{"teams_routes": {"x": "https://a"}}"#,
                "without teams_workflow_url",
            ),
            (r#"xoxb-raw-token"#, "not JSON"),
        ] {
            let e = targets(&s, secret, &http(), "https://slack.com/api")
                .unwrap_err()
                .0;
            assert!(e.contains(says), "{secret}: {e}");
            assert!(!e.contains("secret-sig") && !e.contains("xoxb-raw"), "{e}");
        }
        let no_channel = Settings::from_vars(vars(&[])).unwrap();
        let e = targets(
            &no_channel,
            r#"{"slack_bot_token": "xoxb-1"}"#,
            &http(),
            "x",
        )
        .unwrap_err();
        assert!(e.0.starts_with("NOTIFY_SLACK_CHANNEL"), "{e}");
    }
}
