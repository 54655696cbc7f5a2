//! String ids interned to dense `u32` codes.
//!
//! Every master table (channels, partners, …) keeps an [`Interner`]: the code of an id is its
//! position in the table, so per-entity state can live in plain vectors indexed by code.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// The code that means "none" in an id column (e.g. the partner of a direct sale).
pub const NONE: u32 = u32::MAX;

/// A small, fast, deterministic hasher for short keys (FxHash, as used in rustc).
///
/// Ids are not attacker-chosen keys of a network service, so flooding resistance is not
/// needed; speed on the ingestion hot path is.
#[derive(Debug, Default, Clone, Copy)]
pub struct FxHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        // The multiply leaves the low bits weakest; hash tables index by them.
        self.hash.rotate_left(26)
    }
}

/// A `HashMap` with [`FxHasher`].
pub type FxHashMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// Maps string ids to dense codes `0..len` and back.
///
/// Ids live once, back to back, in one string arena; the hash table holds only codes. So
/// interning millions of order ids costs no allocation per id.
///
/// Most extracts number their ids (`C0400001`, `SO0000000001`). Ids of one such family (the
/// same length and non-digit prefix, then digits) are found through a direct-address table
/// on their number instead of the hash table: four bytes a number, and one read instead of a
/// hash probe. Codes are the same either way: the position of the id's first appearance.
///
/// ```
/// let mut ids = qudao::intern::Interner::default();
/// assert_eq!(ids.intern("P-001"), 0);
/// assert_eq!(ids.intern("P-002"), 1);
/// assert_eq!(ids.intern("P-001"), 0);
/// assert_eq!(ids.code("P-002"), Some(1));
/// assert_eq!(ids.name(1), "P-002");
/// ```
#[derive(Clone, Default)]
pub struct Interner {
    text: String,
    /// End offset in `text` of each id; id `i` starts where id `i - 1` ends.
    ends: Vec<usize>,
    /// Where each id's text is, beside its code: a probe compares against the arena
    /// directly, without a second random read through `ends` (lookups are memory-bound).
    table: hashbrown::HashTable<Slot>,
    /// The numbered family, once an id of one has been interned; see [`Numbered`].
    numbered: Option<Box<Numbered>>,
}

/// A direct-address index for one family of numbered ids: the same length, the same prefix,
/// then only digits, so the number gives back the id (leading zeros included).
///
/// The table covers the numbers `base..base + codes.len()` and holds at most
/// [`Numbered::span_limit`] slots, so sparse numbers cannot blow memory up: an id of the
/// family whose number would need more goes to the hash table ("spilled") and moves into the
/// table when it next grows over it.
#[derive(Clone, Debug)]
struct Numbered {
    prefix: Box<[u8]>,
    /// The prefix's first 8 bytes, and the mask that keeps them in an id's head.
    prefix_head: u64,
    prefix_mask: u64,
    len: usize,
    base: u64,
    /// Code per number, [`NONE`] when absent.
    codes: Vec<u32>,
    /// Whether some ids of the family are in the hash table: a miss here must then ask it.
    spilled: bool,
}

/// `'0'` in every byte.
const ZEROS: u64 = 0x3030_3030_3030_3030;

/// `n` followed by the decimal `digits`, or `None` if one is not a digit.
#[inline]
fn digit_loop(mut n: u64, digits: &[u8]) -> Option<u64> {
    for &c in digits {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        n = n * 10 + u64::from(d);
    }
    Some(n)
}

/// The value of eight ASCII digits in a little-endian word (the first digit in the lowest
/// byte), or `None` if a byte is not a digit: three multiply-and-shift steps, pairs then
/// fours then eights, instead of eight dependent steps.
#[inline]
fn eight_digits(w: u64) -> Option<u64> {
    const HIGH: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    // Every byte in 0x30..=0x3F, and still so after adding 6 (so at most 0x39).
    if w & HIGH != ZEROS || w.wrapping_add(0x0606_0606_0606_0606) & HIGH != ZEROS {
        return None;
    }
    let v = w & 0x0F0F_0F0F_0F0F_0F0F;
    let v = (v.wrapping_mul(10) + (v >> 8)) & 0x00FF_00FF_00FF_00FF;
    let v = (v.wrapping_mul(100) + (v >> 16)) & 0x0000_FFFF_0000_FFFF;
    Some((v.wrapping_mul(10_000) + (v >> 32)) & 0xFFFF_FFFF)
}

/// Fewest trailing digits for a family: shorter numbers are too few to be worth a table.
const FAMILY_MIN_DIGITS: usize = 4;
/// Most trailing digits for a family: the number must fit a `u64`.
const FAMILY_MAX_DIGITS: usize = 18;
/// Ids looked at for a family before the interner stops looking.
const FAMILY_TRIES: usize = 16;

impl Numbered {
    /// The family `id` starts, if it ends in enough digits.
    fn of(id: &[u8]) -> Option<Numbered> {
        let digits = id.iter().rev().take_while(|c| c.is_ascii_digit()).count();
        if !(FAMILY_MIN_DIGITS..=FAMILY_MAX_DIGITS).contains(&digits) || id.len() - digits > 32 {
            return None;
        }
        let prefix = &id[..id.len() - digits];
        let prefix_mask = match prefix.len() {
            0 => 0,
            n @ 1..8 => u64::MAX >> (64 - 8 * n),
            _ => u64::MAX,
        };
        Some(Numbered {
            prefix_head: head_of(prefix) & prefix_mask,
            prefix_mask,
            prefix: prefix.into(),
            len: id.len(),
            base: 0,
            codes: Vec::new(),
            spilled: false,
        })
    }

    /// The number of `id` if it is of this family.
    #[inline]
    fn number(&self, id: &[u8]) -> Option<u64> {
        if id.len() != self.len {
            return None;
        }
        let prefix_ok = if self.prefix.len() <= 8 {
            head_of(id) & self.prefix_mask == self.prefix_head
        } else {
            id.starts_with(&self.prefix)
        };
        if !prefix_ok {
            return None;
        }
        let digits = &id[self.prefix.len()..];
        // The last 8 bytes in one word (ids of 8 bytes or more): the common case, with no
        // branch per digit.
        let Some(last) = id.last_chunk::<8>() else {
            return digit_loop(0, digits);
        };
        let head = digits.len().saturating_sub(8);
        let n = digit_loop(0, &digits[..head])?;
        // Bytes of the word before the digits (prefix) count as leading zeros.
        let before = 8 - (digits.len() - head);
        let keep = u64::MAX.checked_shl(8 * before as u32).unwrap_or(0);
        let w = (u64::from_le_bytes(*last) & keep) | (ZEROS & !keep);
        Some(n * 100_000_000 + eight_digits(w)?)
    }

    /// The slot of number `n`, if the table covers it.
    #[inline]
    fn slot(&self, n: u64) -> Option<usize> {
        n.checked_sub(self.base)
            .filter(|&i| i < self.codes.len() as u64)
            .map(|i| i as usize)
    }

    /// Most slots for an interner holding (or sized for) `ids` ids: four per id, so the table
    /// stays smaller than the hash slots it replaces.
    fn span_limit(ids: usize) -> u64 {
        (ids as u64).saturating_mul(4).saturating_add(4096)
    }

    /// Grow the table to cover `n` if that stays within `limit` slots; the new slot, or `None`
    /// when `n` is too far out. Grows by doubling, toward `n`.
    fn cover(&mut self, n: u64, limit: u64) -> Option<usize> {
        if let Some(i) = self.slot(n) {
            return Some(i);
        }
        let old = self.codes.len() as u64;
        let (lo, hi) = if old == 0 {
            (n, n.saturating_add(1))
        } else {
            (self.base.min(n), (self.base + old).max(n.saturating_add(1)))
        };
        let need = hi - lo;
        if need > limit {
            return None;
        }
        let room = need.max(old.saturating_mul(2)).min(limit);
        if old > 0 && n < self.base {
            // Grow downward: new slots go below, the old ones move up.
            let new_base = hi.saturating_sub(room);
            let mut codes = vec![NONE; (hi - new_base) as usize];
            let at = (self.base - new_base) as usize;
            codes[at..at + old as usize].copy_from_slice(&self.codes);
            self.codes = codes;
            self.base = new_base;
        } else {
            if old == 0 {
                self.base = lo;
            }
            self.codes.resize((room.max(hi - self.base)) as usize, NONE);
        }
        self.slot(n)
    }
}

#[derive(Clone, Copy, Debug)]
struct Slot {
    start: usize,
    len: u32,
    code: u32,
    /// The id's first 8 bytes: most probes are decided here, without reading the arena
    /// (a second cache miss); ids of up to 8 bytes never read it.
    head: u64,
}

/// The first 8 bytes of an id, zero-padded. (No `memcpy` of a variable length: this runs once
/// per lookup.)
#[inline]
fn head_of(b: &[u8]) -> u64 {
    if let Some(w) = b.first_chunk::<8>() {
        return u64::from_le_bytes(*w);
    }
    let mut w = 0u64;
    for (i, &c) in b.iter().enumerate() {
        w |= u64::from(c) << (8 * i);
    }
    w
}

/// Whether two ids are equal. Ids are short, and comparing them in words is cheaper than
/// the library `memcmp` call a slice comparison makes, on paths that compare every row.
#[inline]
pub(crate) fn same_id(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    match (a.last_chunk::<8>(), b.last_chunk::<8>()) {
        // Up to 16 bytes: the first and the last 8 (overlapping) cover it.
        (Some(x), Some(y)) if n <= 16 => head_of(a) == head_of(b) && x == y,
        _ if n < 8 => head_of(a) == head_of(b),
        _ => a == b,
    }
}

impl Slot {
    /// Whether this slot holds `id` (whose head is `head`).
    #[inline]
    fn holds(&self, text: &str, id: &[u8], head: u64) -> bool {
        self.head == head
            && self.len as usize == id.len()
            && (id.len() <= 8 || self.text(text)[8..] == id[8..])
    }

    #[inline]
    fn text<'a>(&self, text: &'a str) -> &'a [u8] {
        &text.as_bytes()[self.start..self.start + self.len as usize]
    }
}

impl std::fmt::Debug for Interner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Interner")
            .field("len", &self.len())
            .finish()
    }
}

#[inline]
fn hash_bytes(b: &[u8]) -> u64 {
    let mut h = FxHasher::default();
    h.write(b);
    h.write_usize(b.len());
    h.finish()
}

impl Interner {
    /// An empty interner with room for `n` ids.
    pub fn with_capacity(n: usize) -> Self {
        Interner {
            text: String::with_capacity(n.saturating_mul(8)),
            ends: Vec::with_capacity(n),
            table: hashbrown::HashTable::with_capacity(n),
            numbered: None,
        }
    }

    /// Make room for `n` more ids of about `bytes_each` bytes.
    pub fn reserve(&mut self, n: usize, bytes_each: usize) {
        self.text.reserve(n.saturating_mul(bytes_each));
        self.ends.reserve(n);
        let text = &self.text;
        self.table.reserve(n, |slot| hash_bytes(slot.text(text)));
    }

    /// The code of `id`, adding it if new.
    #[inline]
    pub fn intern(&mut self, id: &str) -> u32 {
        match self.lookup(id) {
            Ok(code) => code,
            Err(miss) => self.insert_new(id, miss),
        }
    }

    /// The code of `id`, or where to put it: its number in the family, else its hash.
    #[inline]
    fn lookup(&self, id: &str) -> std::result::Result<u32, Miss> {
        let b = id.as_bytes();
        let mut number = None;
        if let Some(f) = &self.numbered
            && let Some(n) = f.number(b)
        {
            if let Some(i) = f.slot(n) {
                let c = f.codes[i];
                if c != NONE {
                    return Ok(c);
                }
            }
            if !f.spilled {
                return Err(Miss::Number(n));
            }
            number = Some(n);
        }
        let h = hash_bytes(b);
        let head = head_of(b);
        let text = &self.text;
        match self.table.find(h, |slot| slot.holds(text, b, head)) {
            Some(slot) => Ok(slot.code),
            None => Err(number.map_or(Miss::Hash(h), Miss::Number)),
        }
    }

    /// Add an id known not to be present; returns its code.
    fn insert_new(&mut self, id: &str, miss: Miss) -> u32 {
        // Codes stop one short of NONE; beyond 4 billion ids the last code is reused, which no
        // real data set reaches (the columns would not fit in memory first).
        let code = u32::try_from(self.ends.len())
            .ok()
            .filter(|&c| c != NONE)
            .unwrap_or(NONE - 1);
        let start = self.text.len();
        self.text.push_str(id);
        self.ends.push(self.text.len());
        let mut miss = miss;
        if self.numbered.is_none()
            && self.ends.len() <= FAMILY_TRIES
            && let Some(mut f) = Numbered::of(id.as_bytes())
        {
            if let Some(n) = f.number(id.as_bytes()) {
                f.base = n;
                miss = Miss::Number(n);
            }
            self.numbered = Some(Box::new(f));
        }
        if let Miss::Number(n) = miss {
            let limit = Numbered::span_limit(self.ends.capacity().max(self.ends.len()));
            if let Some(f) = self.numbered.as_deref_mut() {
                let grew = f.slot(n).is_none();
                if let Some(i) = f.cover(n, limit) {
                    f.codes[i] = code;
                    if grew && f.spilled {
                        self.unspill();
                    }
                    return code;
                }
                f.spilled = true;
            }
        }
        let h = match miss {
            Miss::Hash(h) => h,
            Miss::Number(_) => hash_bytes(id.as_bytes()),
        };
        let slot = Slot {
            start,
            len: u32::try_from(id.len()).unwrap_or(u32::MAX),
            code,
            head: head_of(id.as_bytes()),
        };
        let text = &self.text;
        self.table
            .insert_unique(h, slot, |slot| hash_bytes(slot.text(text)));
        code
    }

    /// Move spilled ids of the family that the grown table now covers into it.
    fn unspill(&mut self) {
        let Some(f) = self.numbered.as_deref_mut() else {
            return;
        };
        let text = &self.text;
        let mut left = false;
        self.table.retain(|slot| {
            let Some(n) = f.number(slot.text(text)) else {
                return true;
            };
            match f.slot(n) {
                Some(i) => {
                    f.codes[i] = slot.code;
                    false
                }
                None => {
                    left = true;
                    true
                }
            }
        });
        f.spilled = left;
    }

    /// Add `id` and return its code, or `None` if it is already present (a duplicate).
    pub fn insert_unique(&mut self, id: &str) -> Option<u32> {
        match self.lookup(id) {
            Ok(_) => None,
            Err(miss) => Some(self.insert_new(id, miss)),
        }
    }

    /// The code of an existing id.
    #[inline]
    pub fn code(&self, id: &str) -> Option<u32> {
        self.lookup(id).ok()
    }

    /// The id of a code. Panics on a code this interner never gave out; use [`Interner::get`]
    /// for untrusted codes.
    pub fn name(&self, code: u32) -> &str {
        name_in(&self.text, &self.ends, code)
    }

    /// The id of a code, if it is in range.
    pub fn get(&self, code: u32) -> Option<&str> {
        ((code as usize) < self.ends.len()).then(|| self.name(code))
    }

    /// Number of ids.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there are no ids.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// All ids in code order.
    pub fn names(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        (0..self.ends.len() as u32).map(|c| self.name(c))
    }

    /// All codes, ordered by id (byte-wise, as `str` orders). Ids of the numbered family have
    /// one length and one prefix, so they order as their numbers: they come out of the direct
    /// table already in order, and only the other ids are sorted, then merged in.
    pub fn codes_by_id(&self) -> Vec<u32> {
        let family: Vec<u32> = match &self.numbered {
            Some(f) => f.codes.iter().copied().filter(|&c| c != NONE).collect(),
            None => Vec::new(),
        };
        if self.table.is_empty() {
            return family;
        }
        let mut rest: Vec<u32> = self.table.iter().map(|s| s.code).collect();
        rest.sort_unstable_by(|&a, &b| self.name(a).cmp(self.name(b)));
        if family.is_empty() {
            return rest;
        }
        let mut out = Vec::with_capacity(family.len() + rest.len());
        let (mut i, mut j) = (0, 0);
        while i < family.len() && j < rest.len() {
            if self.name(family[i]) < self.name(rest[j]) {
                out.push(family[i]);
                i += 1;
            } else {
                out.push(rest[j]);
                j += 1;
            }
        }
        out.extend_from_slice(&family[i..]);
        out.extend_from_slice(&rest[j..]);
        out
    }

    /// Approximate heap bytes used.
    pub fn heap_bytes(&self) -> usize {
        self.text.capacity()
            + self.ends.capacity() * 8
            + self.table.capacity() * 25
            + self.numbered.as_ref().map_or(0, |f| f.codes.capacity() * 4)
    }
}

/// Why a lookup missed, with what it computed for the insert.
#[derive(Clone, Copy)]
enum Miss {
    /// An id of the numbered family, with its number.
    Number(u64),
    /// Any other id, with its hash.
    Hash(u64),
}

#[inline]
fn name_in<'a>(text: &'a str, ends: &[usize], code: u32) -> &'a str {
    let i = code as usize;
    let start = if i == 0 { 0 } else { ends[i - 1] };
    &text[start..ends[i]]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn codes_are_dense_and_stable(ids in prop::collection::vec("[a-zA-Z0-9ä-]{0,12}", 0..200)) {
            let mut it = Interner::default();
            let mut seen: Vec<String> = Vec::new();
            for id in &ids {
                let c = it.intern(id);
                match seen.iter().position(|s| s == id) {
                    Some(p) => prop_assert_eq!(c as usize, p),
                    None => {
                        prop_assert_eq!(c as usize, seen.len());
                        seen.push(id.clone());
                    }
                }
            }
            prop_assert_eq!(it.len(), seen.len());
            for (i, s) in seen.iter().enumerate() {
                prop_assert_eq!(it.name(i as u32), s.as_str());
                prop_assert_eq!(it.code(s), Some(i as u32));
            }
            prop_assert_eq!(it.names().collect::<Vec<_>>(), seen.iter().map(String::as_str).collect::<Vec<_>>());
            prop_assert_eq!(it.get(seen.len() as u32), None);
        }
    }

    /// Numbered ids (dense, sparse, far apart, below the first) mixed with others: the
    /// direct-address table, its growth both ways and the spill to the hash table must give
    /// the same codes as first appearance.
    fn numbered_id() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => (0u64..3000).prop_map(|n| format!("C{n:06}")),
            2 => (0u64..1_000_000).prop_map(|n| format!("C{n:06}")),
            1 => (0u64..100).prop_map(|n| format!("C{n:05}")),
            1 => (0u64..100).prop_map(|n| format!("D{n:06}")),
            1 => (0u64..100_000).prop_map(|n| format!("{n:06}")),
            1 => "[A-Z]{0,3}[0-9]{0,7}",
        ]
    }

    proptest! {
        #[test]
        fn numbered_ids_code_like_any_others(
            ids in prop::collection::vec(numbered_id(), 0..1500),
            capacity in prop_oneof![Just(0usize), Just(1usize << 16)],
        ) {
            let mut it = Interner::with_capacity(capacity);
            let mut seen: HashMap<&str, u32> = HashMap::new();
            for id in &ids {
                let next = seen.len() as u32;
                let want = *seen.entry(id.as_str()).or_insert(next);
                prop_assert_eq!(it.code(id), (want != next).then_some(want));
                prop_assert_eq!(it.intern(id), want, "{}", id);
            }
            prop_assert_eq!(it.len(), seen.len());
            for (id, &c) in &seen {
                prop_assert_eq!(it.code(id), Some(c));
                prop_assert_eq!(it.name(c), *id);
                prop_assert_eq!(it.insert_unique(id), None);
            }
            prop_assert_eq!(it.code("C9999999"), None);
            prop_assert_eq!(it.code("C999999x"), None);
            let mut sorted: Vec<u32> = (0..it.len() as u32).collect();
            sorted.sort_by(|&a, &b| it.name(a).cmp(it.name(b)));
            prop_assert_eq!(it.codes_by_id(), sorted);
        }
    }

    proptest! {
        #[test]
        fn eight_digits_reads_any_word_like_the_digit_loop(bytes in prop::array::uniform8(
            prop_oneof![8 => b'0'..=b'9', 1 => any::<u8>(), 1 => Just(b'/'), 1 => Just(b':')],
        )) {
            prop_assert_eq!(eight_digits(u64::from_le_bytes(bytes)), digit_loop(0, &bytes));
        }

        #[test]
        fn family_numbers_of_every_width(prefix in "[A-Z-]{0,10}", n in any::<u64>(), width in 4usize..=18) {
            let n = n % 10u64.pow(width as u32);
            let id = format!("{prefix}{n:0width$}");
            let f = Numbered::of(id.as_bytes()).expect("a family");
            prop_assert_eq!(f.number(id.as_bytes()), Some(n));
            let mut bad = id.clone().into_bytes();
            let last = bad.len() - 1;
            bad[last] = b'x';
            prop_assert_eq!(f.number(&bad), None);
            let first_digit = prefix.len();
            bad[last] = b'0';
            bad[first_digit] = b':';
            prop_assert_eq!(f.number(&bad), None);
        }
    }

    #[test]
    fn a_far_number_spills_and_moves_back_when_the_table_grows() {
        let mut it = Interner::default();
        assert_eq!(it.intern("SO000001"), 0);
        // Too far for a table sized for one id: it goes to the hash table.
        assert_eq!(it.intern("SO900000"), 1);
        assert!(it.numbered.as_ref().is_some_and(|f| f.spilled));
        // Enough ids for a table that reaches it.
        for n in 2..300_000u32 {
            assert_eq!(it.intern(&format!("SO{:06}", n * 3)), n);
        }
        // Below the first number: the table grows downward.
        assert_eq!(it.intern("SO000000"), 300_000);
        assert_eq!(it.code("SO900000"), Some(1));
        assert_eq!(it.code("SO000001"), Some(0));
        assert_eq!(it.insert_unique("SO900000"), None);
        let f = it.numbered.as_ref().map(|f| (f.spilled, f.base));
        assert_eq!(f, Some((false, 0)));
    }

    proptest! {
        #[test]
        fn same_id_is_equality(a in "[ab]{0,20}", b in "[ab]{0,20}") {
            prop_assert_eq!(same_id(a.as_bytes(), b.as_bytes()), a == b);
            prop_assert!(same_id(a.as_bytes(), a.clone().as_bytes()));
        }
    }

    #[test]
    fn ids_sharing_their_first_eight_bytes_stay_apart() {
        let ids = [
            "SO000000",
            "SO0000001",
            "SO0000002",
            "SO00000012",
            "SO000000\0",
            "SO00000",
            "",
            "\0",
            "SO000000\0\0",
        ];
        let mut it = Interner::default();
        for (k, id) in ids.iter().enumerate() {
            assert_eq!(it.intern(id), k as u32, "{id:?}");
        }
        for (k, id) in ids.iter().enumerate() {
            assert_eq!(it.code(id), Some(k as u32), "{id:?}");
            assert_eq!(it.insert_unique(id), None);
        }
        assert_eq!(it.code("SO0000003"), None);
    }
}
