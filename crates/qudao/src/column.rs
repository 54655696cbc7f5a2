//! A column of fixed-width values: owned, or borrowed from someone else's buffer.
//!
//! A [`Column`] dereferences to a slice. Built columns own a `Vec`; columns taken from Arrow
//! (or any other host buffer) share it without a copy.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// A read-only column of `T`.
pub enum Column<T: 'static> {
    /// Memory owned by this column.
    Owned(Vec<T>),
    /// Memory owned elsewhere (an Arrow buffer, a host allocation), kept alive by the `Arc`.
    Shared(Arc<dyn AsRef<[T]> + Send + Sync>),
}

impl<T> Column<T> {
    /// The values as a slice.
    #[inline]
    pub fn as_slice(&self) -> &[T] {
        match self {
            Column::Owned(v) => v,
            Column::Shared(s) => (**s).as_ref(),
        }
    }

    /// Whether this column borrows memory it does not own (zero-copy input).
    pub fn is_shared(&self) -> bool {
        matches!(self, Column::Shared(_))
    }

    /// Bytes of values held (not counting allocator slack).
    pub fn value_bytes(&self) -> usize {
        std::mem::size_of_val(self.as_slice())
    }
}

impl<T> Deref for Column<T> {
    type Target = [T];
    #[inline]
    fn deref(&self) -> &[T] {
        self.as_slice()
    }
}

impl<T> From<Vec<T>> for Column<T> {
    fn from(v: Vec<T>) -> Self {
        Column::Owned(v)
    }
}

impl<T> Default for Column<T> {
    fn default() -> Self {
        Column::Owned(Vec::new())
    }
}

impl<T: Clone> Clone for Column<T> {
    fn clone(&self) -> Self {
        match self {
            Column::Owned(v) => Column::Owned(v.clone()),
            Column::Shared(s) => Column::Shared(Arc::clone(s)),
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Column<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = if self.is_shared() { "shared" } else { "owned" };
        write!(f, "Column<{kind}; {} values>", self.len())
    }
}

/// A validity bitmap: bit `i` set means value `i` is present.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bitmap {
    words: Vec<u64>,
    len: usize,
}

impl Bitmap {
    /// A bitmap of `len` bits, all set or all clear.
    pub fn new(len: usize, set: bool) -> Self {
        let fill = if set { u64::MAX } else { 0 };
        Bitmap {
            words: vec![fill; len.div_ceil(64)],
            len,
        }
    }

    /// Append one bit.
    pub fn push(&mut self, bit: bool) {
        if self.len.is_multiple_of(64) {
            self.words.push(0);
        }
        if bit {
            self.words[self.len / 64] |= 1 << (self.len % 64);
        }
        self.len += 1;
    }

    /// Bit `i`.
    #[inline]
    pub fn get(&self, i: usize) -> bool {
        self.words[i / 64] >> (i % 64) & 1 == 1
    }

    /// Number of bits.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the bitmap has no bits.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of set bits among the first `len`.
    pub fn count_set(&self) -> usize {
        (0..self.len).filter(|&i| self.get(i)).count()
    }
}
