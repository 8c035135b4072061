//! Input values quoted in error messages, capped: a 250,000-character value must not become a
//! 250,000-character log line, error report or CRM field.

use std::fmt;

/// How many characters of a value a message quotes.
pub const QUOTED_CHARS: usize = 80;

/// A value as a message quotes it: Rust-escaped, at most [`QUOTED_CHARS`] characters, with the full
/// length said when it was cut (`"aaaa…" (250000 chars)`).
pub struct Quoted<'a>(pub &'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut chars = self.0.char_indices();
        match chars.nth(QUOTED_CHARS) {
            None => write!(f, "{:?}", self.0),
            Some((cut, _)) => write!(
                f,
                "{:?}… ({} chars)",
                &self.0[..cut],
                self.0.chars().count()
            ),
        }
    }
}

impl fmt::Debug for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// How many characters of a message from a parser (serde_json quotes whole values) are kept.
pub const MESSAGE_CHARS: usize = 300;

/// A parser's message, at most [`MESSAGE_CHARS`] characters: a longer one keeps its start and its end
/// (where serde_json says what it expected) and says how much it cut from the middle.
pub fn capped(message: impl Into<String>) -> String {
    let message = message.into();
    let total = message.chars().count();
    if total <= MESSAGE_CHARS {
        return message;
    }
    let (head, tail) = (MESSAGE_CHARS * 2 / 3, MESSAGE_CHARS / 3);
    let start: String = message.chars().take(head).collect();
    let end: String = message.chars().skip(total - tail).collect();
    format!("{start}[… {} chars cut …]{end}", total - head - tail)
}

/// Shorthand for [`Quoted`].
pub fn quoted(s: &str) -> Quoted<'_> {
    Quoted(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_values_are_quoted_whole_and_long_ones_cut_on_a_char_boundary() {
        assert_eq!(quoted("abc").to_string(), "\"abc\"");
        let long = "é".repeat(250_000);
        let q = quoted(&long).to_string();
        assert!(q.len() < 300, "{q}");
        assert!(q.ends_with("… (250000 chars)"), "{q}");
        assert_eq!(capped("short"), "short");
        let c = capped(format!("bad \"{}\", expected a date", "x".repeat(250_000)));
        assert!(c.len() < 400 && c.ends_with("expected a date"), "{c}");
    }
}
