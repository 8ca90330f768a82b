//! Repeating input in messages without repeating all of it.
//!
//! Diagnostics and errors often name the input they are about: an attribute name, a map key,
//! an import ID, a type name. Input comes from configurations, state files and the wire, so it
//! can be megabytes long; every message that echoes it goes through [`quote`] (or
//! [`truncate`]), which keeps the first [`ECHO_MAX_CHARS`] characters and says how long the
//! rest was. A 50 MB attribute name then costs a few hundred bytes in an error, not 50 MB.

use std::borrow::Cow;
use std::fmt;

/// Most characters of one piece of input that a message repeats.
pub const ECHO_MAX_CHARS: usize = 200;

/// `text` quoted and escaped like Rust's `{:?}` (`"a\"b"`), cut after [`ECHO_MAX_CHARS`]
/// characters (never inside a UTF-8 sequence) as `"abc…" (52428800 characters)`.
///
/// The result is at most about 2 KB for any input: 200 characters of up to 10 bytes each once
/// escaped, plus the length note. Never fails.
pub fn quote(text: &str) -> String {
    Quoted(text).to_string()
}

/// `text` unquoted, cut after `max_chars` characters as `abc… (52428800 characters)`;
/// borrowed unchanged when it is short enough.
pub fn truncate(text: &str, max_chars: usize) -> Cow<'_, str> {
    match cut(text, max_chars) {
        (_, None) => Cow::Borrowed(text),
        (prefix, Some(total)) => Cow::Owned(format!("{prefix}… ({total} characters)")),
    }
}

/// `text` as [`quote`] writes it, for use in `format!` and `write!` without an allocation.
#[derive(Clone, Copy)]
pub struct Quoted<'a>(pub &'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match cut(self.0, ECHO_MAX_CHARS) {
            (whole, None) => write!(f, "{whole:?}"),
            (prefix, Some(total)) => {
                let escaped = format!("{prefix:?}");
                // Put the ellipsis inside the quotes, so it reads as part of the text.
                let body = escaped.strip_suffix('"').unwrap_or(&escaped);
                write!(f, "{body}…\" ({total} characters)")
            }
        }
    }
}

/// The first `max_chars` characters of `text`, and the total number of characters when
/// that is not all of it.
pub(crate) fn cut(text: &str, max_chars: usize) -> (&str, Option<usize>) {
    match text.char_indices().nth(max_chars) {
        None => (text, None),
        Some((end, _)) => (&text[..end], Some(text.chars().count())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_escapes_like_debug_and_cuts_long_input_with_its_length() {
        let exactly = "x".repeat(ECHO_MAX_CHARS);
        let over = format!("{exactly}x");
        let cases = [
            ("", "\"\"".to_owned()),
            ("role_names", "\"role_names\"".to_owned()),
            ("a\"b\\c\n", "\"a\\\"b\\\\c\\n\"".to_owned()),
            ("héllo", "\"héllo\"".to_owned()),
            (&exactly, format!("\"{exactly}\"")),
            (&over, format!("\"{exactly}…\" ({} characters)", ECHO_MAX_CHARS + 1)),
        ];
        for (input, expected) in cases {
            assert_eq!(quote(input), expected, "{input:?}");
            assert_eq!(Quoted(input).to_string(), expected);
        }
        let quoted = quote(&"n".repeat(52_428_800));
        assert!(quoted.len() < 300, "{} bytes", quoted.len());
        assert!(quoted.ends_with("…\" (52428800 characters)"), "{quoted}");
    }

    #[test]
    fn cuts_never_split_a_character() {
        // Four-byte characters: a byte-based cut would land inside one.
        let expected = format!("\"{}…\" (1000 characters)", "🦀".repeat(ECHO_MAX_CHARS));
        assert_eq!(quote(&"🦀".repeat(1_000)), expected);
        assert_eq!(truncate(&format!("a{}", "é".repeat(500)), 3), "aéé… (501 characters)");
    }

    #[test]
    fn escapes_stay_bounded() {
        // Control characters escape to up to 10 bytes each; 200 of them still fit in ~2 KB.
        let quoted = quote(&"\u{1}".repeat(100_000));
        assert!(quoted.len() < 2_100, "{} bytes", quoted.len());
        assert!(quoted.starts_with("\"\\u{1}"), "{quoted}");
    }

    #[test]
    fn truncate_borrows_short_text() {
        assert!(matches!(truncate("abc", 3), Cow::Borrowed("abc")));
        assert_eq!(truncate("abcd", 3), "abc… (4 characters)");
        assert_eq!(truncate("", 0), "");
    }
}
