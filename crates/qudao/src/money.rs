//! Exact money: `i64` minor units of one currency, parsed from decimal text without rounding.
//!
//! `"12.34"` in CNY (exponent 2) is `1234`. Text with more decimals than the currency has is an
//! error, never a silent rounding; sums that leave `i64` are errors. Accumulate in `i128` and
//! narrow once with [`narrow`].

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A currency: its ISO 4217 code and the number of decimal digits of its minor unit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Currency {
    /// ISO 4217 code, e.g. `CNY`.
    pub code: String,
    /// Digits after the decimal point: 2 for CNY, 0 for JPY, 3 for KWD.
    pub exponent: u8,
}

impl Currency {
    /// A currency with an explicit exponent (0..=6).
    pub fn new(code: &str, exponent: u8) -> crate::Result<Self> {
        if exponent > 6 {
            return Err(crate::Error::invalid_argument(
                "exponent",
                format!("{exponent} is more than 6 decimal digits"),
            ));
        }
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(crate::Error::invalid_argument(
                "code",
                format!("{code:?} is not a three-letter upper-case ISO 4217 code"),
            ));
        }
        Ok(Currency {
            code: code.to_owned(),
            exponent,
        })
    }

    /// A known ISO 4217 currency by code, with its standard exponent.
    ///
    /// ```
    /// let cny = qudao::money::Currency::from_code("CNY").unwrap();
    /// assert_eq!(cny.exponent, 2);
    /// assert_eq!(qudao::money::Currency::from_code("JPY").unwrap().exponent, 0);
    /// ```
    pub fn from_code(code: &str) -> crate::Result<Self> {
        let exponent = match code {
            "JPY" | "KRW" | "VND" | "CLP" | "ISK" | "UGX" | "XAF" | "XOF" => 0,
            "KWD" | "BHD" | "OMR" | "JOD" | "TND" | "LYD" | "IQD" => 3,
            "CNY" | "USD" | "EUR" | "GBP" | "HKD" | "TWD" | "SGD" | "AUD" | "CAD" | "CHF"
            | "INR" | "MYR" | "THB" | "PHP" | "IDR" | "NZD" | "SEK" | "NOK" | "DKK" | "MXN"
            | "BRL" | "ZAR" | "RUB" | "PLN" | "CZK" | "HUF" | "TRY" | "AED" | "SAR" | "MOP" => 2,
            other => {
                return Err(crate::Error::invalid_argument(
                    "currency",
                    format!("unknown currency {other:?}; give its exponent explicitly"),
                ));
            }
        };
        Currency::new(code, exponent)
    }

    /// Chinese yuan, the default currency of the sample company.
    pub fn cny() -> Self {
        Currency {
            code: "CNY".into(),
            exponent: 2,
        }
    }

    /// Parse decimal text into minor units of this currency. See [`parse_minor`].
    pub fn parse(&self, text: &str) -> Result<i64, MoneyError> {
        parse_minor(text.as_bytes(), self.exponent)
    }

    /// Format minor units as decimal text with exactly `exponent` decimals.
    ///
    /// ```
    /// let cny = qudao::money::Currency::cny();
    /// assert_eq!(cny.format(-1205), "-12.05");
    /// ```
    pub fn format(&self, minor: i64) -> String {
        format_minor(minor as i128, self.exponent)
    }

    /// Convert an exact decimal to minor units, failing if it has more decimals than allowed.
    pub fn from_decimal(&self, value: Decimal) -> Result<i64, MoneyError> {
        let v = value.normalize();
        if v.scale() > u32::from(self.exponent) {
            return Err(MoneyError::TooManyDecimals {
                allowed: self.exponent,
            });
        }
        let scaled = v
            .checked_mul(Decimal::from(10i64.pow(u32::from(self.exponent))))
            .ok_or(MoneyError::Overflow)?;
        i64::try_from(scaled).map_err(|_| MoneyError::Overflow)
    }

    /// Minor units as an exact decimal in major units.
    pub fn to_decimal(&self, minor: i64) -> Decimal {
        Decimal::new(minor, u32::from(self.exponent))
    }
}

impl Default for Currency {
    fn default() -> Self {
        Currency::cny()
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code)
    }
}

/// Why a money text could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MoneyError {
    /// Empty text where an amount is required.
    #[error("empty amount")]
    Empty,
    /// Not a plain decimal number (`-12.34`; no exponent, no thousands separators).
    #[error("not a decimal number")]
    Invalid,
    /// More decimal digits than the currency has.
    #[error("more than {allowed} decimal digits (the currency's minor unit); not rounding")]
    TooManyDecimals {
        /// The currency's exponent.
        allowed: u8,
    },
    /// The amount does not fit in `i64` minor units.
    #[error("amount out of range")]
    Overflow,
}

/// Parse a plain decimal (`[+-]digits[.digits]`, surrounding spaces allowed) into minor units.
///
/// Trailing zeros beyond the exponent are accepted (`"1.230"` is `123` at exponent 2); any
/// other extra digit is [`MoneyError::TooManyDecimals`].
///
/// ```
/// use qudao::money::{parse_minor, MoneyError};
/// assert_eq!(parse_minor(b"12.34", 2), Ok(1234));
/// assert_eq!(parse_minor(b"-0.5", 2), Ok(-50));
/// assert_eq!(parse_minor(b"7", 0), Ok(7));
/// assert_eq!(parse_minor(b"1.234", 2), Err(MoneyError::TooManyDecimals { allowed: 2 }));
/// ```
pub fn parse_minor(text: &[u8], exponent: u8) -> Result<i64, MoneyError> {
    let text = trim_ascii(text);
    if text.is_empty() {
        return Err(MoneyError::Empty);
    }
    let (negative, digits) = match text[0] {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() {
        return Err(MoneyError::Invalid);
    }
    // The magnitude in u64, so that i64::MIN's fits before the sign is applied (and the loop
    // stays in 64-bit arithmetic: this runs for every money cell of a file).
    const LIMIT: u64 = 1 << 63;
    let mut acc: u64 = 0;
    let mut seen_digit = false;
    let mut decimals: u32 = 0;
    let mut in_fraction = false;
    for &b in digits {
        match b {
            b'0'..=b'9' => {
                seen_digit = true;
                let d = u64::from(b - b'0');
                if in_fraction {
                    if decimals >= u32::from(exponent) {
                        if d != 0 {
                            return Err(MoneyError::TooManyDecimals { allowed: exponent });
                        }
                        continue;
                    }
                    decimals += 1;
                }
                acc = match acc.checked_mul(10).and_then(|a| a.checked_add(d)) {
                    Some(a) if a <= LIMIT => a,
                    _ => return Err(MoneyError::Overflow),
                };
            }
            b'.' if !in_fraction => in_fraction = true,
            _ => return Err(MoneyError::Invalid),
        }
    }
    if !seen_digit {
        return Err(MoneyError::Invalid);
    }
    let acc = 10u64
        .checked_pow(u32::from(exponent) - decimals)
        .and_then(|scale| acc.checked_mul(scale))
        .ok_or(MoneyError::Overflow)?;
    if negative {
        // Down to i64::MIN, whose magnitude is LIMIT.
        0i64.checked_sub_unsigned(acc).ok_or(MoneyError::Overflow)
    } else {
        i64::try_from(acc).map_err(|_| MoneyError::Overflow)
    }
}

/// Format an `i128` amount of minor units as decimal text.
pub fn format_minor(minor: i128, exponent: u8) -> String {
    let negative = minor < 0;
    let abs = minor.unsigned_abs();
    if exponent == 0 {
        return format!("{}{abs}", if negative { "-" } else { "" });
    }
    let scale = 10u128.pow(u32::from(exponent));
    format!(
        "{}{}.{:0width$}",
        if negative { "-" } else { "" },
        abs / scale,
        abs % scale,
        width = usize::from(exponent)
    )
}

/// Narrow an `i128` accumulator to `i64` minor units, or fail naming what overflowed.
pub fn narrow(value: i128, what: &str) -> crate::Result<i64> {
    i64::try_from(value).map_err(|_| crate::Error::overflow(what))
}

fn trim_ascii(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_exactly() {
        assert_eq!(parse_minor(b" 12.30 ", 2), Ok(1230));
        assert_eq!(parse_minor(b"12.", 2), Ok(1200));
        assert_eq!(parse_minor(b".5", 2), Ok(50));
        assert_eq!(parse_minor(b"1.000", 2), Ok(100));
        assert_eq!(parse_minor(b"", 2), Err(MoneyError::Empty));
        assert_eq!(parse_minor(b"-", 2), Err(MoneyError::Invalid));
        assert_eq!(parse_minor(b".", 2), Err(MoneyError::Invalid));
        assert_eq!(parse_minor(b"1e3", 2), Err(MoneyError::Invalid));
        assert_eq!(parse_minor(b"1,000", 2), Err(MoneyError::Invalid));
        assert_eq!(parse_minor(b"1.2.3", 2), Err(MoneyError::Invalid));
        assert_eq!(
            parse_minor(b"0.001", 2),
            Err(MoneyError::TooManyDecimals { allowed: 2 })
        );
        assert_eq!(
            parse_minor(b"99999999999999999999", 2),
            Err(MoneyError::Overflow)
        );
        assert_eq!(
            parse_minor(b"92233720368547758.07", 2),
            Ok(i64::MAX),
            "the largest amount fits"
        );
        assert_eq!(
            parse_minor(b"92233720368547758.08", 2),
            Err(MoneyError::Overflow)
        );
        assert_eq!(
            parse_minor(b"-92233720368547758.08", 2),
            Ok(i64::MIN),
            "the smallest amount fits"
        );
        assert_eq!(
            parse_minor(b"-92233720368547758.09", 2),
            Err(MoneyError::Overflow)
        );
        // Too big only once scaled to minor units.
        assert_eq!(
            parse_minor(b"922337203685477580", 2),
            Err(MoneyError::Overflow)
        );
        assert_eq!(
            parse_minor(b"18446744073709551616", 0),
            Err(MoneyError::Overflow)
        );
    }

    #[test]
    fn decimal_conversion_refuses_extra_digits() {
        let cny = Currency::cny();
        assert_eq!(
            cny.from_decimal(Decimal::new(12345, 3)),
            Err(MoneyError::TooManyDecimals { allowed: 2 })
        );
        assert_eq!(cny.from_decimal(Decimal::new(12340, 3)), Ok(1234));
        assert_eq!(cny.to_decimal(1234).to_string(), "12.34");
    }

    #[test]
    fn currency_codes_are_checked() {
        assert!(Currency::from_code("XYZ").is_err());
        assert!(Currency::new("cny", 2).is_err());
        assert!(Currency::new("CNY", 9).is_err());
        assert_eq!(Currency::from_code("KWD").map(|c| c.exponent).ok(), Some(3));
    }

    proptest! {
        #[test]
        fn format_then_parse_round_trips(v in any::<i64>(), e in 0u8..=6) {
            let text = format_minor(i128::from(v), e);
            prop_assert_eq!(parse_minor(text.as_bytes(), e), Ok(v));
        }
    }
}
