//! How the file store reaches its files without following planted links or blocking
//! (security review F3, F4, F6, F15): the store path resolved once, so every name of
//! the store shares one file and one lock; its directory checked like ssh's
//! `StrictModes`; the store and its lock opened with `O_NOFOLLOW | O_NONBLOCK` and
//! checked with `fstat` on the open descriptor; reads bounded on the read itself.
//!
//! Messages name the path and the problem, never the file's contents.

// Nothing outside the tests calls these until file.rs is wired to them.
use crate::error::{Error, Result};
use crate::status::Status;
use std::fs::{File, Metadata, OpenOptions};
use std::io::{ErrorKind, Read};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// Flags of every open here: never follow a symlink in the last component, never
/// block on a FIFO or device, never leak into a child, never acquire a terminal.
const SAFE_FLAGS: libc::c_int = libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC | libc::O_NOCTTY;

/// An error about `what` ("token store", "lock file", …) at `path`.
fn fail(what: &str, path: &Path, status: Status, why: impl std::fmt::Display) -> Error {
    Error::new(status, format!("{what} {}: {why}", path.display()))
}

/// A `StorePermissions` refusal of `what` at `path`.
fn refuse(what: &str, path: &Path, why: impl std::fmt::Display) -> Error {
    fail(what, path, Status::StorePermissions, why)
}

/// Maps a failed open or stat: a refused symlink, a FIFO or socket without a peer
/// (`ENXIO`) and denied access are `StorePermissions`, anything else `StoreIo`.
fn io_fail(what: &str, path: &Path, e: std::io::Error) -> Error {
    match e.raw_os_error() {
        Some(libc::ELOOP) => refuse(what, path, "is a symbolic link (not followed)"),
        Some(libc::ENXIO) => refuse(what, path, "is not a regular file"),
        _ if e.kind() == ErrorKind::PermissionDenied => refuse(what, path, e),
        _ => fail(what, path, Status::StoreIo, e),
    }
}

/// This process's effective uid.
fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// Refuses what the open descriptor's `meta` shows is not a regular file owned by
/// this user, or is readable or writable by group or others.
fn check_private_regular(what: &str, path: &Path, meta: &Metadata) -> Result<()> {
    if !meta.is_file() {
        return Err(refuse(what, path, "is not a regular file"));
    }
    if meta.uid() != euid() {
        let why = format!("is owned by uid {}, not by this user (uid {})", meta.uid(), euid());
        return Err(refuse(what, path, why));
    }
    if meta.mode() & 0o077 != 0 {
        let why = format!(
            "is accessible to group or others (mode {:o}); run chmod 600",
            meta.mode() & 0o777
        );
        return Err(refuse(what, path, why));
    }
    Ok(())
}

/// The store path resolved once, at construction, so that a symlinked name and the
/// real name share one file and one lock (F4). An existing file is canonicalised
/// (symlinks followed: that is the point); a file not created yet is its
/// canonicalised directory joined with its name. A dangling symlink is refused
/// (`StorePermissions`): creating the store would fork the chain from its target.
/// A missing directory is `StoreIo`, an unsearchable one `StorePermissions`.
///
/// Resolving trusts the links it follows: check the directory of the path as given
/// (where a planted link would live) with [`check_directory`], as well as the
/// resolved one.
pub(crate) fn resolve_store_path(path: &Path) -> Result<PathBuf> {
    const WHAT: &str = "token store";
    match std::fs::canonicalize(path) {
        Ok(real) => return Ok(real),
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            return Err(fail(WHAT, path, Status::StoreIo, "has a loop of symbolic links"))
        }
        Err(e) if e.kind() != ErrorKind::NotFound => return Err(io_fail(WHAT, path, e)),
        Err(_) => {}
    }
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        let why = "is a symbolic link to a missing file; give the path the store should have";
        return Err(refuse(WHAT, path, why));
    }
    let name = path
        .file_name()
        .ok_or_else(|| fail(WHAT, path, Status::StoreIo, "does not name a file"))?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let dir = std::fs::canonicalize(dir).map_err(|e| match e.kind() {
        ErrorKind::NotFound => fail("store directory", dir, Status::StoreIo, "does not exist"),
        _ => io_fail("store directory", dir, e),
    })?;
    Ok(dir.join(name))
}

/// Checks the store's directory like ssh's `StrictModes` (F3): it must be owned by
/// this user or by root, and must not be writable by group or others unless it has
/// the sticky bit; otherwise others could replace or delete the store, or hold its
/// lock. Both refusals are `StorePermissions` and say what to fix; a missing
/// directory or a non-directory is `StoreIo`.
pub(crate) fn check_directory(dir: &Path) -> Result<()> {
    const WHAT: &str = "store directory";
    let meta = std::fs::metadata(dir).map_err(|e| match e.kind() {
        ErrorKind::NotFound => fail(WHAT, dir, Status::StoreIo, "does not exist"),
        _ => io_fail(WHAT, dir, e),
    })?;
    if !meta.is_dir() {
        return Err(fail(WHAT, dir, Status::StoreIo, "is not a directory"));
    }
    if meta.uid() != euid() && meta.uid() != 0 {
        let (owner, me) = (meta.uid(), euid());
        let why = format!("is owned by uid {owner}, not by this user (uid {me}) or root; use your own");
        return Err(refuse(WHAT, dir, why));
    }
    let mode = meta.mode();
    if mode & 0o022 != 0 && mode & 0o1000 == 0 {
        let (mode, shown) = (mode & 0o7777, dir.display());
        let why = format!(
            "is writable by group or others (mode {mode:o}, no sticky bit), so they can replace the \
             store or hold its lock; run chmod go-w {shown}"
        );
        return Err(refuse(WHAT, dir, why));
    }
    Ok(())
}

/// Opens the store for reading without following a symlink or blocking on a FIFO
/// (F3, F6); `None` if it does not exist. Refused with `StorePermissions`: a
/// symlink, anything but a regular file, a file owned by another uid, a file
/// accessible to group or others, a file with more than one hard link (a second
/// name would fork the chain, F4). Other failures are `StoreIo`. The returned file
/// is back in blocking mode.
pub(crate) fn open_store_for_read(path: &Path) -> Result<Option<File>> {
    const WHAT: &str = "token store";
    let file = match OpenOptions::new().read(true).custom_flags(SAFE_FLAGS).open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_fail(WHAT, path, e)),
    };
    let meta = file.metadata().map_err(|e| io_fail(WHAT, path, e))?;
    check_private_regular(WHAT, path, &meta)?;
    if meta.nlink() > 1 {
        let why = format!("has {} hard links: a second name would fork the chain", meta.nlink());
        return Err(refuse(WHAT, path, why));
    }
    let fd = file.as_raw_fd();
    // SAFETY: fcntl on the descriptor `file` owns, which is open for both calls.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    // SAFETY: as above.
    if flags < 0 || unsafe { libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK) } < 0 {
        return Err(fail(WHAT, path, Status::StoreIo, std::io::Error::last_os_error()));
    }
    Ok(Some(file))
}

/// Reads all of `file` (the store at `path`), refusing more than `max` bytes with
/// `StoreCorrupt` (F15): the limit holds on the read itself, also for files whose
/// `st_size` says nothing (`/proc`, devices). Read failures are `StoreIo`. The
/// buffer of `max + 1` bytes is reserved up front so it never moves (a move would
/// leave an unzeroed copy of the secret behind), so `max` must be small.
pub(crate) fn read_limited(file: &mut File, path: &Path, max: u64) -> Result<Zeroizing<Vec<u8>>> {
    const WHAT: &str = "token store";
    let limit = max.saturating_add(1);
    let mut data = Zeroizing::new(Vec::new());
    data.try_reserve_exact(usize::try_from(limit).unwrap_or(usize::MAX))
        .map_err(|e| fail(WHAT, path, Status::StoreIo, e))?;
    Read::by_ref(file)
        .take(limit)
        .read_to_end(&mut data)
        .map_err(|e| fail(WHAT, path, Status::StoreIo, e))?;
    if data.len() as u64 > max {
        let why = "is too large to be a token store";
        return Err(fail(WHAT, path, Status::StoreCorrupt, why));
    }
    Ok(data)
}

/// Creates or opens the lock file at `path` (mode 0600) without following a symlink
/// or blocking on a FIFO, so a planted link never creates its target (F3, F6).
/// Refused with `StorePermissions`: a symlink, anything but a regular file, a file
/// owned by another uid, or one open to group or others (anyone who can open it can
/// hold the lock). Other failures are `StoreIo`.
pub(crate) fn open_lock_file(path: &Path) -> Result<File> {
    const WHAT: &str = "lock file";
    let file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(SAFE_FLAGS)
        .open(path)
        .map_err(|e| io_fail(WHAT, path, e))?;
    let meta = file.metadata().map_err(|e| io_fail(WHAT, path, e))?;
    check_private_regular(WHAT, path, &meta)?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::{chown, symlink, PermissionsExt};
    use std::time::Duration;
    use tempfile::TempDir;

    /// Another user. The tests run as root, and root is the euid they compare against.
    const NOBODY: u32 = 65534;
    const SECRET: &[u8] = b"xoxe-1-secret-never-in-a-message";

    fn private_file(path: &Path, data: &[u8]) {
        std::fs::write(path, data).unwrap();
        chmod(path, 0o600);
    }

    fn chmod(path: &Path, mode: u32) {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    fn mkfifo(path: &Path) {
        let c = CString::new(path.as_os_str().as_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    }

    /// Runs `f` on a thread and fails the test if it does not finish (a blocking open).
    fn promptly<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || tx.send(f()));
        rx.recv_timeout(Duration::from_secs(20))
            .expect("blocked instead of failing")
    }

    #[track_caller]
    fn denied<T: std::fmt::Debug>(result: Result<T>, needle: &str) {
        refused(result, Status::StorePermissions, needle)
    }

    #[track_caller]
    fn refused<T: std::fmt::Debug>(result: Result<T>, status: Status, needle: &str) {
        let e = result.unwrap_err();
        assert_eq!(e.status, status, "{}", e.message);
        assert!(e.message.contains(needle), "{:?} lacks {needle:?}", e.message);
        assert!(!e.message.contains("xoxe-1"), "a message holds contents: {}", e.message);
    }

    #[test]
    fn a_private_store_opens_in_blocking_mode_and_a_missing_one_is_none() {
        let dir = TempDir::new().unwrap();
        let path = dir.path().join("store.json");
        assert!(open_store_for_read(&path).unwrap().is_none());
        private_file(&path, SECRET);
        let mut file = open_store_for_read(&path).unwrap().unwrap();
        // SAFETY: F_GETFL on an open descriptor.
        let flags = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_GETFL) };
        assert_eq!(flags & libc::O_NONBLOCK, 0, "O_NONBLOCK left set");
        assert_eq!(&read_limited(&mut file, &path, 1024).unwrap()[..], SECRET);
    }

    #[test]
    fn a_store_that_is_a_symlink_not_private_foreign_or_hard_linked_is_refused() {
        let dir = TempDir::new().unwrap();
        let real = dir.path().join("real.json");
        private_file(&real, SECRET);
        symlink(&real, dir.path().join("link.json")).unwrap();
        denied(open_store_for_read(&dir.path().join("link.json")), "is a symbolic link");

        let open = dir.path().join("open.json");
        private_file(&open, SECRET);
        chmod(&open, 0o644);
        denied(open_store_for_read(&open), "(mode 644); run chmod 600");

        let foreign = dir.path().join("foreign.json");
        private_file(&foreign, SECRET);
        chown(&foreign, Some(NOBODY), None).unwrap();
        denied(open_store_for_read(&foreign), "owned by uid 65534");

        let (a, b) = (dir.path().join("a.json"), dir.path().join("b.json"));
        private_file(&a, SECRET);
        std::fs::hard_link(&a, &b).unwrap();
        denied(open_store_for_read(&a), "has 2 hard links");
        denied(open_store_for_read(&b), "has 2 hard links");

        denied(open_store_for_read(dir.path()), "is not a regular file");
    }

    #[test]
    fn a_fifo_at_the_store_or_lock_path_is_refused_without_blocking() {
        let dir = TempDir::new().unwrap();
        let store = dir.path().join("store.json");
        let lock = dir.path().join("store.json.lock");
        mkfifo(&store);
        mkfifo(&lock);
        let result = promptly(move || open_store_for_read(&store));
        denied(result, "is not a regular file");
        let result = promptly(move || open_lock_file(&lock));
        denied(result, "is not a regular file");
    }

    #[test]
    fn the_lock_file_is_created_private_and_never_through_a_symlink() {
        let dir = TempDir::new().unwrap();
        let lock = dir.path().join("store.json.lock");
        open_lock_file(&lock).unwrap();
        let meta = std::fs::symlink_metadata(&lock).unwrap();
        assert!(meta.is_file());
        assert_eq!(meta.mode() & 0o777, 0o600);
        open_lock_file(&lock).unwrap(); // and opens again

        let target = dir.path().join("target-chosen-by-attacker");
        let planted = dir.path().join("planted.json.lock");
        symlink(&target, &planted).unwrap();
        denied(open_lock_file(&planted), "is a symbolic link");
        assert!(!target.exists(), "the lock was created through the symlink");
        private_file(&target, b"");
        denied(open_lock_file(&planted), "is a symbolic link");

        chown(&lock, Some(NOBODY), None).unwrap();
        denied(open_lock_file(&lock), "owned by uid 65534");
        chown(&lock, Some(euid()), None).unwrap();
        chmod(&lock, 0o644);
        denied(open_lock_file(&lock), "(mode 644)");
    }

    #[test]
    fn a_directory_writable_by_others_needs_the_sticky_bit_and_a_trusted_owner() {
        let tmp = TempDir::new().unwrap();
        let dir = tmp.path();
        for mode in [0o700, 0o755, 0o1770, 0o1777] {
            chmod(dir, mode);
            check_directory(dir).unwrap_or_else(|e| panic!("mode {mode:o}: {}", e.message));
        }
        for (mode, shown) in [(0o770, "(mode 770,"), (0o2770, "(mode 2770,"), (0o702, "(mode 702,")] {
            chmod(dir, mode);
            denied(check_directory(dir), shown);
            denied(check_directory(dir), "chmod go-w");
        }
        chmod(dir, 0o700);
        chown(dir, Some(NOBODY), None).unwrap(); // not root, not the euid (root)
        denied(check_directory(dir), "owned by uid 65534");
        refused(check_directory(&dir.join("missing")), Status::StoreIo, "does not exist");
    }

    #[test]
    fn read_limited_holds_the_limit_on_the_read() {
        let dir = TempDir::new().unwrap();
        let path = dir.path().join("store.json");
        private_file(&path, &[b'x'; 65]);
        let mut file = File::open(&path).unwrap();
        refused(read_limited(&mut file, &path, 64), Status::StoreCorrupt, "too large");
        let mut file = File::open(&path).unwrap();
        assert_eq!(read_limited(&mut file, &path, 65).unwrap().len(), 65);

        // st_size 0 and endless: only a limit on the read itself stops this.
        let zero = Path::new("/dev/zero");
        let result = promptly(move || read_limited(&mut File::open(zero).unwrap(), zero, 4096).map(|d| d.len()));
        refused(result, Status::StoreCorrupt, "too large");
    }

    #[test]
    fn every_name_of_a_store_resolves_to_one_path() {
        let tmp = TempDir::new().unwrap();
        let (real_dir, etc) = (tmp.path().join("real"), tmp.path().join("etc"));
        std::fs::create_dir(&real_dir).unwrap();
        std::fs::create_dir(&etc).unwrap();
        let real = real_dir.join("token.json");
        private_file(&real, SECRET);
        symlink(&real, etc.join("token.json")).unwrap();
        let resolved = resolve_store_path(&real).unwrap();
        assert_eq!(resolved, std::fs::canonicalize(&real).unwrap());
        assert_eq!(resolve_store_path(&etc.join("token.json")).unwrap(), resolved);

        // Not created yet: the real directory joined with the name, whatever the route.
        symlink(&real_dir, etc.join("dir")).unwrap();
        let new = std::fs::canonicalize(&real_dir).unwrap().join("new.json");
        assert_eq!(resolve_store_path(&real_dir.join("new.json")).unwrap(), new);
        assert_eq!(resolve_store_path(&etc.join("dir/new.json")).unwrap(), new);

        symlink(real_dir.join("gone.json"), etc.join("dangling.json")).unwrap();
        denied(resolve_store_path(&etc.join("dangling.json")), "missing file");
        let nowhere = tmp.path().join("no/token.json");
        refused(resolve_store_path(&nowhere), Status::StoreIo, "does not exist");

        // A loop of links is an I/O error that says so; a path through a file is one too.
        symlink(etc.join("b.json"), etc.join("a.json")).unwrap();
        symlink(etc.join("a.json"), etc.join("b.json")).unwrap();
        refused(resolve_store_path(&etc.join("a.json")), Status::StoreIo, "loop");
        refused(resolve_store_path(&real.join("x.json")), Status::StoreIo, "");
        refused(open_lock_file(&real.join("x.json.lock")), Status::StoreIo, "");
    }

    #[test]
    fn a_bare_name_lives_in_the_working_directory() {
        let name = format!("xoxe-open-test-{}.json", std::process::id());
        let resolved = resolve_store_path(Path::new(&name)).unwrap();
        assert_eq!(
            resolved,
            std::env::current_dir().unwrap().canonicalize().unwrap().join(&name)
        );
    }
}
