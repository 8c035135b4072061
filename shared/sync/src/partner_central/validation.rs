//! What to do about a refusal: the fix hint for each `ValidationExceptionErrorCode` of Partner Central
//! (botocore `partnercentral-selling` 2022-07-26 `service-2.json`, shape `ValidationExceptionError`, whose
//! documentation gives a "Fix:" for each code), and for the other refusals acebridge records. The CLI
//! (`acebridge show`) and the console's Failures page show it beside AWS's message.
//!
//! AWS documents a fix for eight of the model's ten codes; the hints for `INVALID_RESOURCE_STATE` and
//! `VALUE_OUT_OF_RANGE` are ours (marked so). A refusal is recorded as its message followed by the code in
//! parentheses (see `FieldError`'s `Display`), which is how a hint is found again in a stored reason.

/// Every `ValidationExceptionErrorCode` of the model, with its hint (`tests/contract` checks this list
/// against the model's enum).
pub const CODES: &[(&str, &str)] = &[
    (
        "REQUIRED_FIELD_MISSING",
        "AWS: include every required field. Fill the field in the CRM record; the change is sent again.",
    ),
    (
        "INVALID_ENUM_VALUE",
        "AWS: use one of the field's accepted values. Pick one of Partner Central's values in the CRM (docs/mapping.md lists them).",
    ),
    (
        "INVALID_STRING_FORMAT",
        "AWS: put the value in the expected format (an email address, a date, digits).",
    ),
    (
        "INVALID_VALUE",
        "AWS: the value must meet the field's criteria and allowed range or set (a target close date in the past is one).",
    ),
    (
        "NOT_ENOUGH_VALUES",
        "AWS: give more values, as many as the field needs at least.",
    ),
    (
        "TOO_MANY_VALUES",
        "AWS: give fewer values, at most as many as the field allows.",
    ),
    (
        "INVALID_RESOURCE_STATE",
        "acebridge: the opportunity is in a state that does not take this change (in review, or closed); acebridge holds the change and sends it when AWS moves it on (Held edits).",
    ),
    (
        "DUPLICATE_KEY_VALUE",
        "AWS: the value must be unique; another record already has it.",
    ),
    (
        "VALUE_OUT_OF_RANGE",
        "acebridge: the value is too long, too short, too small or too large for the field; shorten or correct it.",
    ),
    (
        "ACTION_NOT_PERMITTED",
        "AWS: the action must suit the record's current state and your permissions (a field AWS locks while it reviews the opportunity waits until review ends).",
    ),
];

/// The hint for a stored refusal reason: by the Partner Central code it ends with, else by what
/// acebridge wrote (a conflict, a record missing in Partner Central, an ingest stage). `None`: no hint
/// is known; AWS's message is all there is.
pub fn fix_hint(reason: &str) -> Option<&'static str> {
    if let Some((_, hint)) = CODES
        .iter()
        .find(|(code, _)| reason.contains(&format!("({code})")))
    {
        return Some(hint);
    }
    if reason.contains("ConflictException") || reason.contains("LastModifiedDate") {
        return Some(
            "acebridge: AWS changed the opportunity meanwhile; the next change from the CRM is sent on AWS's current version.",
        );
    }
    if reason.contains("is not in Partner Central") {
        return Some(
            "acebridge: the AWS id on the CRM record is not in this catalog; check the record's AWS id and the stack's catalog (AWS or Sandbox).",
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::partner_central::FieldError;

    #[test]
    fn a_stored_refusal_finds_its_code_hint() {
        let e = FieldError {
            field: Some("LifeCycle.TargetCloseDate".into()),
            code: "INVALID_VALUE".into(),
            message: "must not be in the past".into(),
        };
        let hint = fix_hint(&e.to_string()).unwrap();
        assert!(hint.contains("target close date"));
    }

    #[test]
    fn each_code_is_found_by_itself_and_not_by_a_longer_one() {
        for (code, hint) in CODES {
            assert_eq!(fix_hint(&format!("x ({code})")), Some(*hint), "{code}");
        }
        assert_eq!(fix_hint("no code here"), None);
        assert_eq!(fix_hint("x (INVALID_VALUES)"), None);
    }
}
