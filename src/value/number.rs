//! `Number`: a cty number without losing precision.
//!
//! Terraform numbers are arbitrary precision decimals. On the wire they arrive as
//! msgpack integers, floats, or decimal strings for values neither can hold exactly,
//! so a `Number` keeps whichever of those it got, and compares numerically.

use std::fmt;

/// A cty number. Equality is numeric: `Int(1) == UInt(1) == Float(1.0) == Big("1.0")`.
#[derive(Clone, Debug)]
pub enum Number {
    /// A signed integer.
    Int(i64),
    /// An unsigned integer, used for values above `i64::MAX`.
    UInt(u64),
    /// A binary float. A float compares to decimals by its shortest round-trip
    /// decimal form, so `Float(0.1) == Big("0.1")`.
    Float(f64),
    /// Exact decimal text such as `"123456789012345678901234567890"` or `"0.1"`:
    /// an optional `-`, digits, an optional fraction and an optional exponent.
    Big(String),
}

/// Text that is not a decimal number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid decimal number")]
pub struct InvalidNumber;

impl Number {
    /// Parses decimal text into the narrowest exact form: `Int`, `UInt`, `Float` when
    /// the float prints back as the same decimal, and `Big` (keeping the text) otherwise.
    pub fn parse(text: &str) -> Result<Number, InvalidNumber> {
        let canonical = Canonical::parse(text).ok_or(InvalidNumber)?;
        let is_plain_integer = text
            .strip_prefix('-')
            .unwrap_or(text)
            .bytes()
            .all(|b| b.is_ascii_digit());
        if is_plain_integer {
            if let Ok(int) = text.parse::<i64>() {
                return Ok(Number::Int(int));
            }
            if let Ok(uint) = text.parse::<u64>() {
                return Ok(Number::UInt(uint));
            }
        }
        if let Ok(float) = text.parse::<f64>() {
            if float.is_finite() && Canonical::of_float(float).as_ref() == Some(&canonical) {
                return Ok(Number::Float(float));
            }
        }
        Ok(Number::Big(text.to_owned()))
    }

    /// The value as an `i64`, when it is an integer in range.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Number::Int(int) => Some(*int),
            Number::UInt(uint) => i64::try_from(*uint).ok(),
            Number::Float(float) => float_to_int(*float).and_then(|i| i64::try_from(i).ok()),
            Number::Big(text) => big_to_int(text).and_then(|i| i64::try_from(i).ok()),
        }
    }

    /// The value as a `u64`, when it is a non-negative integer in range.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Number::Int(int) => u64::try_from(*int).ok(),
            Number::UInt(uint) => Some(*uint),
            Number::Float(float) => float_to_int(*float).and_then(|i| u64::try_from(i).ok()),
            Number::Big(text) => big_to_int(text).and_then(|i| u64::try_from(i).ok()),
        }
    }

    /// The value as an `f64`, rounding if needed; `None` only for invalid `Big` text.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Number::Int(int) => Some(*int as f64),
            Number::UInt(uint) => Some(*uint as f64),
            Number::Float(float) => Some(*float),
            Number::Big(text) => Canonical::parse(text).and(text.parse::<f64>().ok()),
        }
    }

    /// A key whose order agrees with `==`: numbers that are equal have equal keys, whatever
    /// form they are in, so sorting by it groups equal numbers. NaN has a key of its own,
    /// although it equals nothing, so callers still compare with `==` after sorting.
    pub(crate) fn sort_key(&self) -> NumberKey<'_> {
        match (self.canonical(), self) {
            (Some(canonical), _) => NumberKey::Canonical(canonical),
            (None, Number::Big(text)) => NumberKey::Invalid(text),
            (None, _) => NumberKey::NaN,
        }
    }

    /// The canonical decimal form used for comparisons; `None` for invalid text or NaN.
    fn canonical(&self) -> Option<Canonical> {
        match self {
            Number::Int(int) => Canonical::parse(&int.to_string()),
            Number::UInt(uint) => Canonical::parse(&uint.to_string()),
            Number::Float(float) => Canonical::of_float(*float),
            Number::Big(text) => Canonical::parse(text),
        }
    }
}

impl PartialEq for Number {
    fn eq(&self, other: &Number) -> bool {
        match (self, other) {
            (Number::Int(a), Number::Int(b)) => a == b,
            (Number::UInt(a), Number::UInt(b)) => a == b,
            (Number::Int(a), Number::UInt(b)) | (Number::UInt(b), Number::Int(a)) => i128::from(*a) == i128::from(*b),
            (Number::Float(a), Number::Float(b)) => a == b,
            _ => match (self.canonical(), other.canonical()) {
                (Some(a), Some(b)) => a == b,
                // Invalid text equals only the same text, so a value still equals itself.
                (None, None) => match (self, other) {
                    (Number::Big(a), Number::Big(b)) => a == b,
                    _ => false,
                },
                _ => false,
            },
        }
    }
}

/// See [`Number::sort_key`].
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum NumberKey<'a> {
    /// A valid number.
    Canonical(Canonical),
    /// `Big` text that is not a number; equal only to the same text.
    Invalid(&'a str),
    /// A float NaN.
    NaN,
}

/// Decimal text: integers as digits, floats in Rust's shortest round-trip form,
/// `Big` as its text.
impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Number::Int(int) => write!(f, "{int}"),
            Number::UInt(uint) => write!(f, "{uint}"),
            Number::Float(float) => write!(f, "{float:?}"),
            Number::Big(text) => f.write_str(text),
        }
    }
}

impl From<i64> for Number {
    fn from(int: i64) -> Number {
        Number::Int(int)
    }
}

impl From<u64> for Number {
    fn from(uint: u64) -> Number {
        Number::UInt(uint)
    }
}

fn float_to_int(float: f64) -> Option<i128> {
    // Every f64 with no fraction below 2^127 converts exactly.
    if float.fract() == 0.0 && float.abs() < 1.7e38 {
        Some(float as i128)
    } else {
        None
    }
}

fn big_to_int(text: &str) -> Option<i128> {
    let canonical = Canonical::parse(text)?;
    match canonical {
        Canonical::Zero => Some(0),
        Canonical::Finite {
            negative,
            digits,
            exponent,
        } => {
            // digits * 10^exponent is an integer only for a non-negative exponent, and it
            // fits i128 only when it has at most 38 digits.
            let zeros = usize::try_from(exponent).ok()?;
            if digits.len().checked_add(zeros)? > 38 {
                return None;
            }
            let magnitude: i128 = format!("{digits}{}", "0".repeat(zeros)).parse().ok()?;
            Some(if negative { -magnitude } else { magnitude })
        }
        Canonical::Infinite { .. } => None,
    }
}

/// A number as `±digits × 10^exponent` with no leading or trailing zeros in
/// `digits`, so that equal numbers have equal forms whatever text they came from.
/// Its order is structural, not numeric; it only has to agree with equality.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Canonical {
    Zero,
    Finite {
        negative: bool,
        digits: String,
        exponent: i64,
    },
    Infinite {
        negative: bool,
    },
}

impl Canonical {
    /// Parses `-?digits(.digits)?([eE][+-]?digits)?`; `None` for anything else.
    fn parse(text: &str) -> Option<Canonical> {
        let (negative, rest) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (mantissa, exponent_text) = match rest.find(['e', 'E']) {
            Some(at) => (&rest[..at], Some(&rest[at + 1..])),
            None => (rest, None),
        };
        let (integer, fraction) = match mantissa.split_once('.') {
            Some((integer, fraction)) => (integer, fraction),
            None => (mantissa, ""),
        };
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if integer.is_empty()
            || !all_digits(integer)
            || !all_digits(fraction)
            || (mantissa.contains('.') && fraction.is_empty())
        {
            return None;
        }
        let mut exponent: i64 = match exponent_text {
            None => 0,
            Some(exp) => {
                let digits = exp.strip_prefix(['+', '-']).unwrap_or(exp);
                if digits.is_empty() || !all_digits(digits) {
                    return None;
                }
                // Exponents beyond i64 are not numbers we can hold or compare.
                exp.strip_prefix('+').unwrap_or(exp).parse().ok()?
            }
        };
        let fraction_len = i64::try_from(fraction.len()).ok()?;
        exponent = exponent.checked_sub(fraction_len)?;
        let all = format!("{integer}{fraction}");
        let trimmed_left = all.trim_start_matches('0');
        let digits = trimmed_left.trim_end_matches('0');
        if digits.is_empty() {
            return Some(Canonical::Zero);
        }
        let trailing = i64::try_from(trimmed_left.len() - digits.len()).ok()?;
        exponent = exponent.checked_add(trailing)?;
        Some(Canonical::Finite {
            negative,
            digits: digits.to_owned(),
            exponent,
        })
    }

    fn of_float(float: f64) -> Option<Canonical> {
        if float.is_nan() {
            None
        } else if float.is_infinite() {
            Some(Canonical::Infinite { negative: float < 0.0 })
        } else {
            // `{:e}` prints the shortest text that reads back as the same float.
            Canonical::parse(&format!("{float:e}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(a: Number, b: Number, equal: bool) {
        assert_eq!(a == b, equal, "{a:?} == {b:?}");
        assert_eq!(b == a, equal, "{b:?} == {a:?}");
    }

    #[test]
    fn numbers_compare_numerically() {
        let big = |s: &str| Number::Big(s.to_owned());
        check(Number::Int(1), Number::UInt(1), true);
        check(Number::Int(1), Number::Float(1.0), true);
        check(Number::UInt(1), Number::Float(1.0), true);
        check(Number::Int(1), big("1.000"), true);
        check(Number::Int(100), big("1e2"), true);
        check(Number::Int(100), big("0.1E+3"), true);
        check(Number::Int(-1), Number::UInt(u64::MAX), false);
        check(Number::Float(0.1), big("0.1"), true);
        check(Number::Float(0.1), big("0.10000000000000001"), false);
        check(big("0"), big("-0.000"), true);
        check(Number::Float(-0.0), Number::Int(0), true);
        check(
            big("123456789012345678901234567890"),
            big("1.2345678901234567890123456789e29"),
            true,
        );
        check(
            big("123456789012345678901234567890"),
            big("123456789012345678901234567891"),
            false,
        );
        check(big("not a number"), big("not a number"), true);
        check(big("not a number"), Number::Int(0), false);
        check(Number::Float(f64::NAN), Number::Float(f64::NAN), false);
    }

    #[test]
    fn parse_picks_the_narrowest_exact_form() {
        let cases: &[(&str, &str)] = &[
            ("1", "Int(1)"),
            ("-9223372036854775808", "Int(-9223372036854775808)"),
            ("18446744073709551615", "UInt(18446744073709551615)"),
            ("18446744073709551616", "Big(\"18446744073709551616\")"),
            ("1.5", "Float(1.5)"),
            ("0.1", "Float(0.1)"),
            ("1e2", "Float(100.0)"),
            ("0.10000000000000001", "Big(\"0.10000000000000001\")"),
            ("1e400", "Big(\"1e400\")"),
        ];
        for (text, expected) in cases {
            let parsed = Number::parse(text).map(|n| format!("{n:?}"));
            assert_eq!(parsed.as_deref(), Ok(*expected), "{text}");
        }
        for bad in [
            "",
            "-",
            "1.",
            ".5",
            "1e",
            "1e+",
            "0x10",
            "1 ",
            "+1",
            "1e99999999999999999999",
            "--1",
        ] {
            assert_eq!(Number::parse(bad), Err(InvalidNumber), "{bad:?}");
        }
    }

    #[test]
    fn integer_views_are_exact() {
        assert_eq!(Number::Big("1e3".into()).as_i64(), Some(1000));
        assert_eq!(Number::Big("1.5".into()).as_i64(), None);
        assert_eq!(Number::Float(3.0).as_u64(), Some(3));
        assert_eq!(Number::Int(-3).as_u64(), None);
        assert_eq!(Number::Big("1e100".into()).as_i64(), None);
        assert_eq!(Number::Big("1e9999999".into()).as_u64(), None);
    }
}
