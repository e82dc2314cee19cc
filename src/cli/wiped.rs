//! Buffers for output that may be plaintext (`decrypt`, the file `edit` opens, a git
//! filter's clean text), wiped before their memory is freed: `std::io::BufWriter` frees
//! its buffer as it is, which leaves the last 64 KiB printed in freed memory for as long as
//! the process runs (all the editing, for `edit`).

use std::io::{self, Write};

/// Bytes gathered before a write: as `std::io::BufWriter`'s 64 KiB.
const CAPACITY: usize = 64 * 1024;

/// A buffered writer whose buffer is zeroed when it is dropped or given up.
pub struct WipedBufWriter<W: Write> {
    /// `None` once [`WipedBufWriter::into_inner`] took it.
    inner: Option<W>,
    buffer: Vec<u8>,
    /// How much of the buffer has held bytes: what must be zeroed (a short output does not
    /// pay for zeroing 64 KiB).
    used: usize,
}

impl<W: Write> WipedBufWriter<W> {
    pub fn new(inner: W) -> Self {
        WipedBufWriter {
            inner: Some(inner),
            buffer: Vec::new(),
            used: 0,
        }
    }

    /// Flushes, then hands back the inner writer; the buffer is wiped either way.
    pub fn into_inner(mut self) -> io::Result<W> {
        self.flush_buffer()?;
        self.wipe();
        Ok(self.inner.take().expect("the inner writer is taken once"))
    }

    fn flush_buffer(&mut self) -> io::Result<()> {
        self.used = self.used.max(self.buffer.len());
        let Some(inner) = self.inner.as_mut() else {
            return Ok(());
        };
        let mut written = 0;
        while written < self.buffer.len() {
            match inner.write(&self.buffer[written..]) {
                Ok(0) => {
                    self.buffer.drain(..written);
                    return Err(io::ErrorKind::WriteZero.into());
                }
                Ok(n) => written += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.buffer.drain(..written);
                    return Err(e);
                }
            }
        }
        self.buffer.clear();
        Ok(())
    }

    /// Zeroes every byte of the buffer that held output.
    fn wipe(&mut self) {
        self.used = self.used.max(self.buffer.len());
        crate::wipe::zero_allocation(&mut self.buffer, self.used);
        self.buffer.clear();
    }
}

impl<W: Write> Write for WipedBufWriter<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        if self.buffer.len() + bytes.len() > CAPACITY {
            self.flush_buffer()?;
        }
        if bytes.len() >= CAPACITY {
            if let Some(inner) = self.inner.as_mut() {
                return inner.write(bytes);
            }
        }
        if self.buffer.capacity() == 0 {
            self.buffer.reserve_exact(CAPACITY);
        }
        self.buffer.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.flush_buffer()?;
        self.inner.as_mut().map_or(Ok(()), Write::flush)
    }
}

impl<W: Write> Drop for WipedBufWriter<W> {
    fn drop(&mut self) {
        // After `into_inner` there is nothing left to write, and the buffer was wiped.
        if self.inner.is_none() {
            return;
        }
        // As `BufWriter`: what is still buffered is written, errors ignored (callers that
        // care flush first).
        let _ = self.flush_buffer();
        self.wipe();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_everything_in_order() {
        let mut out = WipedBufWriter::new(Vec::new());
        let big = vec![7u8; CAPACITY + 10];
        out.write_all(b"a").unwrap();
        out.write_all(&big).unwrap();
        out.write_all(b"bc").unwrap();
        let inner = out.into_inner().unwrap();
        assert_eq!(inner.len(), CAPACITY + 13);
        assert_eq!(&inner[..1], b"a");
        assert_eq!(&inner[inner.len() - 2..], b"bc");
    }

    #[test]
    fn the_used_buffer_is_zeroed_in_place() {
        let mut out = WipedBufWriter::new(Vec::new());
        out.write_all(b"password=hunter2\n").unwrap();
        out.flush().unwrap();
        let pointer = out.buffer.as_ptr();
        out.wipe();
        // The memory the output went through, read back through the buffer still alive.
        assert_eq!(out.buffer.as_ptr(), pointer);
        // SAFETY: `used` bytes of the buffer's allocation were initialised (written, then
        // zeroed); the allocation is alive.
        let held = unsafe { std::slice::from_raw_parts(pointer, out.used) };
        assert_eq!(out.used, 17);
        assert!(held.iter().all(|&b| b == 0), "{held:?}");
        assert_eq!(out.inner.as_deref(), Some(&b"password=hunter2\n"[..]));
    }

    /// A writer that takes a few bytes at a time, then fails.
    struct Trickle(Vec<u8>, usize);

    impl Write for Trickle {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            if self.1 == 0 {
                return Err(io::Error::other("full"));
            }
            self.1 -= 1;
            let n = bytes.len().min(3);
            self.0.extend_from_slice(&bytes[..n]);
            Ok(n)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn short_writes_are_resumed_and_errors_reported() {
        let mut out = WipedBufWriter::new(Trickle(Vec::new(), 100));
        out.write_all(b"0123456789").unwrap();
        assert_eq!(out.into_inner().unwrap().0, b"0123456789");
        let mut out = WipedBufWriter::new(Trickle(Vec::new(), 2));
        out.write_all(b"0123456789").unwrap();
        assert!(out.flush().is_err());
        // What was not written stays buffered, in order.
        assert_eq!(out.buffer, b"6789");
    }
}
