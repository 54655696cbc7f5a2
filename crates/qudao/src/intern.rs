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

/// The first 8 bytes of an id, zero-padded.
#[inline]
fn head_of(b: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    let n = b.len().min(8);
    w[..n].copy_from_slice(&b[..n]);
    u64::from_le_bytes(w)
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
fn hash_str(s: &str) -> u64 {
    hash_bytes(s.as_bytes())
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
        let h = hash_str(id);
        let head = head_of(id.as_bytes());
        let text = &self.text;
        if let Some(slot) = self
            .table
            .find(h, |slot| slot.holds(text, id.as_bytes(), head))
        {
            return slot.code;
        }
        self.insert_new(id, h)
    }

    /// Add an id known not to be present; returns its code.
    fn insert_new(&mut self, id: &str, h: u64) -> u32 {
        // Codes stop one short of NONE; beyond 4 billion ids the last code is reused, which no
        // real data set reaches (the columns would not fit in memory first).
        let code = u32::try_from(self.ends.len())
            .ok()
            .filter(|&c| c != NONE)
            .unwrap_or(NONE - 1);
        let start = self.text.len();
        self.text.push_str(id);
        self.ends.push(self.text.len());
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

    /// Add `id` and return its code, or `None` if it is already present (a duplicate).
    pub fn insert_unique(&mut self, id: &str) -> Option<u32> {
        let h = hash_str(id);
        let head = head_of(id.as_bytes());
        let text = &self.text;
        if self
            .table
            .find(h, |slot| slot.holds(text, id.as_bytes(), head))
            .is_some()
        {
            return None;
        }
        Some(self.insert_new(id, h))
    }

    /// The code of an existing id.
    #[inline]
    pub fn code(&self, id: &str) -> Option<u32> {
        let text = &self.text;
        let head = head_of(id.as_bytes());
        self.table
            .find(hash_str(id), |slot| slot.holds(text, id.as_bytes(), head))
            .map(|slot| slot.code)
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

    /// Approximate heap bytes used.
    pub fn heap_bytes(&self) -> usize {
        self.text.capacity() + self.ends.capacity() * 8 + self.table.capacity() * 25
    }
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
