//! RFM segment schemes (toward issue 3): which segment each (R, F, M) score cell belongs to,
//! written as a versioned data document so users can bring their own.
//!
//! A [`SegmentScheme`] names `k` (scores run `1..=k` on each of R, F and M) and a list of
//! segments, each with a condition on the scores, zh/en labels and a care strategy. The
//! conditions must *partition* the `k³` cells: validation enumerates every cell and names the
//! cells that no segment covers, or that two segments share. [`SegmentScheme::compile`] turns
//! a valid scheme into a [`SegmentMap`], a `k³` lookup table, so assigning a customer is one
//! array read.
//!
//! A condition limits any of `r`, `f`, `m` and `fm` to a score (`5`) or an inclusive range
//! (`[4, 5]`); all given limits must hold. `fm` is the mean of F and M rounded half up,
//! `(F + M + 1) / 2` in integers, as the usual eleven-segment map uses it. A segment's `when`
//! is one condition or a list of conditions, any of which may hold (some segments, like
//! "potential" below, are not one box of cells).
//!
//! Two schemes are built in (full cell tables in `docs/segments.md`):
//!
//! * [`SegmentScheme::four_class`] (`rfm-4class`), the four classes of the domain brief. The
//!   brief defines only four of the eight high/low corners, so the exact cover is ours: a
//!   dimension is *high* at scores 4–5 (the top two quintiles; for the usual right-skewed F and
//!   M that is roughly "above the average", the comparison the brief's practice uses) and
//!   *low* at 1–3. R high with F and M high is **high value**; any other R-high cell is
//!   **potential**; R low with F high is **general**; R low with F low is **lost**.
//! * [`SegmentScheme::eleven_segment`] (`rfm-11`), the common map on R and FM: Champions,
//!   Loyal, Potential Loyalist, New, Promising, Need Attention, About to Sleep, At Risk,
//!   Can't Lose Them, Hibernating, Lost.
//!
//! ```
//! use qudao::segment::SegmentScheme;
//!
//! let scheme = SegmentScheme::eleven_segment();
//! let map = scheme.compile()?;
//! let i = map.assign(5, 4, 5).expect("scores are in 1..=5");
//! assert_eq!(scheme.segments[usize::from(i)].id, "champions");
//! assert_eq!(map.assign(6, 1, 1), None); // out of range
//! # Ok::<(), qudao::Error>(())
//! ```

use std::fmt;

use schemars::JsonSchema;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::document::{Format, Label, RuleDocument};
use crate::error::{Error, Result};

/// The built-in four-class scheme `rfm-4class`, as TOML.
pub const RFM_4CLASS_TOML: &str = include_str!("../schemes/rfm-4class.toml");

/// The built-in eleven-segment scheme `rfm-11`, as TOML.
pub const RFM_11_TOML: &str = include_str!("../schemes/rfm-11.toml");

/// Ids of the built-in schemes, for [`SegmentScheme::builtin`].
pub const BUILTIN_IDS: [&str; 2] = ["rfm-4class", "rfm-11"];

/// The smallest and largest number of scores per dimension a scheme may use.
pub const SCORES_RANGE: std::ops::RangeInclusive<u8> = 2..=10;

/// How many cells an error message lists before it gives the count of the rest.
const LISTED_CELLS: usize = 10;

/// A segment scheme: which segment each `(r, f, m)` score cell belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "RFM segment scheme")]
pub struct SegmentScheme {
    /// Document schema version; this library reads 1.
    pub schema_version: u32,
    /// Scheme id, e.g. `rfm-11`: lowercase letters, digits, `_` and `-`.
    #[schemars(regex(pattern = r"^[a-z0-9_-]+$"))]
    pub id: String,
    /// Display name.
    pub name: Label,
    /// `k`: scores run `1..=k` on each of R, F and M (2 to 10).
    #[schemars(range(min = 2, max = 10))]
    pub scores: u8,
    /// The segments; together their conditions cover every cell exactly once.
    #[schemars(length(min = 1))]
    pub segments: Vec<Segment>,
}

/// One segment of a scheme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Segment {
    /// Unique id within the scheme: lowercase letters, digits, `_` and `-`.
    #[schemars(regex(pattern = r"^[a-z0-9_-]+$"))]
    pub id: String,
    /// Display label.
    pub label: Label,
    /// The cells of the segment: one condition, or a list of which any may hold.
    pub when: When,
    /// The care strategy for customers in this segment.
    pub strategy: Label,
}

/// A segment's cells: one [`Condition`] or a list of them (a cell matches if any matches).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum When {
    /// One condition, written as a table: `when = { r = 5, fm = [4, 5] }`.
    One(Condition),
    /// Several conditions, written as a list of tables; a cell matches if any matches.
    Any(Vec<Condition>),
}

impl When {
    /// The conditions, one or many.
    pub fn conditions(&self) -> &[Condition] {
        match self {
            When::One(c) => std::slice::from_ref(c),
            When::Any(v) => v,
        }
    }

    /// Whether the cell matches (any condition holds).
    pub fn matches(&self, r: u8, f: u8, m: u8) -> bool {
        self.conditions().iter().any(|c| c.matches(r, f, m))
    }
}

impl fmt::Display for When {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.conditions() {
            [one] => write!(f, "{one}"),
            many => {
                for (i, c) in many.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" or ")?;
                    }
                    write!(f, "({c})")?;
                }
                Ok(())
            }
        }
    }
}

// Hand-written so a bad condition reports its own field (`segments[1].when.x: unknown field`)
// instead of serde's "did not match any variant of untagged enum".
impl<'de> Deserialize<'de> for When {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct WhenVisitor;
        impl<'de> Visitor<'de> for WhenVisitor {
            type Value = When;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a condition such as {r = 5, fm = [4, 5]} or a list of conditions")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<When, A::Error> {
                Condition::deserialize(de::value::MapAccessDeserializer::new(map)).map(When::One)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<When, A::Error> {
                Vec::<Condition>::deserialize(de::value::SeqAccessDeserializer::new(seq))
                    .map(When::Any)
            }
        }
        deserializer.deserialize_any(WhenVisitor)
    }
}

/// Limits on the scores; each absent limit allows any score, all present ones must hold.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// Recency score (high = recent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r: Option<ScoreRange>,
    /// Frequency score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub f: Option<ScoreRange>,
    /// Monetary score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub m: Option<ScoreRange>,
    /// Mean of F and M rounded half up: `(F + M + 1) / 2`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fm: Option<ScoreRange>,
}

impl Condition {
    /// Whether the cell satisfies every limit given.
    pub fn matches(&self, r: u8, f: u8, m: u8) -> bool {
        let holds =
            |range: &Option<ScoreRange>, s: u8| range.as_ref().is_none_or(|x| x.contains(s));
        holds(&self.r, r) && holds(&self.f, f) && holds(&self.m, m) && holds(&self.fm, fm(f, m))
    }

    /// Whether no limit is given (the condition matches every cell).
    pub fn is_any(&self) -> bool {
        self.r.is_none() && self.f.is_none() && self.m.is_none() && self.fm.is_none()
    }

    fn dimensions(&self) -> [(&'static str, &Option<ScoreRange>); 4] {
        [
            ("r", &self.r),
            ("f", &self.f),
            ("m", &self.m),
            ("fm", &self.fm),
        ]
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_any() {
            return f.write_str("any scores");
        }
        let mut first = true;
        for (name, range) in self.dimensions() {
            if let Some(range) = range {
                if !first {
                    f.write_str(", ")?;
                }
                first = false;
                write!(f, "{name} {range}")?;
            }
        }
        Ok(())
    }
}

/// The FM score: mean of F and M rounded half up.
pub fn fm(f: u8, m: u8) -> u8 {
    // ⌈(f + m) / 2⌉ = (f + m + 1) / 2, at most 255, so it fits back into u8.
    (u16::from(f) + u16::from(m)).div_ceil(2) as u8
}

/// A score (`4`) or an inclusive range of scores (`[4, 5]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum ScoreRange {
    /// Exactly this score.
    One(#[schemars(range(min = 1, max = 10))] u8),
    /// From the first to the second score, both included.
    Span(#[schemars(inner(range(min = 1, max = 10)))] [u8; 2]),
}

impl ScoreRange {
    /// The lowest score in the range.
    pub fn lo(&self) -> u8 {
        match *self {
            ScoreRange::One(s) => s,
            ScoreRange::Span([lo, _]) => lo,
        }
    }

    /// The highest score in the range.
    pub fn hi(&self) -> u8 {
        match *self {
            ScoreRange::One(s) => s,
            ScoreRange::Span([_, hi]) => hi,
        }
    }

    /// Whether `score` is in the range.
    pub fn contains(&self, score: u8) -> bool {
        self.lo() <= score && score <= self.hi()
    }
}

impl fmt::Display for ScoreRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ScoreRange::One(s) => write!(f, "{s}"),
            ScoreRange::Span([lo, hi]) => write!(f, "{lo}–{hi}"),
        }
    }
}

// Hand-written for a clear message on anything that is neither a score nor a pair.
impl<'de> Deserialize<'de> for ScoreRange {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RangeVisitor;
        const EXPECTING: &str = "a score such as 4 or an inclusive range such as [4, 5]";
        fn score<E: de::Error>(v: i128) -> Result<u8, E> {
            u8::try_from(v).map_err(|_| E::custom(format!("score {v} is out of range")))
        }
        impl<'de> Visitor<'de> for RangeVisitor {
            type Value = ScoreRange;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(EXPECTING)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ScoreRange, E> {
                score(i128::from(v)).map(ScoreRange::One)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ScoreRange, E> {
                score(i128::from(v)).map(ScoreRange::One)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ScoreRange, A::Error> {
                let mut bounds = [0u8; 2];
                for (i, b) in bounds.iter_mut().enumerate() {
                    let v: i64 = seq
                        .next_element()?
                        .ok_or_else(|| de::Error::invalid_length(i, &EXPECTING))?;
                    *b = score(i128::from(v))?;
                }
                if seq.next_element::<de::IgnoredAny>()?.is_some() {
                    return Err(de::Error::invalid_length(3, &EXPECTING));
                }
                Ok(ScoreRange::Span(bounds))
            }
        }
        deserializer.deserialize_any(RangeVisitor)
    }
}

/// One score cell `(r, f, m)`; displays as `(r=1, f=2, m=3)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Cell {
    /// Recency score.
    pub r: u8,
    /// Frequency score.
    pub f: u8,
    /// Monetary score.
    pub m: u8,
}

impl fmt::Display for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "(r={}, f={}, m={})", self.r, self.f, self.m)
    }
}

/// A compiled scheme: the segment index of each of the `k³` cells, for O(1) assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentMap {
    scores: u8,
    segments: usize,
    /// Index `((r-1)·k + (f-1))·k + (m-1)`.
    cells: Vec<u16>,
}

impl SegmentMap {
    /// `k`: the scores the map takes run `1..=k`.
    pub fn scores(&self) -> u8 {
        self.scores
    }

    /// The number of segments (indices run `0..segment_count()`).
    pub fn segment_count(&self) -> usize {
        self.segments
    }

    /// The index (into [`SegmentScheme::segments`]) of the segment of cell `(r, f, m)`, or
    /// `None` if a score is outside `1..=k`.
    #[inline]
    pub fn assign(&self, r: u8, f: u8, m: u8) -> Option<u16> {
        let k = usize::from(self.scores);
        let (r, f, m) = (
            usize::from(r.wrapping_sub(1)),
            usize::from(f.wrapping_sub(1)),
            usize::from(m.wrapping_sub(1)),
        );
        if r >= k || f >= k || m >= k {
            return None;
        }
        self.cells.get((r * k + f) * k + m).copied()
    }

    /// Assign whole columns of scores; an error names the first row with a score outside
    /// `1..=k`, or the argument whose length differs from `r`'s.
    pub fn assign_columns(&self, r: &[u8], f: &[u8], m: &[u8]) -> Result<Vec<u16>> {
        for (name, col) in [("f", f), ("m", m)] {
            if col.len() != r.len() {
                return Err(Error::invalid_argument(
                    name,
                    format!("{} scores, but `r` has {}", col.len(), r.len()),
                ));
            }
        }
        let mut out = Vec::with_capacity(r.len());
        for (i, ((&r, &f), &m)) in r.iter().zip(f).zip(m).enumerate() {
            let s = self.assign(r, f, m).ok_or_else(|| {
                Error::invalid_argument(
                    "scores",
                    format!(
                        "row {i}: {} is outside 1..={}",
                        Cell { r, f, m },
                        self.scores
                    ),
                )
            })?;
            out.push(s);
        }
        Ok(out)
    }

    /// The cells of segment `index`, in (r, f, m) ascending order.
    pub fn cells_of(&self, index: u16) -> impl Iterator<Item = Cell> + '_ {
        all_cells(self.scores)
            .zip(&self.cells)
            .filter(move |&(_, &s)| s == index)
            .map(|(c, _)| c)
    }
}

/// Every cell of a `k`-score grid in (r, f, m) ascending order, the order of the map's table.
fn all_cells(k: u8) -> impl Iterator<Item = Cell> {
    (1..=k).flat_map(move |r| (1..=k).flat_map(move |f| (1..=k).map(move |m| Cell { r, f, m })))
}

/// `(r=1, f=2, m=3), (r=1, f=2, m=4)` — at most [`LISTED_CELLS`], then "… and N more".
fn list_cells(cells: &[Cell]) -> String {
    let mut s = cells
        .iter()
        .take(LISTED_CELLS)
        .map(Cell::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    if cells.len() > LISTED_CELLS {
        s.push_str(&format!(" … and {} more", cells.len() - LISTED_CELLS));
    }
    s
}

fn check_id(path: &str, id: &str) -> Result<()> {
    if id.is_empty() {
        return Err(Error::document(path, "empty id"));
    }
    if let Some(c) = id
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-'))
    {
        return Err(Error::document(
            path,
            format!("id `{id}` has {c:?}; use lowercase letters, digits, `_` and `-`"),
        ));
    }
    Ok(())
}

impl SegmentScheme {
    /// The built-in `rfm-4class` scheme: the domain brief's four classes (high value,
    /// potential, general, lost) on scores 1–5, "high" meaning 4–5. See the module docs.
    pub fn four_class() -> SegmentScheme {
        SegmentScheme::from_toml(RFM_4CLASS_TOML)
            .expect("the built-in rfm-4class scheme is valid; a unit test parses it")
    }

    /// The built-in `rfm-11` scheme: the common eleven-segment map on R and FM, scores 1–5.
    pub fn eleven_segment() -> SegmentScheme {
        SegmentScheme::from_toml(RFM_11_TOML)
            .expect("the built-in rfm-11 scheme is valid; a unit test parses it")
    }

    /// A built-in scheme by id (one of [`BUILTIN_IDS`]).
    pub fn builtin(id: &str) -> Option<SegmentScheme> {
        match id {
            "rfm-4class" => Some(SegmentScheme::four_class()),
            "rfm-11" => Some(SegmentScheme::eleven_segment()),
            _ => None,
        }
    }

    /// The segment with this index (as [`SegmentMap::assign`] returns it).
    pub fn segment(&self, index: u16) -> Option<&Segment> {
        self.segments.get(usize::from(index))
    }

    /// The document as TOML, the format of the built-in schemes.
    pub fn to_toml(&self) -> Result<String> {
        toml::to_string_pretty(self)
            .map_err(|e| Error::invalid_argument("scheme", format!("cannot write TOML: {e}")))
    }

    /// The document in `format`.
    pub fn to_format(&self, format: Format) -> Result<String> {
        match format {
            Format::Json => Ok(self.to_json()),
            Format::Toml => self.to_toml(),
            Format::Yaml => serde_norway::to_string(self)
                .map_err(|e| Error::invalid_argument("scheme", format!("cannot write YAML: {e}"))),
        }
    }

    /// Validate the scheme and build its lookup table. Errors name field paths; coverage
    /// errors list the cells (uncovered ones at `segments`, shared ones at the later
    /// segment's `when`, naming the earlier segment).
    pub fn compile(&self) -> Result<SegmentMap> {
        self.check_fields()?;
        let k = self.scores;
        let mut owner: Vec<Option<u16>> = vec![None; usize::from(k).pow(3)];
        for (j, seg) in self.segments.iter().enumerate() {
            // check_fields bounds the count by u16::MAX.
            let jj = j as u16;
            let mut matched = 0usize;
            // Cells this segment shares with earlier ones, grouped by the earliest such owner.
            let mut shared: Vec<(u16, Cell)> = Vec::new();
            for (cell, slot) in all_cells(k).zip(owner.iter_mut()) {
                if !seg.when.matches(cell.r, cell.f, cell.m) {
                    continue;
                }
                matched += 1;
                match *slot {
                    None => *slot = Some(jj),
                    Some(i) => shared.push((i, cell)),
                }
            }
            if let Some(first) = shared.iter().map(|&(i, _)| i).min() {
                let cells: Vec<Cell> = shared
                    .iter()
                    .filter(|&&(i, _)| i == first)
                    .map(|&(_, c)| c)
                    .collect();
                let other = &self.segments[usize::from(first)].id;
                return Err(Error::document(
                    format!("segments[{j}].when"),
                    format!(
                        "overlaps segment `{other}` (segments[{first}]) on {} cell{}: {}",
                        cells.len(),
                        if cells.len() == 1 { "" } else { "s" },
                        list_cells(&cells)
                    ),
                ));
            }
            if matched == 0 {
                return Err(Error::document(
                    format!("segments[{j}].when"),
                    format!("`{}` matches no cell with scores 1..={k}", seg.when),
                ));
            }
        }
        let uncovered: Vec<Cell> = all_cells(k)
            .zip(&owner)
            .filter(|(_, o)| o.is_none())
            .map(|(c, _)| c)
            .collect();
        if !uncovered.is_empty() {
            return Err(Error::document(
                "segments",
                format!(
                    "{} cell{} in no segment: {}",
                    uncovered.len(),
                    if uncovered.len() == 1 { " is" } else { "s are" },
                    list_cells(&uncovered)
                ),
            ));
        }
        Ok(SegmentMap {
            scores: k,
            segments: self.segments.len(),
            cells: owner.into_iter().map(|o| o.unwrap_or_default()).collect(),
        })
    }

    /// Everything but coverage: version, ids, labels, `scores`, score ranges.
    fn check_fields(&self) -> Result<()> {
        self.check_version()?;
        check_id("id", &self.id)?;
        self.name.validate("name")?;
        let k = self.scores;
        if !SCORES_RANGE.contains(&k) {
            return Err(Error::document(
                "scores",
                format!(
                    "{k} scores; give {} to {}",
                    SCORES_RANGE.start(),
                    SCORES_RANGE.end()
                ),
            ));
        }
        if self.segments.is_empty() {
            return Err(Error::document(
                "segments",
                "no segments; give at least one",
            ));
        }
        if self.segments.len() > usize::from(u16::MAX) {
            return Err(Error::document(
                "segments",
                format!("{} segments; at most {}", self.segments.len(), u16::MAX),
            ));
        }
        let single = self.segments.len() == 1;
        for (j, seg) in self.segments.iter().enumerate() {
            let path = format!("segments[{j}]");
            check_id(&format!("{path}.id"), &seg.id)?;
            if let Some(i) = self.segments[..j].iter().position(|s| s.id == seg.id) {
                return Err(Error::document(
                    format!("{path}.id"),
                    format!("duplicate id `{}`; segments[{i}] has it too", seg.id),
                ));
            }
            seg.label.validate(&format!("{path}.label"))?;
            seg.strategy.validate(&format!("{path}.strategy"))?;
            let conditions = seg.when.conditions();
            if conditions.is_empty() {
                return Err(Error::document(
                    format!("{path}.when"),
                    "an empty list of conditions matches no cell",
                ));
            }
            for (c, cond) in conditions.iter().enumerate() {
                let cpath = match seg.when {
                    When::One(_) => format!("{path}.when"),
                    When::Any(_) => format!("{path}.when[{c}]"),
                };
                if cond.is_any() && !single {
                    return Err(Error::document(
                        cpath,
                        "a condition with no r, f, m or fm matches every cell; \
                         it is allowed only when the scheme has a single segment",
                    ));
                }
                for (name, range) in cond.dimensions() {
                    let Some(range) = range else { continue };
                    let (lo, hi) = (range.lo(), range.hi());
                    if lo > hi {
                        return Err(Error::document(
                            format!("{cpath}.{name}"),
                            format!("range [{lo}, {hi}] is reversed; write [{hi}, {lo}]"),
                        ));
                    }
                    if lo < 1 || hi > k {
                        return Err(Error::document(
                            format!("{cpath}.{name}"),
                            format!("{range} is outside the scores 1..={k}"),
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

impl RuleDocument for SegmentScheme {
    const KIND: &'static str = "rfm segment scheme";

    fn schema_version(&self) -> u32 {
        self.schema_version
    }

    fn validate(&self) -> Result<()> {
        self.compile().map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(id: &str, when: When) -> Segment {
        Segment {
            id: id.into(),
            label: Label::new(id, id),
            when,
            strategy: Label::new("care", "关怀"),
        }
    }

    fn by_r(k: u8, runs: &[(u8, u8)]) -> SegmentScheme {
        SegmentScheme {
            schema_version: 1,
            id: "test".into(),
            name: Label::new("Test", "测试"),
            scores: k,
            segments: runs
                .iter()
                .enumerate()
                .map(|(i, &(lo, hi))| {
                    seg(
                        &format!("s{i}"),
                        When::One(Condition {
                            r: Some(ScoreRange::Span([lo, hi])),
                            ..Condition::default()
                        }),
                    )
                })
                .collect(),
        }
    }

    #[test]
    fn builtins_parse_and_partition() {
        for id in BUILTIN_IDS {
            let scheme = SegmentScheme::builtin(id).expect("built-in");
            assert_eq!(scheme.id, id);
            let map = scheme.compile().expect("valid");
            assert_eq!(map.scores(), 5);
            let total: usize = (0..map.segment_count() as u16)
                .map(|i| map.cells_of(i).count())
                .sum();
            assert_eq!(total, 125);
        }
        assert_eq!(SegmentScheme::four_class().segments.len(), 4);
        assert_eq!(SegmentScheme::eleven_segment().segments.len(), 11);
        assert!(SegmentScheme::builtin("rfm-12").is_none());
    }

    #[test]
    fn fm_rounds_half_up() {
        assert_eq!(fm(1, 1), 1);
        assert_eq!(fm(1, 2), 2);
        assert_eq!(fm(2, 3), 3);
        assert_eq!(fm(4, 5), 5);
        assert_eq!(fm(255, 255), 255);
    }

    #[test]
    fn map_layout_and_out_of_range() {
        let map = by_r(3, &[(1, 1), (2, 3)]).compile().expect("valid");
        assert_eq!(map.assign(1, 3, 3), Some(0));
        assert_eq!(map.assign(2, 1, 1), Some(1));
        assert_eq!(map.assign(0, 1, 1), None);
        assert_eq!(map.assign(1, 4, 1), None);
        assert_eq!(map.assign(1, 1, 255), None);
        let cells: Vec<String> = map.cells_of(0).map(|c| c.to_string()).take(2).collect();
        assert_eq!(cells, ["(r=1, f=1, m=1)", "(r=1, f=1, m=2)"]);
        assert_eq!(
            map.assign_columns(&[1, 3], &[1, 1], &[2, 2]).expect("ok"),
            [0, 1]
        );
        let e = map
            .assign_columns(&[1, 3], &[1, 1], &[2, 4])
            .expect_err("m 4");
        assert_eq!(
            e.to_string(),
            "invalid argument `scores`: row 1: (r=3, f=1, m=4) is outside 1..=3"
        );
        let e = map.assign_columns(&[1], &[1], &[]).expect_err("length");
        assert!(e.to_string().contains("`m`"), "{e}");
    }

    #[test]
    fn single_catch_all_segment_is_allowed_but_not_beside_others() {
        let mut s = by_r(2, &[(1, 2)]);
        s.segments[0].when = When::One(Condition::default());
        assert!(s.compile().is_ok());
        s.segments
            .push(seg("other", When::Any(vec![Condition::default()])));
        let e = s.compile().expect_err("catch-all beside another");
        assert!(
            matches!(&e, Error::Document { path, .. } if path == "segments[0].when"),
            "{e}"
        );
    }

    #[test]
    fn field_errors_name_paths() {
        type Mutate = Box<dyn Fn(&mut SegmentScheme)>;
        let cases: Vec<(Mutate, &str, &str)> = vec![
            (
                Box::new(|s| s.schema_version = 2),
                "schema_version",
                "version 2",
            ),
            (Box::new(|s| s.id = "Bad Id".into()), "id", "use lowercase"),
            (
                Box::new(|s| s.name.zh = " ".into()),
                "name.zh",
                "empty label",
            ),
            (Box::new(|s| s.scores = 11), "scores", "give 2 to 10"),
            (Box::new(|s| s.segments.clear()), "segments", "at least one"),
            (
                Box::new(|s| s.segments[1].id = "s0".into()),
                "segments[1].id",
                "segments[0] has it too",
            ),
            (
                Box::new(|s| s.segments[0].id.clear()),
                "segments[0].id",
                "empty id",
            ),
            (
                Box::new(|s| s.segments[1].strategy.en.clear()),
                "segments[1].strategy.en",
                "empty",
            ),
            (
                Box::new(|s| s.segments[1].when = When::Any(vec![])),
                "segments[1].when",
                "empty list",
            ),
            (
                Box::new(|s| {
                    s.segments[1].when = When::One(Condition {
                        fm: Some(ScoreRange::Span([3, 2])),
                        ..Condition::default()
                    })
                }),
                "segments[1].when.fm",
                "reversed; write [2, 3]",
            ),
            (
                Box::new(|s| {
                    s.segments[1].when = When::Any(vec![
                        Condition {
                            r: Some(ScoreRange::One(2)),
                            ..Condition::default()
                        },
                        Condition {
                            m: Some(ScoreRange::One(0)),
                            ..Condition::default()
                        },
                    ])
                }),
                "segments[1].when[1].m",
                "0 is outside the scores 1..=3",
            ),
        ];
        for (mutate, want_path, want_msg) in cases {
            let mut s = by_r(3, &[(1, 1), (2, 3)]);
            mutate(&mut s);
            match s.compile() {
                Err(Error::Document { path, message }) => {
                    assert_eq!(path, want_path, "{message}");
                    assert!(message.contains(want_msg), "{path}: {message}");
                }
                other => panic!("{want_path}: expected a document error, got {other:?}"),
            }
        }
    }

    #[test]
    fn coverage_errors_list_cells() {
        // r 1 missing: 9 cells uncovered.
        let e = by_r(3, &[(2, 3)]).compile().expect_err("gap");
        assert_eq!(
            e.to_string(),
            "segments: 9 cells are in no segment: (r=1, f=1, m=1), (r=1, f=1, m=2), \
             (r=1, f=1, m=3), (r=1, f=2, m=1), (r=1, f=2, m=2), (r=1, f=2, m=3), \
             (r=1, f=3, m=1), (r=1, f=3, m=2), (r=1, f=3, m=3)"
        );
        // More than ten: listed then counted.
        let e = by_r(4, &[(2, 4)]).compile().expect_err("gap");
        assert!(
            e.to_string().ends_with("(r=1, f=3, m=2) … and 6 more"),
            "{e}"
        );
        // Overlap names the earlier segment and the shared cells.
        let e = by_r(2, &[(1, 2), (2, 2)]).compile().expect_err("overlap");
        assert_eq!(
            e.to_string(),
            "segments[1].when: overlaps segment `s0` (segments[0]) on 4 cells: \
             (r=2, f=1, m=1), (r=2, f=1, m=2), (r=2, f=2, m=1), (r=2, f=2, m=2)"
        );
        // A condition that can hold for no cell: f 1 and m 1 give fm 1, never 2.
        let mut s = by_r(2, &[(1, 2)]);
        s.segments.push(seg(
            "never",
            When::One(Condition {
                f: Some(ScoreRange::One(1)),
                m: Some(ScoreRange::One(1)),
                fm: Some(ScoreRange::One(2)),
                ..Condition::default()
            }),
        ));
        let e = s.compile().expect_err("empty");
        assert_eq!(
            e.to_string(),
            "segments[1].when: `f 1, m 1, fm 2` matches no cell with scores 1..=2"
        );
    }

    #[test]
    fn schema_file_is_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../schemas/rfm-segment-scheme.schema.json");
        let schema = format!("{}\n", <SegmentScheme as RuleDocument>::json_schema());
        if std::env::var_os("QUDAO_BLESS").is_some_and(|v| v == "1") {
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir schemas");
            std::fs::write(&path, &schema).expect("write schema");
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == schema,
            "{} is out of date; rerun with QUDAO_BLESS=1",
            path.display()
        );
    }
}
