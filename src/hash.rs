//! Hash maps and sets keyed by what files hold: keys, names, values.
//!
//! std's SipHash is built to resist collision floods against long-lived servers; it took a
//! tenth of an `exec-env` of 5,000 short names, hashed while reading and checking them.
//! foldhash is several times faster on short keys. Its seed is taken per process (address
//! layout and clock), so a file cannot be written ahead to collide in a given run.

/// A hash map with the fast hasher.
pub(crate) type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// A hash set with the fast hasher.
pub(crate) type FastSet<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;

/// An empty [`FastMap`] with room for `n` entries.
pub(crate) fn map_with_capacity<K, V>(n: usize) -> FastMap<K, V> {
    FastMap::with_capacity_and_hasher(n, Default::default())
}

/// An empty [`FastSet`] with room for `n` entries.
pub(crate) fn set_with_capacity<K>(n: usize) -> FastSet<K> {
    FastSet::with_capacity_and_hasher(n, Default::default())
}
