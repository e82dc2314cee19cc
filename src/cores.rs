//! How many threads a big input's work is spread over.

/// The cores this process may use, looked up once: the lookup reads cgroup files.
pub(crate) fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}
