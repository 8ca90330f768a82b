//! [`Number`]: a cty number without losing precision.
//!
//! Terraform numbers are arbitrary precision decimals, or infinite (`1/0`). On the wire they
//! arrive as msgpack integers, floats, or decimal strings for values neither can hold exactly,
//! and in state as JSON numbers. A finite `Number` keeps the exact decimal text in a
//! `serde_json::Number` (whose `arbitrary_precision` feature stores text), and compares
//! numerically.

use std::fmt;

/// A cty number. Equality is numeric: `1`, `1.0`, `1e0` and `0.1E+1` are one number.
#[derive(Clone, Debug)]
pub struct Number(Repr);

#[derive(Clone, Debug)]
enum Repr {
    /// JSON number text whose exponent fits an `i64` (see [`Number::decimal`]).
    Finite(serde_json::Number),
    Infinite {
        negative: bool,
    },
}

/// Text that is not a decimal number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid decimal number")]
pub struct InvalidNumber;

impl Number {
    /// Parses JSON number syntax (`-?digits(.digits)?([eE][+-]?digits)?`, no leading zeros),
    /// keeping the digits as they are; serde_json writes an exponent as `e+N` or `e-N`.
    /// Exponents beyond `i64` are invalid: no number we could compare.
    pub fn parse(text: &str) -> Result<Number, InvalidNumber> {
        Number::decimal(text.parse().map_err(|_| InvalidNumber)?)
    }

    /// A number from serde_json's, when its exponent fits an `i64`.
    pub(crate) fn decimal(number: serde_json::Number) -> Result<Number, InvalidNumber> {
        let number = Number(Repr::Finite(number));
        number.key().map(|_| number).ok_or(InvalidNumber)
    }

    /// A float, exactly: its shortest round-trip text, or an infinity; `None` for NaN.
    pub fn from_f64(float: f64) -> Option<Number> {
        match serde_json::Number::from_f64(float) {
            Some(finite) => Some(Number(Repr::Finite(finite))),
            None if float.is_infinite() => Some(Number(Repr::Infinite { negative: float < 0.0 })),
            None => None,
        }
    }

    /// The decimal text, when finite.
    pub(crate) fn as_json(&self) -> Option<&serde_json::Number> {
        match &self.0 {
            Repr::Finite(number) => Some(number),
            Repr::Infinite { .. } => None,
        }
    }

    /// The value as an `i64`, when it is an integer in range (`1e3` and `3.0` are).
    pub fn as_i64(&self) -> Option<i64> {
        self.as_i128().and_then(|int| i64::try_from(int).ok())
    }

    /// The value as a `u64`, when it is a non-negative integer in range.
    pub fn as_u64(&self) -> Option<u64> {
        self.as_i128().and_then(|int| u64::try_from(int).ok())
    }

    /// The nearest `f64`; `None` for a finite number beyond its range.
    pub fn as_f64(&self) -> Option<f64> {
        match &self.0 {
            Repr::Finite(number) => number.as_f64(),
            Repr::Infinite { negative } => Some(if *negative { f64::NEG_INFINITY } else { f64::INFINITY }),
        }
    }

    fn as_i128(&self) -> Option<i128> {
        let Some(NumberKey::Finite(negative, digits, exponent)) = self.key() else {
            return None;
        };
        // digits × 10^exponent is an integer only for a non-negative exponent, and it fits an
        // i128 only with at most 38 digits.
        let zeros = usize::try_from(exponent).ok()?;
        if digits.len().checked_add(zeros)? > 38 {
            return None;
        }
        let magnitude: i128 = format!("0{digits}{}", "0".repeat(zeros)).parse().ok()?;
        Some(if negative { -magnitude } else { magnitude })
    }

    /// A key whose order agrees with `==`, so that sorting by it groups equal numbers: finite
    /// numbers as `±digits × 10^exponent` with no leading or trailing zeros in `digits` (zero
    /// has none). `None` only for text with an exponent beyond `i64`, which [`Number::decimal`]
    /// refuses.
    pub(crate) fn key(&self) -> Option<NumberKey> {
        let text = match &self.0 {
            Repr::Finite(number) => number.as_str(),
            Repr::Infinite { negative } => return Some(NumberKey::Infinite(*negative)),
        };
        let (negative, text) = text.strip_prefix('-').map_or((false, text), |rest| (true, rest));
        let (mantissa, exponent) = text.split_once(['e', 'E']).unwrap_or((text, "0"));
        let exponent: i64 = exponent.strip_prefix('+').unwrap_or(exponent).parse().ok()?;
        let (integer, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let all = format!("{integer}{fraction}");
        let trimmed = all.trim_start_matches('0');
        let digits = trimmed.trim_end_matches('0');
        if digits.is_empty() {
            return Some(NumberKey::Finite(false, String::new(), 0));
        }
        let trailing = i64::try_from(trimmed.len() - digits.len()).ok()?;
        let exponent = exponent
            .checked_sub(i64::try_from(fraction.len()).ok()?)?
            .checked_add(trailing)?;
        Some(NumberKey::Finite(negative, digits.to_owned(), exponent))
    }
}

/// See [`Number::key`]. Its order is structural, not numeric; it only has to agree with `==`.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum NumberKey {
    /// Negative, significant digits, exponent.
    Finite(bool, String, i64),
    /// Negative.
    Infinite(bool),
}

impl PartialEq for Number {
    fn eq(&self, other: &Number) -> bool {
        self.key() == other.key()
    }
}

/// The decimal text (see [`Number::parse`]); infinities as `inf` and `-inf`.
impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Finite(number) => f.write_str(number.as_str()),
            Repr::Infinite { negative } => f.write_str(if *negative { "-inf" } else { "inf" }),
        }
    }
}

impl From<i64> for Number {
    fn from(int: i64) -> Number {
        Number(Repr::Finite(int.into()))
    }
}

impl From<u64> for Number {
    fn from(uint: u64) -> Number {
        Number(Repr::Finite(uint.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(text: &str) -> Number {
        Number::parse(text).unwrap_or_else(|_| panic!("{text:?} is not a number"))
    }

    fn float(float: f64) -> Number {
        Number::from_f64(float).unwrap_or_else(|| panic!("{float} is NaN"))
    }

    #[test]
    fn numbers_compare_numerically() {
        let cases = [
            (num("1"), Number::from(1u64), true),
            (num("1"), float(1.0), true),
            (num("1"), num("1.000"), true),
            (num("100"), num("1e2"), true),
            (num("100"), num("0.1E+3"), true),
            (num("-1"), Number::from(u64::MAX), false),
            (float(0.1), num("0.1"), true),
            (float(0.1), num("0.10000000000000001"), false),
            (num("0"), num("-0.000"), true),
            (float(-0.0), num("0"), true),
            (float(f64::INFINITY), float(f64::INFINITY), true),
            (float(f64::INFINITY), float(f64::NEG_INFINITY), false),
            (float(f64::INFINITY), num("1e308"), false),
            (
                num("123456789012345678901234567890"),
                num("1.2345678901234567890123456789e29"),
                true,
            ),
            (
                num("123456789012345678901234567890"),
                num("123456789012345678901234567891"),
                false,
            ),
        ];
        for (a, b, equal) in cases {
            assert_eq!(a == b, equal, "{a:?} == {b:?}");
            assert_eq!(b == a, equal, "{b:?} == {a:?}");
        }
        assert_eq!(Number::from_f64(f64::NAN), None);
    }

    #[test]
    fn parse_keeps_the_text_of_json_numbers_only() {
        let kept = [
            ("1", "1"),
            ("-9223372036854775808", "-9223372036854775808"),
            ("0.10", "0.10"),
        ];
        let exponents = [("1e400", "1e+400"), ("1E+2", "1e+2"), ("2.5e-3", "2.5e-3")];
        for (text, shown) in kept.into_iter().chain(exponents) {
            assert_eq!(num(text).to_string(), shown);
        }
        // Split at `|`: the empty text, a lone minus, … and a trailing space.
        for bad in "|-|1.|.5|1e|1e+|0x10|1 |+1|1e99999999999999999999|--1|inf".split('|') {
            assert_eq!(Number::parse(bad), Err(InvalidNumber), "{bad:?}");
        }
        assert_eq!(float(f64::NEG_INFINITY).to_string(), "-inf");
    }

    #[test]
    fn integer_views_are_exact() {
        assert_eq!(num("1e3").as_i64(), Some(1000));
        assert_eq!(num("1.5").as_i64(), None);
        assert_eq!(float(3.0).as_u64(), Some(3));
        assert_eq!(num("-3").as_u64(), None);
        assert_eq!(num("1e100").as_i64(), None);
        assert_eq!(num("1e9999999").as_u64(), None);
        assert_eq!(num("-0.0").as_i64(), Some(0));
        assert_eq!(float(f64::INFINITY).as_i64(), None);
    }
}
