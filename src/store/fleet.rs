//! What the fleet stores (PostgreSQL, Redis) share: database URLs and their
//! redaction, chain names, the holder's name, polling, and the constructors that
//! exist in every build (a build without the cargo feature answers `Unsupported`).

use super::Store;
use crate::error::{Error, Result};
use crate::status::Status;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Longest chain name, in bytes.
pub const MAX_CHAIN_NAME_LEN: usize = 200;

/// The chain name used when none is given.
pub const DEFAULT_CHAIN: &str = "default";

/// Limit for connecting to the database and for each statement.
pub const STATEMENT_TIMEOUT: Duration = Duration::from_secs(5);

/// Checks a chain name: 1 to [`MAX_CHAIN_NAME_LEN`] bytes of ASCII letters,
/// digits and `.`, `_`, `-`, `:`, `@`, not starting with `.` (so it can be a
/// Redis hash tag, a file name in a directory store and a log word as it is).
pub fn check_chain_name(chain: &str) -> Result<()> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':' | '@');
    if chain.is_empty() || chain.len() > MAX_CHAIN_NAME_LEN || chain.starts_with('.') || !chain.chars().all(allowed) {
        return Err(Error::new(
            Status::InvalidArgument,
            format!(
                "chain names are 1 to {MAX_CHAIN_NAME_LEN} characters of letters, digits and . _ - : @, \
                 not starting with . ({} bytes given)",
                chain.len()
            ),
        ));
    }
    Ok(())
}

/// Query parameters whose values are secrets in a database URL.
const SECRET_PARAMS: &[&str] = &["password", "pass", "passwd", "sslpassword", "token", "auth"];

/// A database URL split into what may be shown and what may not.
#[derive(Clone)]
pub struct DatabaseUrl {
    /// The URL as given, minus xoxe's own parameters (a secret: it may hold a password).
    url: String,
    /// The URL with every password replaced by `***` (safe to print).
    redacted: String,
    /// Every secret the URL holds, raw and percent-decoded, to scrub from driver errors.
    secrets: Vec<String>,
    /// `sslrootcert=PATH`: extra CA certificates to trust (PEM), like the client's CA bundle.
    pub ca_bundle: Option<PathBuf>,
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted)
    }
}

/// Whether `spec` names a database rather than a file.
pub fn is_database_url(spec: &str) -> bool {
    [
        "postgresql://",
        "postgres://",
        "redis://",
        "rediss://",
        "redis+unix://",
        "unix://",
    ]
    .iter()
    .any(|scheme| spec.starts_with(scheme))
}

/// Whether `spec`, though not a database URL xoxe knows, is meant as a URL rather
/// than a file path: a `scheme://`, or a database scheme in another case or with
/// a slash missing (`POSTGRESQL://`, `redis:/host`). Such a "path" may hold a
/// password, and a file store names its path in its messages, so it is refused.
pub fn looks_like_a_url(spec: &str) -> bool {
    let Some((scheme, _)) = spec.split_once(':') else {
        return false;
    };
    let is_scheme = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    let database = ["postgresql", "postgres", "redis", "rediss", "redis+unix", "unix"];
    is_scheme && (spec.contains("://") || database.contains(&scheme.to_ascii_lowercase().as_str()))
}

/// Whether a URL's user name or password holds an unencoded `/`, `?` or `#`
/// (`rest` is what follows `://`). Split by the rules, the rest of such a
/// password would be taken for the path or query (and shown).
fn unencoded_userinfo(rest: &str) -> bool {
    let Some(end) = rest.find(['/', '?', '#']) else {
        return false;
    };
    let (authority, tail) = rest.split_at(end);
    if authority.contains('@') || !authority.contains(':') {
        return false;
    }
    // An `@` further on ends a user-info unless a query (`?`, `key=`) came first.
    tail.find('@').is_some_and(|at| {
        let before = &tail[..at];
        if tail.starts_with('/') {
            !before.contains('?')
        } else {
            !before.contains('=')
        }
    })
}

impl DatabaseUrl {
    /// Splits `url`; `schemes` are the ones the store accepts.
    pub fn parse(url: &str, schemes: &[&str]) -> Result<DatabaseUrl> {
        let invalid = |why: &str| Error::new(Status::InvalidArgument, format!("database URL: {why}"));
        if url.len() > 4096 {
            return Err(invalid("longer than 4096 bytes"));
        }
        if url.chars().any(|c| c.is_control() || c == ' ') {
            return Err(invalid("contains spaces or control characters"));
        }
        let Some((scheme, rest)) = url.split_once("://") else {
            return Err(invalid("not a URL (expected scheme://…)"));
        };
        if !schemes.contains(&scheme) {
            return Err(invalid(&format!(
                "the scheme must be one of {} (got {:?})",
                schemes.join(", "),
                crate::log::printable(&scheme.chars().take(20).collect::<String>())
            )));
        }
        if unencoded_userinfo(rest) {
            return Err(invalid(
                "the user name or password holds a / ? or # that is not percent-encoded \
                 (write %2F, %3F, %23)",
            ));
        }
        let (before_query, query) = match rest.split_once('?') {
            Some((b, q)) => (b, Some(q)),
            None => (rest, None),
        };
        let authority_end = before_query.find('/').unwrap_or(before_query.len());
        let (authority, path) = before_query.split_at(authority_end);
        let mut secrets = Vec::new();
        let shown_authority = match authority.rsplit_once('@') {
            Some((userinfo, host)) => match userinfo.split_once(':') {
                Some((user, password)) => {
                    secrets.push(password.to_string());
                    format!("{user}:***@{host}")
                }
                None => format!("{userinfo}@{host}"),
            },
            None => authority.to_string(),
        };
        let mut kept = Vec::new();
        let mut shown = Vec::new();
        let mut ca_bundle = None;
        for param in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (key, value) = param.split_once('=').unwrap_or((param, ""));
            if key == "sslrootcert" {
                ca_bundle = Some(PathBuf::from(decode(value)));
                shown.push(param.to_string());
                continue;
            }
            if SECRET_PARAMS.contains(&key.to_ascii_lowercase().as_str()) {
                secrets.push(value.to_string());
                shown.push(format!("{key}=***"));
            } else {
                shown.push(param.to_string());
            }
            kept.push(param);
        }
        for secret in secrets.clone() {
            let decoded = decode(&secret);
            if decoded != secret {
                secrets.push(decoded);
            }
        }
        secrets.retain(|s| !s.is_empty());
        // Longest first, so a secret that contains another is replaced whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        let with_query = |params: &[String]| {
            if params.is_empty() {
                String::new()
            } else {
                format!("?{}", params.join("&"))
            }
        };
        let kept: Vec<String> = kept.into_iter().map(str::to_string).collect();
        Ok(DatabaseUrl {
            url: format!("{scheme}://{authority}{path}{}", with_query(&kept)),
            redacted: format!("{scheme}://{shown_authority}{path}{}", with_query(&shown)),
            secrets,
            ca_bundle,
        })
    }

    /// The URL to connect with (a secret).
    pub fn expose(&self) -> &str {
        &self.url
    }

    /// The URL with its passwords replaced by `***`.
    pub fn redacted(&self) -> &str {
        &self.redacted
    }

    /// `text` (a driver's error message) with this URL's secrets replaced by `***`.
    pub fn scrub(&self, text: &str) -> String {
        let mut text = text.to_string();
        for secret in &self.secrets {
            text = text.replace(secret.as_str(), "***");
        }
        text
    }
}

/// An error with its causes, `outer: inner: …` (drivers often say only "db error"
/// at the top), for [`DatabaseUrl::scrub`] to clean.
#[cfg_attr(not(any(feature = "postgres", feature = "redis")), allow(dead_code))]
pub(crate) fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let more = cause.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = cause.source();
    }
    text
}

fn decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

/// This process, as a lease holder and rotator: `host/pid`.
pub fn holder_id() -> &'static str {
    static ID: once_cell::sync::Lazy<String> = once_cell::sync::Lazy::new(|| {
        let mut buf = [0u8; 256];
        // SAFETY: gethostname writes at most buf.len() bytes into buf.
        let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
        let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
        let host = if rc == 0 {
            String::from_utf8_lossy(&buf[..end]).into_owned()
        } else {
            "unknown-host".into()
        };
        let host: String = host
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
            .take(64)
            .collect();
        format!("{host}/{}", std::process::id())
    });
    &ID
}

/// Waits between polls for a lease: about 50 ms, doubling to about 1 s, with
/// jitter, never past `deadline`. A waiter woken by the store's notices (a fleet
/// store's release wakes its waiters) polls only as the fallback, for a notice
/// lost or a holder that died holding the lease.
#[cfg_attr(not(any(feature = "postgres", feature = "redis")), allow(dead_code))]
pub(crate) struct Backoff {
    pause: Duration,
    cap: Duration,
    deadline: Instant,
}

/// The polling of a fleet store's lease waiters: `None` is the default backoff
/// (about 50 ms doubling to 1 s); `Some(d)` polls every `d` (tests and
/// benchmarks set it long to show that notices, not polls, wake the waiters).
#[cfg_attr(not(any(feature = "postgres", feature = "redis")), allow(dead_code))]
#[derive(Default)]
pub(crate) struct Polling(std::sync::Mutex<Option<Duration>>);

#[cfg_attr(not(any(feature = "postgres", feature = "redis")), allow(dead_code))]
impl Polling {
    pub(crate) fn set(&self, every: Option<Duration>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = every.map(|d| d.max(Duration::from_millis(1)));
    }

    /// The backoff for a wait of at most `wait`.
    pub(crate) fn backoff(&self, wait: Duration) -> Backoff {
        let mut backoff = Backoff::until(wait);
        if let Some(every) = *self.0.lock().unwrap_or_else(|e| e.into_inner()) {
            backoff.pause = every;
            backoff.cap = every;
        }
        backoff
    }
}

#[cfg_attr(not(any(feature = "postgres", feature = "redis")), allow(dead_code))]
impl Backoff {
    pub(crate) fn until(wait: Duration) -> Backoff {
        let now = Instant::now();
        Backoff {
            pause: Duration::from_millis(50),
            cap: Duration::from_secs(1),
            deadline: now.checked_add(wait).unwrap_or(now + Duration::from_secs(86_400)),
        }
    }

    /// How long to wait before the next poll (at most until `expires`, when the
    /// held lease is known to lapse then, plus a little); `None` once the deadline
    /// has passed.
    pub(crate) fn next_pause(&mut self, expires: Option<Duration>) -> Option<Duration> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return None;
        }
        // Spread over half to one and a half times the pause, so processes that
        // started together do not keep polling in step.
        let random = {
            use std::hash::{BuildHasher, Hasher};
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u128(Instant::now().elapsed().as_nanos());
            h.finish()
        };
        let mut pause = jittered(self.pause, random).min(left);
        if let Some(expires) = expires {
            pause = pause.min(expires + Duration::from_millis(5));
        }
        self.pause = (self.pause * 2).min(self.cap);
        Some(pause.max(Duration::from_millis(1)))
    }
}

/// The PostgreSQL notification channel a chain's lease releases are announced
/// on (an identifier: `xoxe_` and 16 hex digits of the chain name's FNV-1a
/// hash; the payload is the chain name, so a collision only costs a poll).
/// Redis announces them on the channel `xoxe:{CHAIN}:wake`.
pub fn wake_channel(chain: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in chain.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("xoxe_{hash:016x}")
}

/// `pause` spread by `random` over half to one and a half times itself.
fn jittered(pause: Duration, random: u64) -> Duration {
    pause / 2 + pause.mul_f64((random % 1000) as f64 / 1000.0)
}

/// The error when another holder kept a fleet store's lease for all of `wait`.
#[cfg_attr(not(any(feature = "postgres", feature = "redis")), allow(dead_code))]
pub(crate) fn lease_not_free(store: &str, wait: Duration, holder: Option<&str>) -> Error {
    Error::new(
        Status::LockTimeout,
        format!(
            "{store}: the lease was not free within {wait:?} (held by {})",
            crate::log::printable(holder.unwrap_or("nobody now"))
        ),
    )
}

/// An orphan's document as a pair; an unreadable one is logged and skipped (it
/// cannot continue the chain, and must not stop the others from being tried).
#[cfg_attr(not(any(feature = "postgres", feature = "redis")), allow(dead_code))]
pub(crate) fn orphan_from(
    codec: &super::seal::Codec,
    document: &[u8],
    chain: &str,
    store: &str,
) -> Option<super::StoredPair> {
    match codec.decode(document, chain, store) {
        Ok(pair) => Some(pair),
        Err(e) => {
            crate::log::xlog!(Warn, "skipping an unreadable orphan: {}", e.message);
            None
        }
    }
}

/// The error for a file path that is a mistyped URL (never echoed: it may hold a password).
pub(crate) fn not_a_database_url() -> Error {
    Error::new(
        Status::InvalidArgument,
        "the store looks like a URL but not one xoxe supports: database URLs start postgresql://, \
         postgres://, redis://, rediss:// or redis+unix:// (in lower case)",
    )
}

/// The error for a store this build leaves out.
#[allow(dead_code)] // unused when every feature is on
fn unsupported(what: &str, feature: &str) -> Error {
    Error::new(
        Status::Unsupported,
        format!("this build of xoxe has no {what} store (built without the cargo feature `{feature}`)"),
    )
}

/// A PostgreSQL store for `chain` at `url` (`postgresql://` or `postgres://`);
/// `Unsupported` in a build without the `postgres` feature.
pub fn postgres(url: &str, chain: &str) -> Result<Arc<dyn Store>> {
    #[cfg(feature = "postgres")]
    {
        Ok(Arc::new(super::PostgresStore::connect(url, chain)?))
    }
    #[cfg(not(feature = "postgres"))]
    {
        let _ = (url, chain);
        Err(unsupported("PostgreSQL", "postgres"))
    }
}

/// A Redis store for `chain` at `url` (`redis://`, `rediss://`, `redis+unix://`);
/// `Unsupported` in a build without the `redis` feature.
pub fn redis(url: &str, chain: &str) -> Result<Arc<dyn Store>> {
    #[cfg(feature = "redis")]
    {
        Ok(Arc::new(super::RedisStore::connect(url, chain)?))
    }
    #[cfg(not(feature = "redis"))]
    {
        let _ = (url, chain);
        Err(unsupported("Redis", "redis"))
    }
}

/// The store a command line names: a database URL (with `chain`), a directory
/// (a directory store: `DIR/CHAIN.json`), or a file path (whose chain is the file
/// itself: `chain` must be the default).
pub fn open(spec: &str, chain: &str, lock_timeout: Duration) -> Result<Arc<dyn Store>> {
    check_chain_name(chain)?;
    if !is_database_url(spec) && looks_like_a_url(spec) {
        return Err(not_a_database_url());
    }
    if spec.starts_with("postgresql://") || spec.starts_with("postgres://") {
        return postgres(spec, chain);
    }
    if is_database_url(spec) {
        return redis(spec, chain);
    }
    if std::path::Path::new(spec).is_dir() {
        return Ok(Arc::new(super::FileStore::directory(spec, chain, lock_timeout)?));
    }
    if chain != DEFAULT_CHAIN {
        return Err(Error::new(
            Status::InvalidArgument,
            "a file store holds one chain: --chain applies to directory and database stores",
        ));
    }
    Ok(Arc::new(super::FileStore::new(spec, lock_timeout)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted_and_scrubbed() {
        let url = DatabaseUrl::parse(
            "postgresql://xoxe:s%3Acret@127.0.0.1:5432/db?sslmode=require&password=other&sslrootcert=/tmp/ca.pem",
            &["postgresql"],
        )
        .unwrap();
        assert_eq!(
            url.redacted(),
            "postgresql://xoxe:***@127.0.0.1:5432/db?sslmode=require&password=***&sslrootcert=/tmp/ca.pem"
        );
        assert_eq!(
            url.expose(),
            "postgresql://xoxe:s%3Acret@127.0.0.1:5432/db?sslmode=require&password=other"
        );
        assert_eq!(url.ca_bundle, Some(PathBuf::from("/tmp/ca.pem")));
        assert_eq!(
            url.scrub("bad s:cret and s%3Acret and other"),
            "bad *** and *** and ***"
        );
        assert_eq!(format!("{url:?}"), url.redacted());

        let unix = DatabaseUrl::parse("redis+unix:///run/r.sock?pass=tok3n&db=2", &["redis+unix"]).unwrap();
        assert_eq!(unix.redacted(), "redis+unix:///run/r.sock?pass=***&db=2");
        let user_only = DatabaseUrl::parse("redis://alice@h:1/0", &["redis"]).unwrap();
        assert_eq!(user_only.redacted(), "redis://alice@h:1/0");
    }

    #[test]
    fn passwords_that_would_be_split_are_refused_and_mistyped_urls_are_not_paths() {
        for url in [
            "postgresql://u:pa/ss@h:5432/db",
            "redis://:pa?ss@h:6379/0",
            "rediss://u:p#w@h/0",
        ] {
            let e = DatabaseUrl::parse(url, &["postgresql", "redis", "rediss"]).unwrap_err();
            assert_eq!(e.status, Status::InvalidArgument, "{url}");
            assert!(
                !e.message.contains("ss@") && !e.message.contains("p#w"),
                "{}",
                e.message
            );
        }
        for url in [
            "postgresql://u:pa%2Fss@h:5432/db",
            "redis://:p@ss@h:6379/0",
            "redis+unix:///run/redis.sock?pass=p@ss/w",
            "postgresql://h/db?sslrootcert=/a@b/ca.pem",
            "redis://h:6379",
            "postgresql://u:p@h/db@x",
            "postgresql://h/db@x",
            &format!("redis://h/{}", "0".repeat(4096 - "redis://h/".len())),
        ] {
            DatabaseUrl::parse(url, &["postgresql", "redis", "redis+unix"]).unwrap();
        }
        let long = format!("redis://h/{}", "0".repeat(4097 - "redis://h/".len()));
        assert_eq!(
            DatabaseUrl::parse(&long, &["redis"]).unwrap_err().status,
            Status::InvalidArgument
        );
        for url in [
            "ftp://u:pw@h/x",
            "POSTGRESQL://u:pw@h/db",
            "Redis://:pw@h:6379/0",
            "postgresql:/u:pw@h/db",
            "redis:h:6379",
            "mysql://u:pw@h/db",
        ] {
            assert!(looks_like_a_url(url), "{url}");
            let e = open(url, DEFAULT_CHAIN, Duration::from_secs(1)).err().unwrap();
            assert_eq!(e.status, Status::InvalidArgument, "{url}");
            assert!(!e.message.contains("pw"), "{}", e.message);
        }
        for path in [
            "store.json",
            "/var/lib/xoxe/store.json",
            "./redis/store.json",
            "redis.json",
            "a:b.json",
            "/tmp/x://y",
            "1x://y",
            "a b://y",
        ] {
            assert!(!looks_like_a_url(path), "{path}");
        }
    }

    #[test]
    fn bad_urls_and_chain_names_are_refused() {
        for bad in ["", "nothing", "http://h/", "postgresql://h /x", "postgresql://h/\n"] {
            let e = DatabaseUrl::parse(bad, &["postgresql"]).unwrap_err();
            assert_eq!(e.status, Status::InvalidArgument, "{bad:?}");
        }
        for bad in ["", "a b", "x{y}", "é", "..", ".hidden", "a/b", "a\0b", &"a".repeat(201)] {
            assert_eq!(check_chain_name(bad).unwrap_err().status, Status::InvalidArgument);
        }
        for good in ["default", "E1:T2:B3", "a.b-c_d@e", &"a".repeat(200)] {
            check_chain_name(good).unwrap();
        }
    }

    #[test]
    fn constructors_answer_unsupported_exactly_when_their_feature_is_left_out() {
        // Nothing listens on port 9: a build with the feature fails to connect.
        let postgres = super::postgres("postgresql://u:pw@127.0.0.1:9/db", "default")
            .err()
            .unwrap();
        let expected = if cfg!(feature = "postgres") {
            Status::StoreIo
        } else {
            Status::Unsupported
        };
        assert_eq!(postgres.status, expected, "{}", postgres.message);
        let redis = super::redis("redis://:pw@127.0.0.1:9/0", "default").err().unwrap();
        let expected = if cfg!(feature = "redis") {
            Status::StoreIo
        } else {
            Status::Unsupported
        };
        assert_eq!(redis.status, expected, "{}", redis.message);
        if !cfg!(feature = "redis") {
            assert!(
                redis.message.contains("`redis`"),
                "names the feature: {}",
                redis.message
            );
        }
    }

    #[test]
    fn lease_polls_back_off_with_jitter_and_stop_at_the_deadline() {
        let ms = Duration::from_millis;
        assert_eq!(jittered(ms(100), 0), ms(50));
        assert_eq!(jittered(ms(100), 500), ms(100));
        assert_eq!(jittered(ms(100), 1999), ms(149) + Duration::from_micros(900));
        let mut backoff = Backoff::until(Duration::from_secs(600));
        assert!(backoff.next_pause(None).is_some(), "time is left");
        assert_eq!(backoff.pause, ms(100), "doubled");
        for _ in 0..5 {
            backoff.pause = (backoff.pause * 2).min(Duration::from_secs(1));
        }
        assert_eq!(backoff.pause, Duration::from_secs(1), "capped");
        // A wait too long to add to the clock waits a day at most, never nothing.
        let mut endless = Backoff::until(Duration::MAX);
        endless.pause = Duration::ZERO;
        assert!(endless.next_pause(None).is_some());
        let mut over = Backoff::until(Duration::ZERO);
        assert!(over.next_pause(None).is_none(), "no time left");
        // A known lease expiry shortens the pause; a fixed poll stays fixed.
        let mut hinted = Backoff::until(Duration::from_secs(600));
        assert!(hinted.next_pause(Some(ms(2))).unwrap() <= ms(7));
        let polling = Polling::default();
        polling.set(Some(Duration::from_secs(30)));
        let mut fixed = polling.backoff(Duration::from_secs(600));
        assert!(fixed.next_pause(None).unwrap() >= Duration::from_secs(15));
        assert_eq!(fixed.pause, Duration::from_secs(30));
        assert_eq!(wake_channel("default"), wake_channel("default"));
        assert_ne!(wake_channel("a"), wake_channel("b"));
        assert_eq!(wake_channel("x").len(), "xoxe_".len() + 16);
    }

    #[test]
    fn the_holder_is_host_and_pid() {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
        let host: String = host
            .trim()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
            .take(64)
            .collect();
        assert!(!host.is_empty());
        assert_eq!(holder_id(), format!("{host}/{}", std::process::id()));
        assert!(holder_id().ends_with(&format!("/{}", std::process::id())));
    }
}
