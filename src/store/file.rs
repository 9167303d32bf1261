//! A JSON file store: atomic replace (temp file, fsync, rename, fsync dir), mode
//! 0600, and an exclusive `flock` on `<path>.lock` that spans processes.

use super::{Lease, Saved, Store, StoredPair};
use crate::error::{Error, Result};
use crate::status::Status;
use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::ThreadId;
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// How long a rotation waits for another process's lock unless told otherwise.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(120);

/// Largest store file read (a pair is a few hundred bytes).
const MAX_FILE_BYTES: u64 = 64 * 1024;

/// Keeps the pair in a JSON file.
pub struct FileStore {
    path: PathBuf,
    lock_path: PathBuf,
    lock_timeout: Duration,
    /// Which thread of this process holds the file lock. `flock` is per open file,
    /// so threads of one process must also be serialised here.
    holder: Arc<(Mutex<Option<ThreadId>>, Condvar)>,
}

impl FileStore {
    /// A store at `path` (the file need not exist yet; its directory must).
    /// Rotations wait at most `lock_timeout` for another process's lock.
    pub fn new(path: impl Into<PathBuf>, lock_timeout: Duration) -> FileStore {
        let path = path.into();
        let mut lock_path = path.clone().into_os_string();
        lock_path.push(".lock");
        FileStore {
            path,
            lock_path: lock_path.into(),
            lock_timeout,
            holder: Arc::default(),
        }
    }

    /// The store file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, status: Status, why: impl std::fmt::Display) -> Error {
        Error::new(status, format!("token store {}: {why}", self.path.display()))
    }

    fn held_by_me(&self) -> bool {
        *self.holder.0.lock().unwrap_or_else(|e| e.into_inner()) == Some(std::thread::current().id())
    }

    fn write_atomically(&self, pair: &StoredPair) -> Result<()> {
        let dir = match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let mut json = pair.to_json(true)?;
        json.push(b'\n');
        let io = |e: std::io::Error| self.err(Status::StoreIo, e);
        // tempfile creates the file with mode 0600 in the same directory, so the
        // rename below is atomic and the secret is never readable by others.
        let mut tmp = tempfile::Builder::new()
            .prefix(".xoxe-store-")
            .tempfile_in(dir)
            .map_err(io)?;
        tmp.write_all(&json).map_err(io)?;
        tmp.as_file().sync_all().map_err(io)?;
        tmp.persist(&self.path).map_err(|e| io(e.error))?;
        File::open(dir).and_then(|d| d.sync_all()).map_err(io)?;
        Ok(())
    }
}

impl Store for FileStore {
    fn load(&self) -> Result<Option<StoredPair>> {
        let mut file = match File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) if e.kind() == ErrorKind::PermissionDenied => return Err(self.err(Status::StorePermissions, e)),
            Err(e) => return Err(self.err(Status::StoreIo, e)),
        };
        let meta = file.metadata().map_err(|e| self.err(Status::StoreIo, e))?;
        if !meta.is_file() {
            return Err(self.err(Status::StorePermissions, "is not a regular file"));
        }
        if meta.permissions().mode() & 0o077 != 0 {
            return Err(self.err(
                Status::StorePermissions,
                format!(
                    "is accessible to group or others (mode {:o}); run chmod 600",
                    meta.permissions().mode() & 0o777
                ),
            ));
        }
        if meta.len() > MAX_FILE_BYTES {
            return Err(self.err(Status::StoreCorrupt, "is too large to be a token store"));
        }
        let mut text = Zeroizing::new(Vec::with_capacity(meta.len() as usize));
        file.read_to_end(&mut text).map_err(|e| self.err(Status::StoreIo, e))?;
        if text.iter().all(u8::is_ascii_whitespace) {
            return Err(self.err(Status::StoreCorrupt, "is empty"));
        }
        StoredPair::from_json(&text, &self.describe()).map(Some)
    }

    fn compare_and_swap(&self, expected: Option<u64>, new: &StoredPair) -> Result<Saved> {
        let _guard = if self.held_by_me() {
            None
        } else {
            Some(self.acquire_lease()?)
        };
        let current = self.load()?;
        if current.as_ref().map(|p| p.generation) != expected {
            return Ok(Saved::Conflict(current));
        }
        self.write_atomically(new)?;
        Ok(Saved::Stored)
    }

    fn acquire_lease(&self) -> Result<Lease> {
        let deadline = Instant::now() + self.lock_timeout;
        let me = std::thread::current().id();
        let timed_out = || {
            self.err(
                Status::LockTimeout,
                format!("lock not free within {:?}", self.lock_timeout),
            )
        };
        {
            let (slot, freed) = &*self.holder;
            let mut holder = slot.lock().unwrap_or_else(|e| e.into_inner());
            while holder.is_some() {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(timed_out());
                }
                holder = freed.wait_timeout(holder, left).unwrap_or_else(|e| e.into_inner()).0;
            }
            *holder = Some(me);
        }
        let release_slot = |holder: &Arc<(Mutex<Option<ThreadId>>, Condvar)>| {
            *holder.0.lock().unwrap_or_else(|e| e.into_inner()) = None;
            holder.1.notify_one();
        };
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&self.lock_path);
        let file = match file {
            Ok(f) => f,
            Err(e) => {
                release_slot(&self.holder);
                return Err(Error::new(
                    Status::StoreIo,
                    format!("lock file {}: {e}", self.lock_path.display()),
                ));
            }
        };
        let mut pause = Duration::from_millis(1);
        loop {
            // SAFETY: flock on a file descriptor we own.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
                break;
            }
            let errno = std::io::Error::last_os_error();
            if errno.raw_os_error() != Some(libc::EWOULDBLOCK) && errno.kind() != ErrorKind::Interrupted {
                release_slot(&self.holder);
                return Err(Error::new(
                    Status::StoreIo,
                    format!("lock file {}: {errno}", self.lock_path.display()),
                ));
            }
            if Instant::now() >= deadline {
                release_slot(&self.holder);
                return Err(timed_out());
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(50));
        }
        let waited = self
            .lock_timeout
            .saturating_sub(deadline.saturating_duration_since(Instant::now()));
        crate::log::xlog!(
            Debug,
            "locked {} after {} ms",
            self.lock_path.display(),
            waited.as_millis()
        );
        let holder = Arc::clone(&self.holder);
        Ok(Lease::on_release(move || {
            drop(file); // closing the descriptor releases the flock
            release_slot(&holder);
        }))
    }

    fn has_lease(&self) -> bool {
        true
    }

    fn describe(&self) -> String {
        format!("token store {}", self.path.display())
    }
}
