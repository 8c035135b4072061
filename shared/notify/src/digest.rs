//! The daily co-sell digest's content, independent of the platform: titled sections of lines. What goes in
//! it is gathered by the digest job; [`crate::slack::digest`] and [`crate::teams::digest`] render it, split
//! at each platform's limits.

/// The digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digest {
    /// Headline ("Co-sell digest, <date>").
    pub title: String,
    /// The stack, catalog and time zone it was made for.
    pub subtitle: String,
    /// Its sections, in order.
    pub sections: Vec<Section>,
}

/// One section: a heading and its lines (plain text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// Heading ("Pending invitations").
    pub heading: String,
    /// One line per item.
    pub lines: Vec<String>,
    /// What is said when there are no lines ("No pending invitations").
    pub empty: String,
}

impl Digest {
    /// One line for a notification: how many items each section holds.
    pub fn summary(&self) -> String {
        let counts: Vec<String> = self
            .sections
            .iter()
            .map(|s| format!("{}: {}", s.heading, s.lines.len()))
            .collect();
        format!("{} ({})", self.title, counts.join(", "))
    }
}

/// A digest of `sections` sections of `lines` lines of about `width` characters, for the split tests.
#[cfg(test)]
pub(crate) fn filled(sections: usize, lines: usize, width: usize) -> Digest {
    Digest {
        title: "Co-sell digest".into(),
        subtitle: "sub".into(),
        sections: (0..sections)
            .map(|i| Section {
                heading: format!("Section {i}"),
                lines: (0..lines)
                    .map(|j| format!("line {i}-{j} {}", "x".repeat(width)))
                    .collect(),
                empty: "none".into(),
            })
            .collect(),
    }
}
