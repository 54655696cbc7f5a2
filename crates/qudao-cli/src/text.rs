//! Text helpers for reports: money with thousands separators, terminal display widths (CJK
//! characters take two columns, so zh-CN labels would otherwise break the table alignment),
//! padding and bars.

use qudao::Currency;

/// Minor units as major units with thousands separators: `1234567.8 CNY` → `1,234,567.80`.
pub fn money(currency: &Currency, minor: i64) -> String {
    group_thousands(&currency.format(minor))
}

/// Insert `,` every three digits of the integer part of a decimal text.
pub fn group_thousands(text: &str) -> String {
    let (sign, rest) = match text.strip_prefix('-') {
        Some(r) => ("-", r),
        None => ("", text),
    };
    let (int, frac) = match rest.find('.') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let mut out = String::with_capacity(text.len() + int.len() / 3);
    out.push_str(sign);
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out.push_str(frac);
    out
}

/// An integer count with thousands separators.
pub fn count(n: impl Into<i128>) -> String {
    group_thousands(&n.into().to_string())
}

/// Columns a string takes in a terminal: two for East Asian wide characters, one otherwise.
pub fn display_width(s: &str) -> usize {
    s.chars().map(|c| if is_wide(c) { 2 } else { 1 }).sum()
}

fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD)
}

/// `s` padded with spaces on the right to `width` columns (cut with `…` if longer).
pub fn left(s: &str, width: usize) -> String {
    let s = truncate(s, width);
    let w = display_width(&s);
    format!("{s}{}", " ".repeat(width.saturating_sub(w)))
}

/// `s` padded with spaces on the left to `width` columns.
pub fn right(s: &str, width: usize) -> String {
    let w = display_width(s);
    format!("{}{s}", " ".repeat(width.saturating_sub(w)))
}

fn truncate(s: &str, width: usize) -> String {
    if display_width(s) <= width {
        return s.to_owned();
    }
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = if is_wide(c) { 2 } else { 1 };
        if w + cw + 1 > width {
            break;
        }
        out.push(c);
        w += cw;
    }
    out.push('…');
    out
}

/// A horizontal bar of `value / max` times `width` eighths-precise block characters.
pub fn bar(value: i64, max: i64, width: usize) -> String {
    if max <= 0 || value <= 0 {
        return String::new();
    }
    const PARTS: [char; 8] = [' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
    let eighths = (i128::from(value) * (width as i128) * 8 / i128::from(max)) as usize;
    let mut s = "█".repeat(eighths / 8);
    if !eighths.is_multiple_of(8) {
        s.push(PARTS[eighths % 8]);
    }
    s
}

/// A fraction in `[0, 1]` given as `part / whole`, as a percentage with one decimal.
pub fn percent(part: i128, whole: i128) -> String {
    if whole == 0 {
        return "–".into();
    }
    // Tenths of a percent, rounded half away from zero, in integers.
    let tenths = (part * 2000 / whole + if part * whole >= 0 { 1 } else { -1 }) / 2;
    let sign = if tenths < 0 { "-" } else { "" };
    let t = tenths.abs();
    format!("{sign}{}.{}%", t / 10, t % 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands() {
        assert_eq!(group_thousands("1234567.89"), "1,234,567.89");
        assert_eq!(group_thousands("-123.00"), "-123.00");
        assert_eq!(group_thousands("-1234"), "-1,234");
        assert_eq!(group_thousands("0.05"), "0.05");
        assert_eq!(money(&Currency::cny(), 123_456_789), "1,234,567.89");
    }

    #[test]
    fn widths_and_padding() {
        assert_eq!(display_width("直播带货"), 8);
        assert_eq!(display_width("Live"), 4);
        assert_eq!(left("直播", 6), "直播  ");
        assert_eq!(right("12", 4), "  12");
        assert_eq!(display_width(&left("浙沪茗禾商贸有限公司", 10)), 10);
    }

    #[test]
    fn percents_and_bars() {
        assert_eq!(percent(1, 3), "33.3%");
        assert_eq!(percent(2, 3), "66.7%");
        assert_eq!(percent(0, 0), "–");
        assert_eq!(bar(10, 10, 4), "████");
        assert_eq!(bar(0, 10, 4), "");
    }
}
