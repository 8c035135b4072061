//! Identifier and catalog newtypes. Parse, don't validate: a value of these types is always well formed.
//!
//! Ids that AWS assigns are accepted as AWS sends them (its own samples use placeholders such as
//! `OXXXXXX`); `is_standard()` says whether an id has the documented shape, which validation checks for
//! ids *we* send.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Why a string is not an identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{kind} must be 1 to {max} characters without spaces, got {}",
    crate::quoted(value)
)]
pub struct IdError {
    kind: &'static str,
    max: usize,
    value: String,
}

macro_rules! id_type {
    ($(#[$m:meta])* $name:ident, $kind:literal, $max:literal, $standard:expr) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Parses an identifier: trimmed, non-empty, no inner whitespace, bounded length.
            pub fn parse(s: &str) -> Result<Self, IdError> {
                let t = s.trim();
                if t.is_empty() || t.len() > $max || t.chars().any(char::is_whitespace) {
                    return Err(IdError { kind: $kind, max: $max, value: s.to_string() });
                }
                Ok($name(t.to_string()))
            }

            /// The identifier as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// True when the identifier has its documented shape.
            pub fn is_standard(&self) -> bool {
                let f: fn(&str) -> bool = $standard;
                f(&self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                $name::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

fn prefixed_digits(s: &str, prefix: char, max_digits: usize) -> bool {
    s.strip_prefix(prefix).is_some_and(|d| {
        !d.is_empty() && d.len() <= max_digits && d.bytes().all(|b| b.is_ascii_digit())
    })
}

id_type!(
    /// Partner Central / ACE opportunity id (`O` + up to 19 digits).
    OpportunityId, "opportunity id", 64, |s| prefixed_digits(s, 'O', 19)
);
id_type!(
    /// ACE lead id (`L…`, at most 18 characters).
    LeadId, "lead id", 64, |s| s.starts_with('L') && s.len() <= 18
);
id_type!(
    /// Engagement invitation id (`engi-` + 13 lowercase alphanumerics) or its ARN.
    InvitationId, "invitation id", 2048, |s| {
        let id = s.rsplit('/').next().unwrap_or(s);
        id.strip_prefix("engi-").is_some_and(|r| {
            r.len() == 13 && r.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
    }
);
id_type!(
    /// Engagement id (`eng-…`).
    EngagementId, "engagement id", 2048, |s| s.starts_with("eng-")
);
id_type!(
    /// The partner's id in its own CRM (`partnerCrmUniqueIdentifier`, API `PartnerOpportunityIdentifier`).
    CrmId, "CRM id", 64, |_| true
);

/// Partner Central catalog: `AWS` (production) or `Sandbox` (testing). Data of the two never mixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Catalog {
    /// Production.
    Aws,
    /// Testing.
    Sandbox,
}

/// Not a catalog name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("catalog must be \"AWS\" or \"Sandbox\", got {0:?}")]
pub struct CatalogError(String);

impl Catalog {
    /// Parses `AWS` or `Sandbox` (exact spelling, as the API wants it).
    pub fn parse(s: &str) -> Result<Self, CatalogError> {
        match s {
            "AWS" => Ok(Catalog::Aws),
            "Sandbox" => Ok(Catalog::Sandbox),
            other => Err(CatalogError(other.to_string())),
        }
    }

    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Catalog::Aws => "AWS",
            Catalog::Sandbox => "Sandbox",
        }
    }
}

impl fmt::Display for Catalog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Catalog {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Catalog {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Catalog::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// The partner's ACE id (`spmsId`, the Partner ID in `ace-apn-<id>-…`): up to 10 digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PartnerId(String);

/// Not a partner id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("partner id (spmsId) must be 1 to 10 digits, got {0:?}")]
pub struct PartnerIdError(String);

impl PartnerId {
    /// Parses a partner id: 1 to 10 digits.
    pub fn parse(s: &str) -> Result<Self, PartnerIdError> {
        let t = s.trim();
        if t.is_empty() || t.len() > 10 || !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PartnerIdError(s.to_string()));
        }
        Ok(PartnerId(t.to_string()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_and_know_their_shape() {
        assert!(OpportunityId::parse("O1234567").unwrap().is_standard());
        assert!(!OpportunityId::parse("OXXXXXX").unwrap().is_standard());
        assert!(OpportunityId::parse(" ").is_err());
        assert!(OpportunityId::parse("O1 2").is_err());
        assert!(
            InvitationId::parse("engi-v7p8z56whnauo")
                .unwrap()
                .is_standard()
        );
        assert!(
            InvitationId::parse(
                "arn:aws:partnercentral:us-east-1::catalog/AWS/engagement-invitation/engi-v7p8z56whnauo"
            )
            .unwrap()
            .is_standard()
        );
        assert_eq!(Catalog::parse("Sandbox").unwrap(), Catalog::Sandbox);
        assert!(Catalog::parse("aws").is_err());
        assert!(PartnerId::parse("1588143").is_ok());
        assert!(PartnerId::parse("spmsId").is_err());
    }
}
