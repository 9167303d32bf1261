//! A JSON file store: atomic replace (temp file, fsync, rename, fsync dir), mode
//! 0600, and an exclusive `flock` on `<path>.lock` that spans processes. A
//! directory store keeps many chains, one file (and lock) per chain:
//! `DIR/CHAIN.json`.
//!
//! The path is resolved once, so a symlinked name and the real one share one file
//! and one lock; every open refuses symlinks, non-regular files, other owners,
//! group/other access and hard links, and the directory must be private (see
//! `file_open`). The temp file of a save is created, with its disk space, before
//! the refresh token is spent ([`Store::reserve`]); one a crash left behind is a
//! recoverable orphan ([`Store::orphans`]).

use super::file_open::{check_directory, open_lock_file, open_store_for_read, read_limited, resolve_store_path};
use super::fleet::{check_chain_name, DEFAULT_CHAIN};
use super::seal::{Codec, Keyring};
use super::{Lease, LeaseTerms, Reservation, Saved, Store, StoredPair};
use crate::error::{Error, Result};
use crate::status::Status;
use std::fs::File;
use std::io::{ErrorKind, Seek, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

/// How long a rotation waits for another process's lock unless told otherwise.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(120);

/// Largest store file read or written (a pair is a few hundred bytes); also the
/// disk space a save reserves before a rotation. Room for a sealed pair, which
/// base64 makes a third larger.
const MAX_FILE_BYTES: u64 = 128 * 1024;

/// The largest pair document (as plain JSON) that a load accepts: a rotated pair,
/// whose two tokens may each grow to `MAX_TOKEN_LEN`, still fits 64 KiB, and
/// sealed, `MAX_FILE_BYTES`.
const ROOM_FOR_A_PAIR: usize = 64 * 1024 - 2 * crate::MAX_TOKEN_LEN - 1024;

/// Names of the temp files a save writes next to a single-file store.
const TEMP_PREFIX: &str = ".xoxe-store-";

/// What a chain's file is called in a directory store: `CHAIN` + this.
const CHAIN_FILE_SUFFIX: &str = ".json";

/// Keeps the pair in a JSON file (one chain), or each chain's pair in its own
/// file of a directory ([`FileStore::directory`]).
pub struct FileStore {
    path: PathBuf,
    dir: PathBuf,
    lock_path: PathBuf,
    lock_timeout: Duration,
    /// The chain's name; `DEFAULT_CHAIN` for a single-file store.
    chain: String,
    /// Whether this is a directory store (which opens other chains beside it).
    in_directory: bool,
    /// Names of this chain's temp files (a chain name cannot hold `+`).
    temp_prefix: String,
    codec: Codec,
    /// Which thread of this process holds the file lock. `flock` is per open file,
    /// so threads of one process must also be serialised here.
    holder: Arc<(Mutex<Option<ThreadId>>, Condvar)>,
}

impl std::fmt::Debug for FileStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// A save's temp file, created with its space before the rotation.
struct ReservedFile(tempfile::NamedTempFile);

impl FileStore {
    /// A store at `path` (the file need not exist yet; its directory must, and
    /// must be private: not writable by group or others unless sticky). The path is
    /// resolved once, here. Rotations wait at most `lock_timeout` for another
    /// process's lock.
    pub fn new(path: impl Into<PathBuf>, lock_timeout: Duration) -> Result<FileStore> {
        let given = path.into();
        if given.as_os_str().is_empty() {
            return Err(Error::new(Status::InvalidArgument, "token store path is empty"));
        }
        if given.to_str().is_some_and(super::fleet::looks_like_a_url) {
            // Its messages would name the "path", password and all.
            return Err(super::fleet::not_a_database_url());
        }
        // Errors name the store as given, whatever part of its path they are about.
        let named = |e: Error| {
            let mut e = e;
            if !e.message.contains(&*given.to_string_lossy()) {
                e.message = format!("token store {}: {}", given.display(), e.message);
            }
            e
        };
        // Where a planted link would sit, and where it leads.
        if let Some(dir) = given.parent().filter(|d| !d.as_os_str().is_empty()) {
            check_directory(dir).map_err(named)?;
        }
        let path = resolve_store_path(&given).map_err(named)?;
        let dir = path.parent().map_or_else(|| PathBuf::from("/"), Path::to_path_buf);
        check_directory(&dir).map_err(named)?;
        let mut lock_path = path.clone().into_os_string();
        lock_path.push(".lock");
        Ok(FileStore {
            path,
            dir,
            lock_path: lock_path.into(),
            lock_timeout,
            chain: DEFAULT_CHAIN.to_string(),
            in_directory: false,
            temp_prefix: TEMP_PREFIX.to_string(),
            codec: Codec::plain(),
            holder: Arc::default(),
        })
    }

    /// Chain `chain` of a directory store: its pair lives in `DIR/CHAIN.json`
    /// with its own lock `DIR/CHAIN.json.lock`, and [`Store::open_chain`] reaches
    /// the others. The directory must exist and be private, as for [`FileStore::new`].
    pub fn directory(dir: impl Into<PathBuf>, chain: &str, lock_timeout: Duration) -> Result<FileStore> {
        check_chain_name(chain)?;
        let dir = dir.into();
        if dir.as_os_str().is_empty() {
            return Err(Error::new(Status::InvalidArgument, "token store directory is empty"));
        }
        match std::fs::symlink_metadata(&dir) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => {
                return Err(Error::new(
                    Status::StorePermissions,
                    format!("token store directory {} is not a directory", dir.display()),
                ))
            }
            Err(e) => {
                return Err(Error::new(
                    Status::StoreIo,
                    format!("token store directory {}: {e}", dir.display()),
                ))
            }
        }
        let mut store = FileStore::new(dir.join(format!("{chain}{CHAIN_FILE_SUFFIX}")), lock_timeout)?;
        store.chain = chain.to_string();
        store.in_directory = true;
        store.temp_prefix = format!(".xoxe-{chain}+");
        Ok(store)
    }

    /// The store file's resolved path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, status: Status, why: impl std::fmt::Display) -> Error {
        Error::new(status, format!("token store {}: {why}", self.path.display()))
    }

    fn check_dir(&self) -> Result<()> {
        check_directory(&self.dir)
    }

    fn held_by_me(&self) -> bool {
        *self.holder.0.lock().unwrap_or_else(|e| e.into_inner()) == Some(std::thread::current().id())
    }

    /// A 0600 temp file in the store's directory with `MAX_FILE_BYTES` allocated:
    /// once this exists, a full disk or a read-only directory cannot stop the save.
    fn reserve_file(&self) -> Result<ReservedFile> {
        let io = |e: std::io::Error| {
            let status = if e.kind() == ErrorKind::PermissionDenied {
                Status::StorePermissions
            } else {
                Status::StoreIo
            };
            self.err(
                status,
                format_args!("cannot prepare a save in {}: {e}", self.dir.display()),
            )
        };
        let tmp = tempfile::Builder::new()
            .prefix(&self.temp_prefix)
            .tempfile_in(&self.dir)
            .map_err(io)?;
        // SAFETY: posix_fallocate on a descriptor we own.
        let rc = unsafe { libc::posix_fallocate(tmp.as_file().as_raw_fd(), 0, MAX_FILE_BYTES as libc::off_t) };
        if rc != 0 {
            return Err(io(std::io::Error::from_raw_os_error(rc)));
        }
        Ok(ReservedFile(tmp))
    }

    /// Writes `pair` into the reserved file and renames it over the store. If the
    /// rename fails, the written file is kept (and named in the error): it is the
    /// pair, and [`Store::orphans`] finds it on the next run.
    fn commit(&self, reserved: ReservedFile, pair: &StoredPair) -> Result<()> {
        self.persist(reserved, pair)?;
        self.remove_stale_temp_files(pair.generation);
        Ok(())
    }

    /// Writes `pair` into the reserved file and renames it over the store (the
    /// temp files beside it left alone).
    fn persist(&self, reserved: ReservedFile, pair: &StoredPair) -> Result<()> {
        let io = |e: std::io::Error| self.err(Status::StoreIo, e);
        let mut json = self.codec.encode(pair, &self.chain, true)?;
        json.push(b'\n');
        if json.len() as u64 > MAX_FILE_BYTES {
            return Err(self.err(Status::StoreIo, "the token pair is too large to store"));
        }
        let ReservedFile(mut tmp) = reserved;
        tmp.as_file_mut().rewind().map_err(io)?;
        tmp.write_all(&json).map_err(io)?;
        tmp.as_file().set_len(json.len() as u64).map_err(io)?;
        tmp.as_file().sync_all().map_err(io)?;
        if let Err(e) = tmp.persist(&self.path) {
            let kept = e.file.keep().map(|(_, path)| path);
            return Err(match kept {
                Ok(path) => self.err(
                    Status::StoreIo,
                    format_args!(
                        "{}; the new pair is saved in {} instead, and the next rotation recovers it from there",
                        e.error,
                        path.display()
                    ),
                ),
                Err(_) => io(e.error),
            });
        }
        File::open(&self.dir).and_then(|d| d.sync_all()).map_err(io)
    }

    /// The pairs in temp files a crashed save left, with their paths.
    fn temp_pairs(&self) -> Vec<(PathBuf, std::time::SystemTime, Option<StoredPair>)> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut found = Vec::new();
        for entry in entries.flatten() {
            if !entry.file_name().to_string_lossy().starts_with(&self.temp_prefix) {
                continue;
            }
            let path = entry.path();
            // Only our own private regular files; anything else is left alone.
            let Ok(Some(mut file)) = open_store_for_read(&path) else {
                continue;
            };
            let modified = file
                .metadata()
                .and_then(|m| m.modified())
                .unwrap_or(std::time::UNIX_EPOCH);
            let pair = read_limited(&mut file, &path, MAX_FILE_BYTES)
                .ok()
                .and_then(|text| self.codec.decode(&text, &self.chain, &self.describe()).ok());
            found.push((path, modified, pair));
        }
        found
    }

    /// After a save, under the lock (so no other save is between reserving and
    /// renaming): removes temp files holding nothing usable or an older pair.
    fn remove_stale_temp_files(&self, saved: u64) {
        for (path, _, pair) in self.temp_pairs() {
            if pair.is_none_or(|p| p.generation <= saved) {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
}

impl Store for FileStore {
    fn load(&self) -> Result<Option<StoredPair>> {
        let Some(mut file) = open_store_for_read(&self.path)? else {
            return Ok(None);
        };
        let text = read_limited(&mut file, &self.path, MAX_FILE_BYTES)?;
        if text.iter().all(u8::is_ascii_whitespace) {
            return Err(self.err(Status::StoreCorrupt, "is empty"));
        }
        let pair = self.codec.decode(&text, &self.chain, &self.describe())?;
        // The next pair must fit the same limit once rotated (its tokens may be
        // longer): refuse now, before a refresh token is spent, not after.
        if pair.to_json(true)?.len() > ROOM_FOR_A_PAIR {
            return Err(self.err(
                Status::StoreCorrupt,
                "holds too much besides the token pair to be rewritten after a rotation",
            ));
        }
        Ok(Some(pair))
    }

    fn compare_and_swap(&self, expected: Option<u64>, new: &StoredPair) -> Result<Saved> {
        let mut reservation = self.reserve()?;
        self.save_reserved(&mut reservation, expected, new)
    }

    fn reserve(&self) -> Result<Reservation> {
        self.reserve_file().map(Reservation::new)
    }

    fn save_reserved(&self, reservation: &mut Reservation, expected: Option<u64>, new: &StoredPair) -> Result<Saved> {
        let _guard = if self.held_by_me() { None } else { Some(self.lock()?) };
        let current = self.load()?;
        if current.as_ref().map(|p| p.generation) != expected {
            return Ok(Saved::Conflict(current));
        }
        let reserved = match reservation.take::<ReservedFile>() {
            Some(reserved) => reserved,
            None => self.reserve_file()?,
        };
        self.commit(reserved, new)?;
        Ok(Saved::Stored)
    }

    /// Keeps the pair in a private file beside the store, where
    /// [`orphans`](Store::orphans) finds it (like the file a crashed save leaves).
    fn park_orphan(&self, _from_generation: u64, pair: &StoredPair) -> Result<bool> {
        let io = |e: std::io::Error| self.err(Status::StoreIo, format_args!("parking an orphan: {e}"));
        let mut json = self.codec.encode(pair, &self.chain, true)?;
        json.push(b'\n');
        let ReservedFile(mut tmp) = self.reserve_file()?;
        tmp.write_all(&json).map_err(io)?;
        tmp.as_file().set_len(json.len() as u64).map_err(io)?;
        tmp.as_file().sync_all().map_err(io)?;
        tmp.keep().map_err(|e| io(e.error))?;
        File::open(&self.dir).and_then(|d| d.sync_all()).map_err(io)?;
        Ok(true)
    }

    /// Each parked pair is written to a new private file and its old file removed;
    /// a file this handle cannot read is left as it is.
    fn rewrite(&self, current: &StoredPair) -> Result<Saved> {
        let _guard = if self.held_by_me() { None } else { Some(self.lock()?) };
        let now = self.load()?;
        if now.as_ref().map(|p| p.generation) != Some(current.generation) {
            return Ok(Saved::Conflict(now));
        }
        for (path, _, pair) in self.temp_pairs() {
            let Some(pair) = pair else { continue };
            self.park_orphan(0, &pair)?;
            std::fs::remove_file(&path)
                .map_err(|e| self.err(Status::StoreIo, format_args!("removing a rewritten parked pair: {e}")))?;
        }
        self.persist(self.reserve_file()?, current)?;
        Ok(Saved::Stored)
    }

    fn orphans(&self, from_generation: u64) -> Result<Vec<StoredPair>> {
        let mut found: Vec<_> = self
            .temp_pairs()
            .into_iter()
            .filter_map(|(_, modified, pair)| pair.map(|p| (modified, p)))
            .filter(|(_, p)| Some(p.generation) == from_generation.checked_add(1))
            .collect();
        found.sort_by_key(|(modified, _)| std::cmp::Reverse(*modified));
        Ok(found.into_iter().map(|(_, p)| p).collect())
    }

    fn acquire_lease(&self, _terms: &LeaseTerms) -> Result<Lease> {
        self.lock()
    }

    fn has_lease(&self) -> bool {
        true
    }

    fn describe(&self) -> String {
        format!("token store {}", self.path.display())
    }

    fn chain(&self) -> &str {
        &self.chain
    }

    fn open_chain(&self, name: &str) -> Result<Arc<dyn Store>> {
        if !self.in_directory {
            return Err(Error::new(
                Status::Unsupported,
                format!("{} keeps one chain (open a directory store for many)", self.describe()),
            ));
        }
        let mut other = FileStore::directory(&self.dir, name, self.lock_timeout)?;
        other.codec = self.codec.clone();
        Ok(Arc::new(other))
    }

    fn list_chains(&self) -> Result<Vec<String>> {
        if !self.in_directory {
            return Ok(vec![self.chain.clone()]);
        }
        let entries = std::fs::read_dir(&self.dir).map_err(|e| {
            Error::new(
                Status::StoreIo,
                format!("token store directory {}: {e}", self.dir.display()),
            )
        })?;
        let mut chains = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| {
                Error::new(
                    Status::StoreIo,
                    format!("token store directory {}: {e}", self.dir.display()),
                )
            })?;
            let name = entry.file_name();
            let Some(chain) = name.to_str().and_then(|n| n.strip_suffix(CHAIN_FILE_SUFFIX)) else {
                continue;
            };
            if check_chain_name(chain).is_ok() && entry.file_type().is_ok_and(|t| t.is_file()) {
                chains.push(chain.to_string());
            }
        }
        chains.sort();
        Ok(chains)
    }

    /// Deletes the chain's file and its temp files, under the lock (the empty lock
    /// file stays: removing it could let two processes lock different files).
    fn remove_chain(&self) -> Result<bool> {
        let _guard = if self.held_by_me() { None } else { Some(self.lock()?) };
        let io = |e: std::io::Error| self.err(Status::StoreIo, format_args!("removing the chain: {e}"));
        let existed = match std::fs::remove_file(&self.path) {
            Ok(()) => true,
            Err(e) if e.kind() == ErrorKind::NotFound => false,
            Err(e) => return Err(io(e)),
        };
        for (path, _, _) in self.temp_pairs() {
            std::fs::remove_file(&path).map_err(io)?;
        }
        File::open(&self.dir).and_then(|d| d.sync_all()).map_err(io)?;
        Ok(existed)
    }

    fn sealed(&self, keyring: Arc<Keyring>) -> Result<Arc<dyn Store>> {
        Ok(Arc::new(FileStore {
            path: self.path.clone(),
            dir: self.dir.clone(),
            lock_path: self.lock_path.clone(),
            lock_timeout: self.lock_timeout,
            chain: self.chain.clone(),
            in_directory: self.in_directory,
            temp_prefix: self.temp_prefix.clone(),
            codec: Codec::sealed(keyring),
            holder: Arc::clone(&self.holder),
        }))
    }
}

impl FileStore {
    /// Takes the store's lock: this process's threads first, then `flock`.
    fn lock(&self) -> Result<Lease> {
        let now = Instant::now();
        let deadline = now
            .checked_add(self.lock_timeout)
            .unwrap_or(now + Duration::from_secs(86_400));
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
        let file = match open_lock_file(&self.lock_path).and_then(|f| self.check_dir().map(|()| f)) {
            Ok(f) => f,
            Err(e) => {
                release_slot(&self.holder);
                return Err(e);
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
}
