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
        self.hash
    }
}

/// A `HashMap` with [`FxHasher`].
pub type FxHashMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// Maps string ids to dense codes `0..len` and back.
///
/// ```
/// let mut ids = qudao::intern::Interner::default();
/// assert_eq!(ids.intern("P-001"), 0);
/// assert_eq!(ids.intern("P-002"), 1);
/// assert_eq!(ids.intern("P-001"), 0);
/// assert_eq!(ids.code("P-002"), Some(1));
/// assert_eq!(ids.name(1), "P-002");
/// ```
#[derive(Debug, Clone, Default)]
pub struct Interner {
    names: Vec<Box<str>>,
    codes: FxHashMap<Box<str>, u32>,
}

impl Interner {
    /// An empty interner with room for `n` ids.
    pub fn with_capacity(n: usize) -> Self {
        Interner {
            names: Vec::with_capacity(n),
            codes: FxHashMap::with_capacity_and_hasher(n, Default::default()),
        }
    }

    /// The code of `id`, adding it if new.
    ///
    /// # Panics
    /// Never in practice: more than `u32::MAX - 1` distinct ids would be needed.
    #[inline]
    pub fn intern(&mut self, id: &str) -> u32 {
        if let Some(&c) = self.codes.get(id) {
            return c;
        }
        self.insert_new(id)
    }

    /// Add an id that is known not to be present; returns its code.
    fn insert_new(&mut self, id: &str) -> u32 {
        let code = u32::try_from(self.names.len())
            .ok()
            .filter(|&c| c != NONE)
            .unwrap_or(NONE - 1);
        let boxed: Box<str> = id.into();
        self.names.push(boxed.clone());
        self.codes.insert(boxed, code);
        code
    }

    /// Add `id` and return its code, or `None` if it is already present (a duplicate).
    pub fn insert_unique(&mut self, id: &str) -> Option<u32> {
        if self.codes.contains_key(id) {
            return None;
        }
        Some(self.insert_new(id))
    }

    /// The code of an existing id.
    #[inline]
    pub fn code(&self, id: &str) -> Option<u32> {
        self.codes.get(id).copied()
    }

    /// The id of a code. Panics on a code this interner never gave out; use [`Interner::get`]
    /// for untrusted codes.
    pub fn name(&self, code: u32) -> &str {
        &self.names[code as usize]
    }

    /// The id of a code, if it is in range.
    pub fn get(&self, code: u32) -> Option<&str> {
        self.names.get(code as usize).map(|s| &**s)
    }

    /// Number of ids.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether there are no ids.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// All ids in code order.
    pub fn names(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.names.iter().map(|s| &**s)
    }

    /// Approximate heap bytes used.
    pub fn heap_bytes(&self) -> usize {
        let strings: usize = self.names.iter().map(|s| s.len()).sum();
        // Each name is stored twice (vector and map key) plus map overhead.
        2 * strings + self.names.capacity() * 16 + self.codes.capacity() * 24
    }
}
