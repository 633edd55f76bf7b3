//! Large JSON-lines files, read a chunk of whole lines at a time: a run's
//! memory then follows the chunk, not the file. Each chunk is loaded and
//! split like a whole input, with its line numbers moved on.

use std::io::Read;

use super::read::{failed_load, load_bytes, Loaded};

/// A large JSON-lines file read a chunk of whole lines at a time, so memory
/// does not follow the file's size.
pub struct LineChunks {
    chunk: usize,
    file: std::fs::File,
    name: String,
    pending: Vec<u8>,
    lines: usize,
    done: bool,
    /// A chunk's buffer given back, filled again rather than allocated (a
    /// fresh 8 MB buffer costs its page faults every time).
    spare: Option<Vec<u8>>,
}

impl LineChunks {
    /// Bytes read per chunk.
    pub const CHUNK: usize = 8 << 20;

    /// `Some` if `path` is plain JSON lines: not gzip, and its first line is
    /// a whole JSON object (a one-line `{"Records": [...]}` file or a
    /// pretty-printed document is not, and is read whole).
    pub fn open(path: &std::path::Path, chunk: usize) -> Option<LineChunks> {
        let mut file = std::fs::File::open(path).ok()?;
        let mut head = vec![0u8; 1 << 20];
        let n = file.read(&mut head).ok()?;
        head.truncate(n);
        let first = head.get(..head.iter().position(|b| *b == b'\n')?)?;
        let first = first.strip_prefix(b"\xef\xbb\xbf").unwrap_or(first);
        if !first.trim_ascii_start().starts_with(b"{")
            || serde_json::from_slice::<serde::de::IgnoredAny>(first).is_err()
        {
            return None;
        }
        Some(LineChunks {
            chunk: chunk.max(1),
            file,
            name: path.display().to_string(),
            pending: head,
            lines: 0,
            done: false,
            spare: None,
        })
    }

    /// Gives back the buffer of a chunk that is done with, for a later one.
    pub fn recycle(&mut self, done: Loaded) {
        self.spare = Some(done.into_data());
    }

    /// The next chunk of whole lines, split into units.
    pub fn next_chunk(&mut self) -> Option<Loaded> {
        if self.done && self.pending.is_empty() {
            return None;
        }
        while !self.done && self.pending.len() < self.chunk {
            let want = (self.chunk - self.pending.len()) as u64;
            match (&mut self.file).take(want).read_to_end(&mut self.pending) {
                Ok(0) => self.done = true,
                Ok(_) => {}
                Err(e) => {
                    self.done = true;
                    let mut l = failed_load(&self.name, &crate::files::io_reason(&e));
                    l.shift_lines(self.lines);
                    return Some(l);
                }
            }
        }
        let cut = if self.done {
            self.pending.len()
        } else {
            memchr::memrchr(b'\n', &self.pending).map_or(self.pending.len(), |i| i + 1)
        };
        // The next chunk's buffer holds the cut line and a whole chunk
        // without growing (a grown buffer is copied into fresh pages).
        let tail = self.pending.get(cut..).unwrap_or_default();
        let mut rest = self.spare.take().unwrap_or_default();
        rest.clear();
        rest.reserve(tail.len() + self.chunk + 1);
        rest.extend_from_slice(tail);
        self.pending.truncate(cut);
        let chunk = std::mem::replace(&mut self.pending, rest);
        let lines = memchr::memchr_iter(b'\n', &chunk).count();
        let mut loaded = load_bytes(&self.name, chunk);
        loaded.shift_lines(self.lines);
        self.lines += lines;
        Some(loaded)
    }
}
