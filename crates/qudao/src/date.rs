//! Calendar dates as days since 1970-01-01, timestamps as seconds, and periods.
//!
//! Dates are plain `i32` day numbers so that columns of them are cheap and comparisons are
//! integer comparisons. Only the proleptic Gregorian calendar is used; years 1900–2199 are
//! accepted, anything else is almost certainly a typo and is reported as out of range.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// First year accepted in data.
pub const MIN_YEAR: i32 = 1900;
/// Last year accepted in data.
pub const MAX_YEAR: i32 = 2199;

/// A calendar day, stored as the number of days since 1970-01-01 (negative before).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Date(pub i32);

/// Why a date or time text could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DateError {
    /// Not of the form `YYYY-MM-DD` (or the time forms where a timestamp is read).
    #[error("not a date of the form YYYY-MM-DD")]
    Format,
    /// Month, day, hour, … outside its range (e.g. 2025-02-30).
    #[error("no such calendar day or time")]
    NoSuchDay,
    /// A real day, but outside the years this library accepts.
    #[error("year outside {MIN_YEAR}..={MAX_YEAR}")]
    OutOfRange,
    /// Not a period of a known form.
    #[error("not a period (YYYY, YYYY-Hn, YYYY-Qn, YYYY-MM, or YYYY-MM-DD..YYYY-MM-DD)")]
    Period,
}

impl Date {
    /// The date of a year, month (1–12) and day (1–31), checked.
    ///
    /// ```
    /// use qudao::date::Date;
    /// assert_eq!(Date::from_ymd(1970, 1, 1).unwrap().0, 0);
    /// assert!(Date::from_ymd(2025, 2, 29).is_err());
    /// ```
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Result<Date, DateError> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return Err(DateError::NoSuchDay);
        }
        if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
            return Err(DateError::OutOfRange);
        }
        Ok(Date(days_from_civil(year, month, day)))
    }

    /// Year, month (1–12) and day (1–31).
    pub fn ymd(self) -> (i32, u32, u32) {
        civil_from_days(self.0)
    }

    /// The year.
    pub fn year(self) -> i32 {
        self.ymd().0
    }

    /// Months since January 1970 (0 = 1970-01): a dense key for monthly grouping.
    pub fn month_index(self) -> i32 {
        let (y, m, _) = self.ymd();
        (y - 1970) * 12 + m as i32 - 1
    }

    /// The first day of the month with the given [`Date::month_index`].
    pub fn from_month_index(index: i32) -> Date {
        let y = 1970 + index.div_euclid(12);
        let m = index.rem_euclid(12) as u32 + 1;
        Date(days_from_civil(y, m, 1))
    }

    /// The first day of this date's month.
    pub fn month_start(self) -> Date {
        let (y, m, _) = self.ymd();
        Date(days_from_civil(y, m, 1))
    }

    /// This date plus a number of days.
    pub fn add_days(self, days: i32) -> Date {
        Date(self.0 + days)
    }

    /// Parse `YYYY-MM-DD` (surrounding spaces allowed).
    pub fn parse(text: &[u8]) -> Result<Date, DateError> {
        let t = trim(text);
        if t.len() != 10 || t[4] != b'-' || t[7] != b'-' {
            return Err(DateError::Format);
        }
        let y = digits(&t[0..4])? as i32;
        let m = digits(&t[5..7])?;
        let d = digits(&t[8..10])?;
        Date::from_ymd(y, m, d)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl FromStr for Date {
    type Err = DateError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Date::parse(s.as_bytes())
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Date::parse(s.as_bytes()).map_err(|e| serde::de::Error::custom(format!("{s:?}: {e}")))
    }
}

/// A point in time, in whole seconds since 1970-01-01T00:00:00 of the data's own clock.
///
/// Service events and touchpoints carry times; no time zone is applied (a trailing `Z` is
/// accepted and ignored), so all times of a data set must be on one clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// Parse `YYYY-MM-DD`, `YYYY-MM-DD HH:MM`, `YYYY-MM-DDTHH:MM:SS` (optional trailing `Z`).
    ///
    /// ```
    /// use qudao::date::Timestamp;
    /// let t = Timestamp::parse(b"1970-01-02T00:00:10Z").unwrap();
    /// assert_eq!(t.0, 86_410);
    /// ```
    pub fn parse(text: &[u8]) -> Result<Timestamp, DateError> {
        let mut t = trim(text);
        if let [rest @ .., b'Z'] = t {
            t = rest;
        }
        if t.len() < 10 {
            return Err(DateError::Format);
        }
        let date = Date::parse(&t[..10])?;
        let rest = &t[10..];
        let secs = match rest.len() {
            0 => 0,
            6 | 9 if rest[0] == b' ' || rest[0] == b'T' => {
                if rest[3] != b':' {
                    return Err(DateError::Format);
                }
                let h = digits(&rest[1..3])?;
                let m = digits(&rest[4..6])?;
                let s = if rest.len() == 9 {
                    if rest[6] != b':' {
                        return Err(DateError::Format);
                    }
                    digits(&rest[7..9])?
                } else {
                    0
                };
                if h > 23 || m > 59 || s > 59 {
                    return Err(DateError::NoSuchDay);
                }
                i64::from(h * 3600 + m * 60 + s)
            }
            _ => return Err(DateError::Format),
        };
        Ok(Timestamp(i64::from(date.0) * 86_400 + secs))
    }

    /// The calendar day of this instant.
    pub fn date(self) -> Date {
        Date(self.0.div_euclid(86_400) as i32)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0.rem_euclid(86_400);
        write!(
            f,
            "{}T{:02}:{:02}:{:02}",
            self.date(),
            s / 3600,
            (s / 60) % 60,
            s % 60
        )
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Timestamp::parse(s.as_bytes()).map_err(|e| serde::de::Error::custom(format!("{s:?}: {e}")))
    }
}

/// A half-open range of days `[start, end)`, written as text in one of the forms
/// `2025`, `2025-H1`, `2025-Q3`, `2025-07` or `2025-07-01..2025-09-30` (inclusive end in text).
///
/// ```
/// use qudao::date::{Date, Period};
/// let q = Period::parse("2025-Q1").unwrap();
/// assert_eq!(q.start, Date::from_ymd(2025, 1, 1).unwrap());
/// assert_eq!(q.end, Date::from_ymd(2025, 4, 1).unwrap());
/// assert_eq!(q.to_string(), "2025-Q1");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    /// First day in the period.
    pub start: Date,
    /// First day after the period.
    pub end: Date,
}

impl Period {
    /// A period from its first day and its first day after; `end` must be after `start`.
    pub fn new(start: Date, end: Date) -> Result<Period, DateError> {
        if end <= start {
            return Err(DateError::Period);
        }
        Ok(Period { start, end })
    }

    /// The calendar month containing `date`.
    pub fn month_of(date: Date) -> Period {
        let i = date.month_index();
        Period {
            start: Date::from_month_index(i),
            end: Date::from_month_index(i + 1),
        }
    }

    /// Whether a day lies in the period.
    pub fn contains(&self, d: Date) -> bool {
        self.start <= d && d < self.end
    }

    /// Number of days in the period.
    pub fn days(&self) -> i32 {
        self.end.0 - self.start.0
    }

    /// Parse any of the documented forms.
    pub fn parse(text: &str) -> Result<Period, DateError> {
        let t = text.trim();
        if let Some((a, b)) = t.split_once("..") {
            let start = Date::parse(a.as_bytes())?;
            let last = Date::parse(b.as_bytes())?;
            return Period::new(start, last.add_days(1));
        }
        let b = t.as_bytes();
        let year = || -> Result<i32, DateError> {
            let y = digits(b.get(0..4).ok_or(DateError::Period)?).map_err(|_| DateError::Period)?
                as i32;
            if !(MIN_YEAR..=MAX_YEAR).contains(&y) {
                return Err(DateError::OutOfRange);
            }
            Ok(y)
        };
        let months = |y: i32, first: i32, count: i32| {
            let i = (y - 1970) * 12 + first - 1;
            Period {
                start: Date::from_month_index(i),
                end: Date::from_month_index(i + count),
            }
        };
        match b.len() {
            4 => Ok(months(year()?, 1, 12)),
            7 if b[4] == b'-'
                && (b[5] == b'Q' || b[5] == b'q')
                && (b'1'..=b'4').contains(&b[6]) =>
            {
                Ok(months(year()?, i32::from(b[6] - b'1') * 3 + 1, 3))
            }
            7 if b[4] == b'-'
                && (b[5] == b'H' || b[5] == b'h')
                && (b'1'..=b'2').contains(&b[6]) =>
            {
                Ok(months(year()?, i32::from(b[6] - b'1') * 6 + 1, 6))
            }
            7 if b[4] == b'-' => {
                let m = digits(&b[5..7]).map_err(|_| DateError::Period)?;
                if !(1..=12).contains(&m) {
                    return Err(DateError::NoSuchDay);
                }
                Ok(months(year()?, m as i32, 1))
            }
            _ => Err(DateError::Period),
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.start.ymd();
        let (ey, em, ed) = self.end.ymd();
        let span = (ey - y) * 12 + em as i32 - m as i32;
        if d == 1 && ed == 1 {
            match (span, m) {
                (12, 1) => return write!(f, "{y:04}"),
                (6, 1 | 7) => return write!(f, "{y:04}-H{}", (m - 1) / 6 + 1),
                (3, 1 | 4 | 7 | 10) => return write!(f, "{y:04}-Q{}", (m - 1) / 3 + 1),
                (1, _) => return write!(f, "{y:04}-{m:02}"),
                _ => {}
            }
        }
        write!(f, "{}..{}", self.start, self.end.add_days(-1))
    }
}

impl FromStr for Period {
    type Err = DateError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Period::parse(s)
    }
}

impl Serialize for Period {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Period {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Period::parse(&s).map_err(|e| serde::de::Error::custom(format!("{s:?}: {e}")))
    }
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

fn digits(s: &[u8]) -> Result<u32, DateError> {
    let mut v = 0u32;
    for &b in s {
        if !b.is_ascii_digit() {
            return Err(DateError::Format);
        }
        v = v * 10 + u32::from(b - b'0');
    }
    Ok(v)
}

fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

// Howard Hinnant's days_from_civil / civil_from_days.
fn days_from_civil(y: i32, m: u32, d: u32) -> i32 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i32 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i32 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i32) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_and_rejects() {
        assert_eq!(
            Date::parse(b"2024-02-29").map(|d| d.to_string()),
            Ok("2024-02-29".into())
        );
        assert_eq!(Date::parse(b"2025-02-29"), Err(DateError::NoSuchDay));
        assert_eq!(Date::parse(b"2025-13-01"), Err(DateError::NoSuchDay));
        assert_eq!(Date::parse(b"1899-12-31"), Err(DateError::OutOfRange));
        assert_eq!(Date::parse(b"2200-01-01"), Err(DateError::OutOfRange));
        assert_eq!(Date::parse(b"2025/01/01"), Err(DateError::Format));
        assert_eq!(Date::parse(b"25-01-01"), Err(DateError::Format));
        assert_eq!(Date::parse(b""), Err(DateError::Format));
        assert!(Timestamp::parse(b"2025-01-01 24:00").is_err());
        assert_eq!(
            Timestamp::parse(b"2025-01-01 08:30").map(|t| t.to_string()),
            Ok("2025-01-01T08:30:00".into())
        );
    }

    #[test]
    fn periods() {
        for text in [
            "2025",
            "2025-H2",
            "2025-Q4",
            "2025-12",
            "2025-01-15..2025-02-14",
        ] {
            assert_eq!(
                Period::parse(text).map(|p| p.to_string()),
                Ok(text.to_string())
            );
        }
        assert_eq!(Period::parse("2025-Q5"), Err(DateError::Period));
        assert_eq!(
            Period::parse("2025-02-01..2025-01-01"),
            Err(DateError::Period)
        );
        let dec = Period::parse("2024-12").expect("month");
        assert_eq!(dec.days(), 31);
        assert_eq!(
            Period::month_of(Date::from_ymd(2024, 2, 10).expect("day")).days(),
            29
        );
    }

    proptest! {
        #[test]
        fn civil_round_trip(days in -25_567i32..84_000) {
            let (y, m, d) = civil_from_days(days);
            prop_assert_eq!(days_from_civil(y, m, d), days);
            let date = Date(days);
            prop_assert_eq!(Date::from_month_index(date.month_index()), date.month_start());
        }
    }
}
