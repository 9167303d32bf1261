//! A chain kept in Redis, shared by every process and machine that uses the same
//! server. Keys `xoxe:{CHAIN}:pair` (a hash: `gen`, `doc`, the in-flight fields),
//! `…:lease` (`EPOCH:HOLDER`, expiring), `…:epoch` (the lease counter) and
//! `…:orphans` (a list, newest first): the braces put one chain's keys in one
//! Cluster hash slot. Every step is one Lua script (atomic, one round trip); the
//! lease is timed by the server's clock (`PX`, `PTTL`, `TIME`). A rotation is
//! three scripts (take the lease and read; renew and mark; save, clear and
//! release). A release `PUBLISH`es on `xoxe:{CHAIN}:wake`; a waiter subscribes on
//! a connection of its own and polls only as the fallback.
//!
//! Preconditions, stated in the README: one primary, `appendonly yes` with
//! `appendfsync always` (the store warns otherwise); a failover to a replica that
//! missed the last write can hand out a stale pair.

use super::fleet::{
    check_chain_name, holder_id, lease_not_free, orphan_from, Backoff, DatabaseUrl, Polling, STATEMENT_TIMEOUT,
};
use super::seal::{Codec, Keyring};
use super::{Acquired, HeldLease, InFlight, Lease, LeaseTerms, Reservation, Saved, Store, StoredPair};
use crate::error::{Error, Result};
use crate::log::xlog;
use crate::status::Status;
use redis::{Connection, ConnectionLike, RedisError, Script};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Orphans kept per chain (the newest).
const ORPHANS_KEPT: i64 = 16;

/// Idle pub/sub connections kept per server.
const LISTENERS_KEPT: usize = 4;

/// How often a rewrite retries when parked pairs change under it.
const REWRITE_ATTEMPTS: usize = 8;

/// The hash fields of the in-flight marker.
const IN_FLIGHT_FIELDS: &str = "'inflight_gen', 'inflight_at', 'inflight_until', 'inflight_holder'";

/// A Redis store for one chain (see the module docs); [`Store::open_chain`]
/// reaches the others over the same connection. Thread-safe: one connection per
/// [`RedisStore::connect`], used a command at a time, reconnected when it breaks.
pub struct RedisStore {
    shared: Arc<Shared>,
}

/// One chain of a server.
struct Shared {
    db: Arc<Database>,
    chain: String,
    keys: Keys,
    scripts: Arc<Scripts>,
    codec: Codec,
}

/// The connection every chain opened from one `connect` shares.
struct Database {
    url: DatabaseUrl,
    client: redis::Client,
    connection: Mutex<Option<Connection>>,
    /// Idle connections for waiters to subscribe to a chain's wake channel on.
    listeners: Mutex<Vec<Connection>>,
    polling: Polling,
}

struct Keys {
    pair: String,
    lease: String,
    epoch: String,
    orphans: String,
    /// The pub/sub channel a release of the lease is announced on.
    wake: String,
}

struct Scripts {
    renew: Script,
    release: Script,
    intent: Script,
    clear: Script,
    in_flight: Script,
    save: Script,
    rewrite: Script,
    acquire_load: Script,
    renew_mark: Script,
    save_release: Script,
}

/// What one try for the lease found.
enum Attempt {
    Done(Box<Acquired>),
    Held { holder: Option<String>, expires: Duration },
}

impl Scripts {
    fn new() -> Scripts {
        Scripts {
            // KEYS: lease. ARGV: value, lease ms.
            renew: Script::new(
                "if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
                 redis.call('PEXPIRE', KEYS[1], ARGV[2])
                 return 1",
            ),
            // KEYS: lease. ARGV: value, wake channel. Compare and delete, and wake
            // the waiters.
            release: Script::new(
                "if redis.call('GET', KEYS[1]) == ARGV[1] then
                     redis.call('DEL', KEYS[1])
                     redis.call('PUBLISH', ARGV[2], '1')
                     return 1
                 end
                 return 0",
            ),
            // KEYS: lease, epoch, pair. ARGV: holder, lease ms. {-1}: no chain;
            // {0, lease value, ms left}: held; else {epoch, gen, doc, then the
            // in-flight gen, at ms, ms left, holder (each false when unset)}.
            acquire_load: Script::new(
                "if redis.call('EXISTS', KEYS[3]) == 0 then return {-1} end
                 if redis.call('EXISTS', KEYS[1]) == 1 then
                     return {0, redis.call('GET', KEYS[1]) or '', redis.call('PTTL', KEYS[1])}
                 end
                 local e = redis.call('INCR', KEYS[2])
                 redis.call('SET', KEYS[1], e .. ':' .. ARGV[1], 'PX', ARGV[2])
                 local f = redis.call('HMGET', KEYS[3], 'gen', 'doc', 'inflight_gen', 'inflight_at',
                     'inflight_until', 'inflight_holder')
                 local left = false
                 if f[5] then
                     local t = redis.call('TIME')
                     local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
                     left = tonumber(f[5]) - now
                     if left < 0 then left = 0 end
                     left = tostring(left)
                 end
                 return {e, f[1], f[2], f[3], f[4], left, f[6]}",
            ),
            // KEYS: lease, pair. ARGV: value, lease ms, generation, ms that must
            // remain, holder, call ms. Renews, then marks: 1, or 0 (refused).
            renew_mark: Script::new(
                "if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
                 redis.call('PEXPIRE', KEYS[1], ARGV[2])
                 if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[4]) then return 0 end
                 if redis.call('HGET', KEYS[2], 'gen') ~= ARGV[3] then return 0 end
                 local t = redis.call('TIME')
                 local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
                 redis.call('HSET', KEYS[2], 'inflight_gen', ARGV[3], 'inflight_at', now,
                     'inflight_until', now + tonumber(ARGV[6]), 'inflight_holder', ARGV[5])
                 return 1",
            ),
            // KEYS: lease, pair. ARGV: value, generation, ms that must remain, holder, call ms.
            intent: Script::new(
                "if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
                 if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[3]) then return 0 end
                 if redis.call('HGET', KEYS[2], 'gen') ~= ARGV[2] then return 0 end
                 local t = redis.call('TIME')
                 local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
                 redis.call('HSET', KEYS[2], 'inflight_gen', ARGV[2], 'inflight_at', now,
                     'inflight_until', now + tonumber(ARGV[5]), 'inflight_holder', ARGV[4])
                 return 1"
            ),
            // KEYS: lease, pair. ARGV: value, generation.
            clear: Script::new(&format!(
                "if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
                 if redis.call('HGET', KEYS[2], 'inflight_gen') ~= ARGV[2] then return 0 end
                 return redis.call('HDEL', KEYS[2], {IN_FLIGHT_FIELDS})"
            )),
            // KEYS: pair. Returns {} or {gen, at ms, ms left, holder}.
            in_flight: Script::new(
                "local f = redis.call('HMGET', KEYS[1], 'inflight_gen', 'inflight_at', 'inflight_until', 'inflight_holder')
                 if not f[1] then return {} end
                 local t = redis.call('TIME')
                 local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
                 local left = tonumber(f[3]) - now
                 if left < 0 then left = 0 end
                 return {f[1], f[2], tostring(left), f[4] or ''}",
            ),
            // KEYS: pair. ARGV: expected generation ('' = none stored), new generation, document.
            // {1}: stored; {0, gen, doc} or {0}: conflict.
            save: Script::new(&format!(
                "local g = redis.call('HGET', KEYS[1], 'gen')
                 if (g == false and ARGV[1] == '') or g == ARGV[1] then
                     redis.call('HSET', KEYS[1], 'gen', ARGV[2], 'doc', ARGV[3])
                     redis.call('HDEL', KEYS[1], {IN_FLIGHT_FIELDS})
                     return {{1}}
                 end
                 if g == false then return {{0}} end
                 return {{0, g, redis.call('HGET', KEYS[1], 'doc')}}"
            )),
            // KEYS: pair, lease. ARGV: expected generation, new generation,
            // document, lease value, wake channel. Saves as `save` does, releases
            // the lease if still this holder's (either way), and wakes the waiters.
            save_release: Script::new(&format!(
                "local g = redis.call('HGET', KEYS[1], 'gen')
                 local stored = g == ARGV[1]
                 if stored then
                     redis.call('HSET', KEYS[1], 'gen', ARGV[2], 'doc', ARGV[3])
                     redis.call('HDEL', KEYS[1], {IN_FLIGHT_FIELDS})
                 end
                 local released = redis.call('GET', KEYS[2]) == ARGV[4]
                 if released then redis.call('DEL', KEYS[2]) end
                 if stored or released then redis.call('PUBLISH', ARGV[5], '1') end
                 if stored then return {{1}} end
                 if g == false then return {{0}} end
                 return {{0, g, redis.call('HGET', KEYS[1], 'doc')}}"
            )),
            // KEYS: pair, orphans. ARGV: generation, document, n, then the n parked
            // entries as read, then the n entries rewritten. 1: rewritten; 0: the
            // generation moved; -1: the parked entries changed meanwhile.
            rewrite: Script::new(
                "if redis.call('HGET', KEYS[1], 'gen') ~= ARGV[1] then return 0 end
                 local n = tonumber(ARGV[3])
                 if redis.call('LLEN', KEYS[2]) ~= n then return -1 end
                 for i = 1, n do
                     if redis.call('LINDEX', KEYS[2], i - 1) ~= ARGV[3 + i] then return -1 end
                 end
                 redis.call('HSET', KEYS[1], 'doc', ARGV[2])
                 for i = 1, n do redis.call('LSET', KEYS[2], i - 1, ARGV[3 + n + i]) end
                 return 1",
            ),
        }
    }
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// PEM text for DER certificates (redis-rs takes its roots as PEM).
fn pem(certificates: &[rustls::pki_types::CertificateDer<'_>]) -> Vec<u8> {
    use base64::Engine;
    let mut out = String::new();
    for der in certificates {
        out.push_str("-----BEGIN CERTIFICATE-----\n");
        let text = base64::engine::general_purpose::STANDARD.encode(der.as_ref());
        for line in text.as_bytes().chunks(64) {
            out.push_str(std::str::from_utf8(line).unwrap_or(""));
            out.push('\n');
        }
        out.push_str("-----END CERTIFICATE-----\n");
    }
    out.into_bytes()
}

impl RedisStore {
    /// Connects to `url` (`redis://[user]:password@host:port/db`, `rediss://…` for
    /// TLS, `redis+unix:///path?pass=…`; `sslrootcert=PATH` adds CA certificates to
    /// the built-in roots) for chain `chain`. Warns unless the server fsyncs every
    /// write (`appendfsync always`). Fails with `StoreIo` naming the redacted URL
    /// when the server cannot be reached.
    pub fn connect(url: &str, chain: &str) -> Result<RedisStore> {
        check_chain_name(chain)?;
        let url = DatabaseUrl::parse(url, &["redis", "rediss", "redis+unix", "unix"])?;
        let invalid = |e: RedisError| {
            Error::new(
                Status::InvalidArgument,
                format!("database URL {}: {}", url.redacted(), url.scrub(&e.to_string())),
            )
        };
        let client = if url.expose().starts_with("rediss://") {
            // The HTTP client's roots: Mozilla's plus the bundle (not the system store).
            let mut roots: Vec<_> = webpki_root_certs::TLS_SERVER_ROOT_CERTS.to_vec();
            roots.extend(crate::tls::bundle_certificates(url.ca_bundle.as_deref())?);
            let _ = rustls::crypto::ring::default_provider().install_default();
            redis::Client::build_with_tls(
                url.expose(),
                redis::TlsCertificates {
                    client_tls: None,
                    root_cert: Some(pem(&roots)),
                },
            )
            .map_err(invalid)?
        } else {
            redis::Client::open(url.expose()).map_err(invalid)?
        };
        let store = RedisStore {
            shared: Arc::new(Shared {
                db: Arc::new(Database {
                    url,
                    client,
                    connection: Mutex::new(None),
                    listeners: Mutex::new(Vec::new()),
                    polling: Polling::default(),
                }),
                chain: chain.to_string(),
                keys: Keys::of(chain),
                scripts: Arc::new(Scripts::new()),
                codec: Codec::plain(),
            }),
        };
        store.shared.with(|c| redis::cmd("PING").query::<String>(c))?;
        store.shared.warn_unless_durable();
        Ok(store)
    }

    /// Makes waiters for a held lease poll every `every` instead of backing off
    /// from 50 ms to 1 s (`None`: the default), for every chain of this
    /// connection. Polling is the fallback: a release wakes its waiters through
    /// the chain's pub/sub channel. For tests and benchmarks.
    pub fn set_lease_poll(&self, every: Option<Duration>) {
        self.shared.db.polling.set(every);
    }
}

/// The prefix and suffix of a chain's pair key, `xoxe:{CHAIN}:pair`.
const PAIR_KEY: (&str, &str) = ("xoxe:{", "}:pair");

impl Keys {
    fn of(chain: &str) -> Keys {
        let tag = format!("xoxe:{{{chain}}}");
        Keys {
            pair: format!("{tag}:pair"),
            lease: format!("{tag}:lease"),
            epoch: format!("{tag}:epoch"),
            orphans: format!("{tag}:orphans"),
            wake: format!("{tag}:wake"),
        }
    }
}

impl Shared {
    fn describe(&self) -> String {
        format!("Redis store {} (chain {})", self.db.url.redacted(), self.chain)
    }

    fn with<T>(&self, f: impl FnMut(&mut Connection) -> redis::RedisResult<T>) -> Result<T> {
        self.db.with(&self.describe(), f)
    }

    fn another(&self, chain: &str, codec: Codec) -> RedisStore {
        RedisStore {
            shared: Arc::new(Shared {
                db: Arc::clone(&self.db),
                chain: chain.to_string(),
                keys: Keys::of(chain),
                scripts: Arc::clone(&self.scripts),
                codec,
            }),
        }
    }
}

impl Database {
    /// An idle connection to subscribe on.
    fn idle_listener(&self) -> Option<Connection> {
        let idle = self.listeners.lock().unwrap_or_else(|e| e.into_inner()).pop();
        idle.filter(|c| c.is_open())
    }

    fn give_back(&self, connection: Connection) {
        if connection.is_open() {
            let mut idle = self.listeners.lock().unwrap_or_else(|e| e.into_inner());
            if idle.len() < LISTENERS_KEPT {
                idle.push(connection);
            }
        }
    }

    fn error(&self, describe: &str, doing: &str, e: &RedisError) -> Error {
        Error::new(
            Status::StoreIo,
            format!("{describe}: {doing}: {}", self.url.scrub(&e.to_string())),
        )
    }

    fn open(&self, describe: &str) -> Result<Connection> {
        let connection = self
            .client
            .get_connection_with_timeout(STATEMENT_TIMEOUT)
            .map_err(|e| self.error(describe, "connecting", &e))?;
        connection
            .set_read_timeout(Some(STATEMENT_TIMEOUT))
            .and_then(|()| connection.set_write_timeout(Some(STATEMENT_TIMEOUT)))
            .map_err(|e| self.error(describe, "setting timeouts", &e))?;
        Ok(connection)
    }

    /// Runs `f` on the connection, opening it first if needed; a dropped
    /// connection is replaced and `f` tried once more (every script here is safe
    /// to repeat: a save that did happen then reports a conflict holding the same
    /// pair, which the rotator accepts).
    fn with<T>(&self, describe: &str, mut f: impl FnMut(&mut Connection) -> redis::RedisResult<T>) -> Result<T> {
        let mut slot = self.connection.lock().unwrap_or_else(|e| e.into_inner());
        let mut retried = false;
        loop {
            let connection = match slot.as_mut() {
                Some(c) if c.is_open() => c,
                _ => slot.insert(self.open(describe)?),
            };
            match f(connection) {
                Ok(value) => return Ok(value),
                Err(e) => {
                    let broken = e.is_connection_dropped() || e.is_io_error() || e.is_unrecoverable_error();
                    if broken {
                        *slot = None;
                    }
                    if broken && !retried && !e.is_timeout() {
                        retried = true;
                        xlog!(Warn, "{describe}: connection lost; reconnecting");
                        continue;
                    }
                    return Err(self.error(describe, "a command failed", &e));
                }
            }
        }
    }
}

impl Shared {
    fn warn_unless_durable(&self) {
        let setting: Option<(String, String)> = self
            .with(|c| redis::cmd("CONFIG").arg("GET").arg("appendfsync").query(c))
            .ok()
            .flatten();
        match setting {
            Some((_, value)) if value == "always" => {}
            Some((_, value)) => xlog!(
                Warn,
                "{}: the server's appendfsync is {:?}, not \"always\": a crash of the server can lose the newest pair",
                self.describe(),
                crate::log::printable(&value)
            ),
            None => xlog!(
                Info,
                "{}: cannot read the server's appendfsync setting; it must be \"always\"",
                self.describe()
            ),
        }
    }

    fn pair_from(&self, generation: &str, document: &[u8]) -> Result<StoredPair> {
        let mut pair = self.codec.decode(document, &self.chain, &self.describe())?;
        pair.generation = generation.parse().map_err(|_| {
            Error::new(
                Status::StoreCorrupt,
                format!("{}: the generation is not a number", self.describe()),
            )
        })?;
        Ok(pair)
    }
}

/// A field of a script's answer, as bytes (a secret, zeroed on drop).
fn field(answer: &[redis::Value], i: usize) -> Option<zeroize::Zeroizing<Vec<u8>>> {
    match answer.get(i) {
        Some(redis::Value::BulkString(bytes)) => Some(zeroize::Zeroizing::new(bytes.clone())),
        Some(redis::Value::Int(n)) => Some(zeroize::Zeroizing::new(n.to_string().into_bytes())),
        _ => None,
    }
}

/// A field of a script's answer as text (not a secret).
fn text(answer: &[redis::Value], i: usize) -> Option<String> {
    field(answer, i).map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
}

impl Shared {
    /// The outcome of a save script: `{1}`, or `{0, gen, doc}` / `{0}`.
    fn saved_from(&self, answer: &[redis::Value]) -> Result<Saved> {
        if field(answer, 0).as_deref().map(|v| &v[..]) == Some(b"1") {
            return Ok(Saved::Stored);
        }
        match (text(answer, 1), field(answer, 2)) {
            (Some(generation), Some(document)) => Ok(Saved::Conflict(Some(self.pair_from(&generation, &document)?))),
            _ => Ok(Saved::Conflict(None)),
        }
    }
}

/// A lease key held by this store: its value is ours until it expires.
struct RedisLease {
    shared: Arc<Shared>,
    value: String,
    epoch: u64,
    length: Duration,
}

impl HeldLease for RedisLease {
    fn renew(&mut self) -> Result<()> {
        let s = &self.shared;
        let renewed: i64 = s.with(|c| {
            s.scripts
                .renew
                .key(&s.keys.lease)
                .arg(&self.value)
                .arg(ms(self.length))
                .invoke(c)
        })?;
        if renewed == 0 {
            return Err(Error::new(
                Status::LockTimeout,
                format!("{}: the lease lapsed and may be another holder's now", s.describe()),
            ));
        }
        Ok(())
    }

    fn epoch(&self) -> Option<u64> {
        Some(self.epoch)
    }

    fn release(self: Box<Self>) -> Result<()> {
        let s = &self.shared;
        let _: i64 = s.with(|c| {
            s.scripts
                .release
                .key(&s.keys.lease)
                .arg(&self.value)
                .arg(&s.keys.wake)
                .invoke(c)
        })?;
        Ok(())
    }
}

impl RedisStore {
    /// The lease value of the holder of `lease`, if it is one of ours.
    fn lease_value(lease: &Lease) -> Option<String> {
        lease.epoch().map(|e| format!("{e}:{}", holder_id()))
    }

    /// One try for the lease (one script): taken, with the pair and marker read;
    /// nothing stored; or held, by whom and for how long.
    fn try_acquire(&self, length: Duration) -> Result<Attempt> {
        let s = &self.shared;
        let answer: Vec<redis::Value> = s.with(|c| {
            s.scripts
                .acquire_load
                .key(&s.keys.lease)
                .key(&s.keys.epoch)
                .key(&s.keys.pair)
                .arg(holder_id())
                .arg(ms(length))
                .invoke(c)
        })?;
        let number = |i: usize| text(&answer, i).and_then(|t| t.parse::<i64>().ok());
        let epoch = number(0).unwrap_or(-1);
        if epoch < 0 {
            // Nothing stored: nothing to rotate.
            return Ok(Attempt::Done(Box::new(Acquired {
                lease: Lease::none(),
                pair: None,
                in_flight: Some(None),
            })));
        }
        if epoch == 0 {
            let holder = text(&answer, 1)
                .as_deref()
                .and_then(|v| v.split_once(':'))
                .map(|(_, h)| h.to_string());
            let left = number(2).unwrap_or(0);
            return Ok(Attempt::Held {
                holder,
                expires: Duration::from_millis(u64::try_from(left).unwrap_or(0)),
            });
        }
        let epoch = epoch as u64;
        let lease = Lease::held(RedisLease {
            shared: Arc::clone(s),
            value: format!("{epoch}:{}", holder_id()),
            epoch,
            length,
        });
        let pair = match (text(&answer, 1), field(&answer, 2)) {
            (Some(generation), Some(document)) => Some(s.pair_from(&generation, &document)?),
            (None, None) => None,
            _ => {
                return Err(Error::new(
                    Status::StoreCorrupt,
                    format!("{}: the pair hash lacks its generation or document", s.describe()),
                ))
            }
        };
        let in_flight = number(3).map(|generation| {
            let at = number(4).unwrap_or(0);
            InFlight {
                generation: u64::try_from(generation).unwrap_or(0),
                since: at / 1000,
                left: Duration::from_millis(u64::try_from(number(5).unwrap_or(0)).unwrap_or(0)),
                holder: text(&answer, 6).filter(|h| !h.is_empty()),
            }
        });
        Ok(Attempt::Done(Box::new(Acquired {
            lease,
            pair,
            in_flight: Some(in_flight),
        })))
    }

    /// [`wait_for_lease`](Self::wait_for_lease) subscribed to the chain's wake
    /// channel on `connection` (subscribed first, then tried again at once: a
    /// release between the first try and the subscription would otherwise wake
    /// nobody); `None` when subscribing failed.
    fn wait_subscribed(
        &self,
        terms: &LeaseTerms,
        backoff: &mut Backoff,
        connection: &mut Connection,
        healthy: &mut bool,
    ) -> Option<Result<Acquired>> {
        let s = &self.shared;
        let mut pubsub = connection.as_pubsub();
        if let Err(e) = pubsub.subscribe(&s.keys.wake) {
            xlog!(
                Debug,
                "{}",
                s.db.error(&s.describe(), "subscribing to lease releases", &e).message
            );
            return None;
        }
        let acquired = self.wait_for_lease(terms, backoff, Some(&mut pubsub), healthy);
        // Unsubscribing (on drop) reads the server's answers: time enough.
        *healthy &= pubsub.set_read_timeout(Some(STATEMENT_TIMEOUT)).is_ok();
        Some(acquired)
    }

    /// Tries for the lease until it is taken or `terms.wait` has passed, woken by
    /// `pubsub` (subscribed to the chain's wake channel) or polling; `healthy`
    /// turns false when the subscription broke.
    fn wait_for_lease(
        &self,
        terms: &LeaseTerms,
        backoff: &mut Backoff,
        mut pubsub: Option<&mut redis::PubSub<'_>>,
        healthy: &mut bool,
    ) -> Result<Acquired> {
        let s = &self.shared;
        loop {
            let (holder, expires) = match self.try_acquire(terms.lease())? {
                Attempt::Done(acquired) => return Ok(*acquired),
                Attempt::Held { holder, expires } => (holder, expires),
            };
            let Some(pause) = backoff.next_pause(Some(expires)) else {
                return Err(lease_not_free(&s.describe(), terms.wait, holder.as_deref()));
            };
            let Some(listening) = pubsub.as_mut() else {
                std::thread::sleep(pause);
                continue;
            };
            // Any message on the one channel subscribed is a release.
            let woken = listening
                .set_read_timeout(Some(pause))
                .and_then(|()| listening.get_message().map(|_| ()));
            match woken {
                Ok(()) => {}
                Err(e) if e.is_timeout() => {}
                Err(e) => {
                    xlog!(
                        Debug,
                        "{}; polling instead",
                        s.db.error(&s.describe(), "waiting for a lease release", &e).message
                    );
                    *healthy = false;
                    pubsub = None;
                }
            }
        }
    }
}

impl Store for RedisStore {
    fn load(&self) -> Result<Option<StoredPair>> {
        let s = &self.shared;
        let (generation, document): (Option<String>, Option<Vec<u8>>) =
            s.with(|c| redis::cmd("HMGET").arg(&s.keys.pair).arg("gen").arg("doc").query(c))?;
        match (generation, document) {
            (Some(generation), Some(document)) => {
                let document = zeroize::Zeroizing::new(document);
                s.pair_from(&generation, &document).map(Some)
            }
            (None, None) => Ok(None),
            _ => Err(Error::new(
                Status::StoreCorrupt,
                format!("{}: the pair hash lacks its generation or document", s.describe()),
            )),
        }
    }

    fn compare_and_swap(&self, expected: Option<u64>, new: &StoredPair) -> Result<Saved> {
        let s = &self.shared;
        let document = s.codec.encode(new, &s.chain, false)?;
        let expected = expected.map(|g| g.to_string()).unwrap_or_default();
        let answer: Vec<redis::Value> = s.with(|c| {
            s.scripts
                .save
                .key(&s.keys.pair)
                .arg(&expected)
                .arg(new.generation.to_string())
                .arg(&document[..])
                .invoke(c)
        })?;
        s.saved_from(&answer)
    }

    fn acquire_lease(&self, terms: &LeaseTerms) -> Result<Lease> {
        Ok(self.acquire_and_load(terms)?.lease)
    }

    /// One script takes the lease and reads the pair and the in-flight marker
    /// (or, when the lease is held, who holds it and for how long). A waiter
    /// subscribes to the chain's wake channel on a connection of its own,
    /// polling only as the fallback.
    fn acquire_and_load(&self, terms: &LeaseTerms) -> Result<Acquired> {
        let s = &self.shared;
        let length = terms.lease();
        if let Attempt::Done(acquired) = self.try_acquire(length)? {
            return Ok(*acquired);
        }
        let mut backoff = s.db.polling.backoff(terms.wait);
        let describe = s.describe();
        // An idle connection first; a new one when that fails to subscribe.
        let mut healthy = true;
        let mut waited = None;
        for fresh in [false, true] {
            let connection = if fresh {
                s.db.open(&describe)
                    .map_err(|e| xlog!(Debug, "{}; polling instead", e.message))
                    .ok()
            } else {
                s.db.idle_listener()
            };
            let Some(mut connection) = connection else {
                continue;
            };
            healthy = true;
            if let Some(acquired) = self.wait_subscribed(terms, &mut backoff, &mut connection, &mut healthy) {
                waited = Some((acquired, connection));
                break;
            }
        }
        match waited {
            Some((acquired, connection)) => {
                if healthy {
                    s.db.give_back(connection);
                }
                acquired
            }
            None => self.wait_for_lease(terms, &mut backoff, None, &mut healthy),
        }
    }

    /// One script renews the lease and records the intent.
    fn renew_and_mark(&self, lease: &mut Lease, generation: u64, terms: &LeaseTerms) -> Result<()> {
        let s = &self.shared;
        let refused = |why: &str| {
            Error::new(
                Status::LockTimeout,
                format!("{}: {why}: nothing was sent", s.describe()),
            )
        };
        let Some(value) = RedisStore::lease_value(lease) else {
            return Err(refused("no lease is held"));
        };
        let marked: i64 = s.with(|c| {
            s.scripts
                .renew_mark
                .key(&s.keys.lease)
                .key(&s.keys.pair)
                .arg(&value)
                .arg(ms(terms.lease()))
                .arg(generation.to_string())
                .arg(ms(terms.send_margin()))
                .arg(holder_id())
                .arg(ms(terms.call))
                .invoke(c)
        })?;
        if marked == 0 {
            return Err(refused(
                "the lease lapsed and may be another holder's now (or the chain moved on)",
            ));
        }
        Ok(())
    }

    /// One script saves (compare-and-swap on the generation, clearing the
    /// in-flight marker), releases the lease if it is still this holder's, and
    /// wakes the chain's waiters.
    fn save_and_release(
        &self,
        _reservation: &mut Reservation,
        lease: Lease,
        expected: u64,
        new: &StoredPair,
    ) -> Result<Saved> {
        let s = &self.shared;
        let Some(value) = RedisStore::lease_value(&lease) else {
            let saved = self.compare_and_swap(Some(expected), new);
            drop(lease);
            return saved;
        };
        let document = s.codec.encode(new, &s.chain, false)?;
        let answer: Vec<redis::Value> = s.with(|c| {
            s.scripts
                .save_release
                .key(&s.keys.pair)
                .key(&s.keys.lease)
                .arg(expected.to_string())
                .arg(new.generation.to_string())
                .arg(&document[..])
                .arg(&value)
                .arg(&s.keys.wake)
                .invoke(c)
        })?;
        // Released by the script, or lapsed and another holder's now.
        lease.forget();
        s.saved_from(&answer)
    }

    fn has_lease(&self) -> bool {
        true
    }

    fn mark_in_flight(&self, lease: &Lease, generation: u64, terms: &LeaseTerms) -> Result<()> {
        let s = &self.shared;
        let refused = |why: &str| {
            Error::new(
                Status::LockTimeout,
                format!("{}: {why}: nothing was sent", s.describe()),
            )
        };
        let Some(value) = RedisStore::lease_value(lease) else {
            return Err(refused("no lease is held"));
        };
        let marked: i64 = s.with(|c| {
            s.scripts
                .intent
                .key(&s.keys.lease)
                .key(&s.keys.pair)
                .arg(&value)
                .arg(generation.to_string())
                .arg(ms(terms.send_margin()))
                .arg(holder_id())
                .arg(ms(terms.call))
                .invoke(c)
        })?;
        if marked == 0 {
            return Err(refused(&format!(
                "the lease has less than {:?} left (or was lost)",
                terms.send_margin()
            )));
        }
        Ok(())
    }

    fn clear_in_flight(&self, lease: &Lease, generation: u64) -> Result<()> {
        let s = &self.shared;
        let Some(value) = RedisStore::lease_value(lease) else {
            return Ok(());
        };
        let _: i64 = s.with(|c| {
            s.scripts
                .clear
                .key(&s.keys.lease)
                .key(&s.keys.pair)
                .arg(&value)
                .arg(generation.to_string())
                .invoke(c)
        })?;
        Ok(())
    }

    fn in_flight(&self) -> Result<Option<InFlight>> {
        let s = &self.shared;
        let fields: Vec<String> = s.with(|c| s.scripts.in_flight.key(&s.keys.pair).invoke(c))?;
        let [generation, at, left, holder] = fields.as_slice() else {
            return Ok(None);
        };
        let number = |text: &str| text.parse::<u64>().unwrap_or(0);
        Ok(Some(InFlight {
            generation: number(generation),
            since: i64::try_from(number(at) / 1000).unwrap_or(0),
            left: Duration::from_millis(number(left)),
            holder: Some(holder.clone()).filter(|h| !h.is_empty()),
        }))
    }

    fn park_orphan(&self, from_generation: u64, pair: &StoredPair) -> Result<bool> {
        let s = &self.shared;
        let mut entry = zeroize::Zeroizing::new(format!("{from_generation}\n").into_bytes());
        entry.extend_from_slice(&s.codec.encode(pair, &s.chain, false)?);
        s.with(|c| {
            redis::pipe()
                .atomic()
                .cmd("LPUSH")
                .arg(&s.keys.orphans)
                .arg(&entry[..])
                .ignore()
                .cmd("LTRIM")
                .arg(&s.keys.orphans)
                .arg(0)
                .arg(ORPHANS_KEPT - 1)
                .ignore()
                .query::<()>(c)
        })?;
        Ok(true)
    }

    /// The chain's document and its parked entries are rewritten by one script; an
    /// entry this handle cannot read is left as it is.
    fn rewrite(&self, current: &StoredPair) -> Result<Saved> {
        let s = &self.shared;
        let document = s.codec.encode(current, &s.chain, false)?;
        let describe = s.describe();
        for _ in 0..REWRITE_ATTEMPTS {
            let parked: Vec<Vec<u8>> = s.with(|c| redis::cmd("LRANGE").arg(&s.keys.orphans).arg(0).arg(-1).query(c))?;
            let parked: Vec<_> = parked.into_iter().map(zeroize::Zeroizing::new).collect();
            let mut again = Vec::with_capacity(parked.len());
            for entry in &parked {
                let rewritten = entry
                    .iter()
                    .position(|&b| b == b'\n')
                    .and_then(|at| {
                        let pair = orphan_from(&s.codec, &entry[at + 1..], &s.chain, &describe)?;
                        Some((at, pair))
                    })
                    .map(|(at, pair)| -> Result<Vec<u8>> {
                        let mut out = entry[..=at].to_vec();
                        out.extend_from_slice(&s.codec.encode(&pair, &s.chain, false)?);
                        Ok(out)
                    })
                    .transpose()?;
                again.push(zeroize::Zeroizing::new(rewritten.unwrap_or_else(|| entry.to_vec())));
            }
            let answer: i64 = s.with(|c| {
                let mut call = s.scripts.rewrite.key(&s.keys.pair);
                call.key(&s.keys.orphans)
                    .arg(current.generation.to_string())
                    .arg(&document[..])
                    .arg(parked.len());
                for entry in parked.iter().chain(again.iter()) {
                    call.arg(&entry[..]);
                }
                call.invoke(c)
            })?;
            match answer {
                1 => return Ok(Saved::Stored),
                0 => return Ok(Saved::Conflict(self.load()?)),
                _ => continue,
            }
        }
        Err(Error::new(
            Status::StoreConflict,
            format!("{describe}: its parked pairs kept changing during a rewrite"),
        ))
    }

    fn orphans(&self, from_generation: u64) -> Result<Vec<StoredPair>> {
        let s = &self.shared;
        let entries: Vec<Vec<u8>> = s.with(|c| redis::cmd("LRANGE").arg(&s.keys.orphans).arg(0).arg(-1).query(c))?;
        let prefix = format!("{from_generation}\n");
        let describe = s.describe();
        Ok(entries
            .into_iter()
            .map(zeroize::Zeroizing::new)
            .filter_map(|entry| {
                let document = entry.strip_prefix(prefix.as_bytes())?;
                orphan_from(&s.codec, document, &s.chain, &describe)
            })
            .collect())
    }

    fn describe(&self) -> String {
        self.shared.describe()
    }

    fn chain(&self) -> &str {
        &self.shared.chain
    }

    fn open_chain(&self, name: &str) -> Result<Arc<dyn Store>> {
        check_chain_name(name)?;
        Ok(Arc::new(self.shared.another(name, self.shared.codec.clone())))
    }

    /// Scans for pair keys (no index to keep in step; on a Cluster, each node
    /// must be asked — this asks the node the connection reaches).
    fn list_chains(&self) -> Result<Vec<String>> {
        let s = &self.shared;
        let pattern = format!("{}*{}", PAIR_KEY.0, PAIR_KEY.1);
        let mut chains = Vec::new();
        let mut cursor = 0u64;
        loop {
            let (next, keys): (u64, Vec<String>) = s.with(|c| {
                redis::cmd("SCAN")
                    .arg(cursor)
                    .arg("MATCH")
                    .arg(&pattern)
                    .arg("COUNT")
                    .arg(1000)
                    .query(c)
            })?;
            chains.extend(keys.iter().filter_map(|key| {
                let chain = key.strip_prefix(PAIR_KEY.0)?.strip_suffix(PAIR_KEY.1)?;
                check_chain_name(chain).is_ok().then(|| chain.to_string())
            }));
            if next == 0 {
                break;
            }
            cursor = next;
        }
        chains.sort();
        chains.dedup();
        Ok(chains)
    }

    fn remove_chain(&self) -> Result<bool> {
        let s = &self.shared;
        let (existed,): (i64,) = s.with(|c| {
            redis::pipe()
                .atomic()
                .cmd("EXISTS")
                .arg(&s.keys.pair)
                .cmd("UNLINK")
                .arg(&s.keys.pair)
                .arg(&s.keys.lease)
                .arg(&s.keys.epoch)
                .arg(&s.keys.orphans)
                .ignore()
                .query(c)
        })?;
        Ok(existed > 0)
    }

    fn sealed(&self, keyring: Arc<Keyring>) -> Result<Arc<dyn Store>> {
        Ok(Arc::new(
            self.shared.another(&self.shared.chain, Codec::sealed(keyring)),
        ))
    }
}
