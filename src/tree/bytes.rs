//! [`Bytes`]: a leaf's raw bytes (a binary file's data that is not UTF-8, a `bytes` value),
//! wiped before its memory is freed, as [`super::Text`] is for strings.

use std::ops::Deref;

/// Raw bytes of a value, zeroed (their whole allocation) when dropped.
#[derive(Default, PartialEq, Eq)]
pub struct Bytes(Vec<u8>);

impl Bytes {
    /// The bytes as a vector for a caller that keeps them: a copy, since these are wiped
    /// when dropped and the caller's vector is its own to wipe.
    pub fn to_vec(&self) -> Vec<u8> {
        self.0.clone()
    }
}

impl From<Vec<u8>> for Bytes {
    /// Takes the vector's allocation as it is: no copy.
    fn from(bytes: Vec<u8>) -> Bytes {
        Bytes(bytes)
    }
}

impl Deref for Bytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl Clone for Bytes {
    fn clone(&self) -> Bytes {
        Bytes(self.0.clone())
    }
}

impl std::fmt::Debug for Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl Bytes {
    /// Zeroes the whole allocation, spare capacity too (it may hold bytes of a longer value
    /// the vector was cut from).
    fn wipe(&mut self) {
        let capacity = self.0.capacity();
        crate::wipe::zero_allocation(&mut self.0, capacity);
    }
}

impl Drop for Bytes {
    fn drop(&mut self) {
        self.wipe();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_as_its_bytes_and_copies_out() {
        let bytes = Bytes::from(vec![0xff, 0, 7]);
        assert_eq!(&*bytes, &[0xff, 0, 7]);
        assert_eq!(bytes.to_vec(), vec![0xff, 0, 7]);
        assert_eq!(bytes.clone(), bytes);
        assert_eq!(format!("{bytes:?}"), "[255, 0, 7]");
    }

    #[test]
    fn the_whole_allocation_is_zeroed_in_place() {
        let mut vector = Vec::with_capacity(64);
        vector.extend_from_slice(b"top secret bytes\xff");
        vector.truncate(10);
        let mut bytes = Bytes::from(vector);
        let (pointer, capacity) = (bytes.0.as_ptr(), bytes.0.capacity());
        bytes.wipe();
        assert_eq!(
            bytes.0.as_ptr(),
            pointer,
            "zeroed in place, not reallocated"
        );
        assert_eq!(bytes.0.len(), capacity);
        assert!(bytes.0.iter().all(|&b| b == 0));
    }
}
