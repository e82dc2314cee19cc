//! Master key sources: the ways a file's data key is wrapped for its owners.

pub mod age;
