//! A chain kept in PostgreSQL, shared by every process and machine that uses the
//! same database: one row per chain, compare-and-swap on its `generation`, a lease
//! timed by the database's clock (`clock_timestamp()`), a durable in-flight marker
//! and an orphan table. No session advisory locks and no transaction held across
//! the Slack call: every statement is a single autocommit statement, so a holder
//! that vanishes leaves nothing locked but a lease that expires.
//!
//! A rotation is three prepared statements: take the lease and read the row;
//! renew the lease and mark the rotation in flight; save, clear the mark and
//! release the lease. A release `NOTIFY`s the chain's channel
//! ([`wake_channel`]); a waiter `LISTEN`s on a connection of its own and polls
//! only as the fallback.

use super::fleet::{
    check_chain_name, holder_id, lease_not_free, orphan_from, wake_channel, with_causes, DatabaseUrl, Polling,
    STATEMENT_TIMEOUT,
};
use super::seal::{Codec, Keyring};
use super::{Acquired, HeldLease, InFlight, Lease, LeaseTerms, Reservation, Saved, Store, StoredPair};
use crate::error::{Error, Result};
use crate::log::xlog;
use crate::status::Status;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::ToSql;
use postgres::{Client, Row, Statement};
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The schema version this build writes; a database with a newer one is refused.
const SCHEMA_VERSION: i32 = 1;

/// Orphans kept per chain (the newest).
const ORPHANS_KEPT: i64 = 16;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS xoxe_schema (version integer NOT NULL);
CREATE TABLE IF NOT EXISTS xoxe_chain (
    chain text PRIMARY KEY,
    generation bigint NOT NULL,
    document text NOT NULL,
    lease_epoch bigint NOT NULL DEFAULT 0,
    lease_holder text,
    lease_until timestamptz,
    in_flight_generation bigint,
    in_flight_holder text,
    in_flight_at timestamptz,
    in_flight_until timestamptz
);
CREATE TABLE IF NOT EXISTS xoxe_orphan (
    id bigserial PRIMARY KEY,
    chain text NOT NULL,
    from_generation bigint NOT NULL,
    document text NOT NULL,
    holder text,
    parked_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS xoxe_orphan_chain ON xoxe_orphan (chain, from_generation);
";

/// A PostgreSQL store for one chain (see the module docs); [`Store::open_chain`]
/// reaches the others over the same connection. Thread-safe: one connection per
/// [`PostgresStore::connect`], used a statement at a time, reconnected when it
/// breaks.
pub struct PostgresStore {
    shared: Arc<Shared>,
}

/// One chain of a database.
struct Shared {
    db: Arc<Database>,
    chain: String,
    codec: Codec,
}

/// The connection every chain opened from one `connect` shares.
struct Database {
    url: DatabaseUrl,
    config: postgres::Config,
    tls: tokio_postgres_rustls::MakeRustlsConnect,
    connection: Mutex<Option<Conn>>,
    /// Idle listening connections, lent to waiters for a lease.
    listeners: Mutex<Vec<Listener>>,
    polling: Polling,
}

/// A connection and the statements prepared on it: a prepared statement costs
/// one round trip, an unprepared one two (parse, then execute).
struct Conn {
    client: Client,
    prepared: HashMap<&'static str, Statement>,
}

type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

impl Conn {
    fn statement(&mut self, sql: &'static str) -> std::result::Result<Statement, postgres::Error> {
        if let Some(statement) = self.prepared.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(sql)?;
        self.prepared.insert(sql, statement.clone());
        Ok(statement)
    }

    fn execute(&mut self, sql: &'static str, params: Params<'_>) -> std::result::Result<u64, postgres::Error> {
        let statement = self.statement(sql)?;
        self.client.execute(&statement, params)
    }

    fn query(&mut self, sql: &'static str, params: Params<'_>) -> std::result::Result<Vec<Row>, postgres::Error> {
        let statement = self.statement(sql)?;
        self.client.query(&statement, params)
    }

    fn query_opt(
        &mut self,
        sql: &'static str,
        params: Params<'_>,
    ) -> std::result::Result<Option<Row>, postgres::Error> {
        let statement = self.statement(sql)?;
        self.client.query_opt(&statement, params)
    }
}

/// Idle listening connections kept per database.
const LISTENERS_KEPT: usize = 4;

/// A connection that only listens for lease releases (`LISTEN`), lent to one
/// waiter at a time; idle, it listens to nothing (a backend whose notices
/// nobody reads would hold the server's notification queue back).
struct Listener {
    client: Client,
}

impl Listener {
    /// Follows `channel` (notices left over from an earlier wait are dropped).
    fn listen(&mut self, channel: &str) -> std::result::Result<(), postgres::Error> {
        {
            let mut notices = self.client.notifications();
            let mut pending = notices.iter();
            while pending.next()?.is_some() {}
        }
        // The channel is an identifier of letters, digits and `_` (`wake_channel`).
        self.client.batch_execute(&format!("LISTEN {channel}"))
    }

    /// Waits up to `timeout` for a notice on `channel` naming `chain`; whether
    /// one came.
    fn wait(&mut self, channel: &str, chain: &str, timeout: Duration) -> std::result::Result<bool, postgres::Error> {
        let deadline = Instant::now() + timeout;
        let mut notices = self.client.notifications();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(false);
            }
            match notices.timeout_iter(left).next()? {
                Some(n) if n.channel() == channel && n.payload() == chain => return Ok(true),
                Some(_) => continue,
                None => return Ok(false),
            }
        }
    }
}

/// A listening connection lent to a waiter, given back when dropped.
struct Lent<'a> {
    db: &'a Database,
    listener: Option<Listener>,
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        let Some(mut listener) = self.listener.take() else {
            return;
        };
        if listener.client.is_closed() || listener.client.batch_execute("UNLISTEN *").is_err() {
            return;
        }
        let mut idle = self.db.listeners.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < LISTENERS_KEPT {
            idle.push(listener);
        }
    }
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn generation_column(generation: u64) -> Result<i64> {
    i64::try_from(generation).map_err(|_| Error::new(Status::StoreCorrupt, "the generation counter is exhausted"))
}

impl PostgresStore {
    /// Connects to `url` (`postgresql://user:password@host:port/db?sslmode=…`;
    /// `sslrootcert=PATH` adds CA certificates to the built-in roots) for chain
    /// `chain`, creating the tables if missing. TLS is rustls; `sslmode=require`
    /// insists on it. Fails with `StoreIo` naming the redacted URL when the
    /// database cannot be reached.
    pub fn connect(url: &str, chain: &str) -> Result<PostgresStore> {
        check_chain_name(chain)?;
        let url = DatabaseUrl::parse(url, &["postgresql", "postgres"])?;
        let mut config = postgres::Config::from_str(url.expose()).map_err(|e| {
            Error::new(
                Status::InvalidArgument,
                format!("database URL {}: {}", url.redacted(), url.scrub(&e.to_string())),
            )
        })?;
        config
            .connect_timeout(STATEMENT_TIMEOUT)
            .keepalives_idle(Duration::from_secs(30))
            .tcp_user_timeout(Duration::from_secs(15))
            .application_name(&format!("xoxe {}", holder_id()))
            .options(&format!(
                "-c statement_timeout={0} -c lock_timeout={0} -c idle_in_transaction_session_timeout={0}",
                ms(STATEMENT_TIMEOUT)
            ));
        let tls = tokio_postgres_rustls::MakeRustlsConnect::new(crate::tls::rustls_config(url.ca_bundle.as_deref())?);
        let store = PostgresStore {
            shared: Arc::new(Shared {
                db: Arc::new(Database {
                    url,
                    config,
                    tls,
                    connection: Mutex::new(None),
                    listeners: Mutex::new(Vec::new()),
                    polling: Polling::default(),
                }),
                chain: chain.to_string(),
                codec: Codec::plain(),
            }),
        };
        store.shared.with(|c| create_schema(&mut c.client))?;
        Ok(store)
    }

    /// Makes waiters for a held lease poll every `every` instead of backing off
    /// from 50 ms to 1 s (`None`: the default), for every chain of this
    /// connection. Polling is the fallback: a release wakes its waiters with a
    /// notice (`LISTEN`/`NOTIFY`). For tests and benchmarks.
    pub fn set_lease_poll(&self, every: Option<Duration>) {
        self.shared.db.polling.set(every);
    }
}

fn create_schema(c: &mut Client) -> std::result::Result<(), postgres::Error> {
    let mut tx = c.transaction()?;
    // Two processes creating the tables at once would collide on the catalog:
    // this transaction-scoped lock orders them (it ends with the transaction).
    tx.execute("SELECT pg_advisory_xact_lock(7867996150)", &[])?;
    tx.batch_execute(SCHEMA)?;
    let version: Option<i32> = tx.query_one("SELECT max(version) FROM xoxe_schema", &[])?.get(0);
    if version.is_none() {
        tx.execute("INSERT INTO xoxe_schema (version) VALUES ($1)", &[&SCHEMA_VERSION])?;
    }
    tx.commit()
}

impl Shared {
    fn describe(&self) -> String {
        format!("PostgreSQL store {} (chain {})", self.db.url.redacted(), self.chain)
    }

    fn with<T>(&self, f: impl FnMut(&mut Conn) -> std::result::Result<T, postgres::Error>) -> Result<T> {
        self.db.with(&self.describe(), f)
    }

    fn document(&self, pair: &StoredPair) -> Result<zeroize::Zeroizing<String>> {
        let document = self.codec.encode(pair, &self.chain, false)?;
        std::str::from_utf8(&document)
            .map(|text| zeroize::Zeroizing::new(text.to_string()))
            .map_err(|_| Error::new(Status::StoreIo, "the token pair is not UTF-8"))
    }

    fn pair_from(&self, row: &Row) -> Result<StoredPair> {
        let generation: i64 = row.get("generation");
        let document: String = row.get("document");
        let document = zeroize::Zeroizing::new(document);
        let mut pair = self.codec.decode(document.as_bytes(), &self.chain, &self.describe())?;
        pair.generation = u64::try_from(generation).map_err(|_| {
            Error::new(
                Status::StoreCorrupt,
                format!("{}: a negative generation", self.describe()),
            )
        })?;
        Ok(pair)
    }
}

impl Database {
    /// A connection listening on `channel`: an idle one, or a new one (also when
    /// an idle one turns out broken).
    fn listener(&self, describe: &str, channel: &str) -> Result<Listener> {
        let idle = self.listeners.lock().unwrap_or_else(|e| e.into_inner()).pop();
        if let Some(mut listener) = idle.filter(|l| !l.client.is_closed()) {
            if listener.listen(channel).is_ok() {
                return Ok(listener);
            }
        }
        let mut listener = Listener {
            client: self.open(describe)?,
        };
        listener
            .listen(channel)
            .map_err(|e| self.error(describe, "listening for lease releases", &e))?;
        Ok(listener)
    }

    fn error(&self, describe: &str, doing: &str, e: &postgres::Error) -> Error {
        let status = match e.code() {
            Some(code) if code == &postgres::error::SqlState::INSUFFICIENT_PRIVILEGE => Status::StorePermissions,
            _ => Status::StoreIo,
        };
        Error::new(
            status,
            format!("{describe}: {doing}: {}", self.url.scrub(&with_causes(e))),
        )
    }

    fn open(&self, describe: &str) -> Result<Client> {
        let mut client = self
            .config
            .connect(self.tls.clone())
            .map_err(|e| self.error(describe, "connecting", &e))?;
        let version: Option<i32> = match client.query_opt(
            "SELECT max(version) FROM xoxe_schema WHERE to_regclass('xoxe_chain') IS NOT NULL",
            &[],
        ) {
            Ok(row) => row.and_then(|r| r.get(0)),
            // No schema yet: `connect` creates it next.
            Err(e) if e.code() == Some(&postgres::error::SqlState::UNDEFINED_TABLE) => None,
            Err(e) => return Err(self.error(describe, "reading the schema version", &e)),
        };
        if version.is_some_and(|v| v > SCHEMA_VERSION) {
            return Err(Error::new(
                Status::StoreCorrupt,
                format!(
                    "{describe}: the tables have schema version {} (this xoxe knows {SCHEMA_VERSION}): upgrade xoxe",
                    version.unwrap_or_default()
                ),
            ));
        }
        Ok(client)
    }

    /// Runs `f` on the connection, opening it first if needed. A broken connection
    /// (killed backend, restarted server) is replaced and `f` tried once more: every
    /// statement here is safe to repeat (a compare-and-swap that did commit then
    /// reports a conflict holding the same pair, which the rotator accepts).
    fn with<T>(
        &self,
        describe: &str,
        mut f: impl FnMut(&mut Conn) -> std::result::Result<T, postgres::Error>,
    ) -> Result<T> {
        let mut slot = self.connection.lock().unwrap_or_else(|e| e.into_inner());
        let mut retried = false;
        loop {
            let conn = match slot.as_mut() {
                Some(c) if !c.client.is_closed() => c,
                _ => slot.insert(Conn {
                    client: self.open(describe)?,
                    prepared: HashMap::new(),
                }),
            };
            match f(conn) {
                Ok(value) => return Ok(value),
                Err(e) => {
                    let broken = conn.client.is_closed()
                        || e.is_closed()
                        || e.code()
                            .is_some_and(|c| c.code().starts_with("57P") || c.code().starts_with("08"));
                    if broken {
                        *slot = None;
                    }
                    if broken && !retried {
                        retried = true;
                        xlog!(Warn, "{describe}: connection lost; reconnecting");
                        continue;
                    }
                    return Err(self.error(describe, "a statement failed", &e));
                }
            }
        }
    }
}

/// A lease row held by this store: `lease_epoch` is ours until it lapses.
struct PostgresLease {
    shared: Arc<Shared>,
    epoch: i64,
    length: Duration,
}

impl HeldLease for PostgresLease {
    fn renew(&mut self) -> Result<()> {
        let n = self.shared.with(|c| {
            c.execute(
                "UPDATE xoxe_chain SET lease_until = clock_timestamp() + $3 * interval '1 millisecond' \
                 WHERE chain = $1 AND lease_epoch = $2 AND lease_until > clock_timestamp()",
                &[&self.shared.chain, &self.epoch, &(ms(self.length) as f64)],
            )
        })?;
        if n == 0 {
            return Err(Error::new(
                Status::LockTimeout,
                format!(
                    "{}: the lease lapsed and may be another holder's now",
                    self.shared.describe()
                ),
            ));
        }
        Ok(())
    }

    fn epoch(&self) -> Option<u64> {
        u64::try_from(self.epoch).ok()
    }

    /// Releases the lease and wakes its waiters (`NOTIFY`, sent at commit).
    fn release(self: Box<Self>) -> Result<()> {
        let channel = wake_channel(&self.shared.chain);
        self.shared.with(|c| {
            c.query(
                "WITH released AS (UPDATE xoxe_chain SET lease_until = NULL, lease_holder = NULL \
                 WHERE chain = $1 AND lease_epoch = $2 RETURNING chain) \
                 SELECT 1 FROM released WHERE pg_notify($3, $1)::text = ''",
                &[&self.shared.chain, &self.epoch, &channel],
            )
        })?;
        Ok(())
    }
}

impl Store for PostgresStore {
    fn load(&self) -> Result<Option<StoredPair>> {
        let s = &self.shared;
        let row = s.with(|c| {
            c.query_opt(
                "SELECT generation, document FROM xoxe_chain WHERE chain = $1",
                &[&s.chain],
            )
        })?;
        row.map(|row| s.pair_from(&row)).transpose()
    }

    fn compare_and_swap(&self, expected: Option<u64>, new: &StoredPair) -> Result<Saved> {
        let s = &self.shared;
        let document = s.document(new)?;
        let document: &str = &document;
        let generation = generation_column(new.generation)?;
        let saved = match expected {
            Some(expected) => {
                let expected = generation_column(expected)?;
                s.with(|c| {
                    c.execute(
                        "UPDATE xoxe_chain SET document = $3, generation = $4, in_flight_generation = NULL, \
                         in_flight_holder = NULL, in_flight_at = NULL, in_flight_until = NULL \
                         WHERE chain = $1 AND generation = $2",
                        &[&s.chain, &expected, &document, &generation],
                    )
                })?
            }
            None => s.with(|c| {
                c.execute(
                    "INSERT INTO xoxe_chain (chain, generation, document) VALUES ($1, $2, $3) \
                     ON CONFLICT (chain) DO NOTHING",
                    &[&s.chain, &generation, &document],
                )
            })?,
        };
        if saved == 1 {
            return Ok(Saved::Stored);
        }
        Ok(Saved::Conflict(self.load()?))
    }

    fn acquire_lease(&self, terms: &LeaseTerms) -> Result<Lease> {
        Ok(self.acquire_and_load(terms)?.lease)
    }

    /// One statement takes the lease and reads the pair and the in-flight marker
    /// (or, when the lease is held, who holds it and for how long). A waiter
    /// follows the chain's release notices on a listening connection of its own,
    /// polling only as the fallback.
    fn acquire_and_load(&self, terms: &LeaseTerms) -> Result<Acquired> {
        let s = &self.shared;
        let length = terms.lease();
        let mut backoff = s.db.polling.backoff(terms.wait);
        let channel = wake_channel(&s.chain);
        let mut lent = Lent {
            db: &s.db,
            listener: None,
        };
        let mut tried_listening = false;
        loop {
            let row = s.with(|c| {
                c.query_opt(
                    "WITH acquired AS (UPDATE xoxe_chain SET lease_epoch = lease_epoch + 1, lease_holder = $2, \
                     lease_until = clock_timestamp() + $3 * interval '1 millisecond' \
                     WHERE chain = $1 AND (lease_until IS NULL OR lease_until < clock_timestamp()) \
                     RETURNING lease_epoch, generation, document, in_flight_generation, \
                     extract(epoch FROM in_flight_at)::bigint AS since, \
                     greatest(0, extract(epoch FROM in_flight_until - clock_timestamp()) * 1000)::bigint AS left_ms, \
                     in_flight_holder) \
                     SELECT true AS acquired, lease_epoch, generation, document, in_flight_generation, since, \
                     left_ms, in_flight_holder AS holder, NULL::bigint AS lease_left_ms FROM acquired \
                     UNION ALL \
                     SELECT false, NULL, NULL, NULL, NULL, NULL, NULL, lease_holder, \
                     greatest(0, extract(epoch FROM lease_until - clock_timestamp()) * 1000)::bigint \
                     FROM xoxe_chain WHERE chain = $1 AND NOT EXISTS (SELECT 1 FROM acquired)",
                    &[&s.chain, &holder_id(), &(ms(length) as f64)],
                )
            })?;
            let Some(row) = row else {
                // Nothing stored: nothing to rotate.
                return Ok(Acquired {
                    lease: Lease::none(),
                    pair: None,
                    in_flight: Some(None),
                });
            };
            if row.get::<_, bool>("acquired") {
                let lease = Lease::held(PostgresLease {
                    shared: Arc::clone(s),
                    epoch: row.get("lease_epoch"),
                    length,
                });
                let pair = s.pair_from(&row)?;
                let in_flight = row.get::<_, Option<i64>>("in_flight_generation").map(|g| InFlight {
                    generation: u64::try_from(g).unwrap_or(0),
                    since: row.get::<_, Option<i64>>("since").unwrap_or(0),
                    left: Duration::from_millis(u64::try_from(row.get::<_, i64>("left_ms")).unwrap_or(0)),
                    holder: row.get("holder"),
                });
                return Ok(Acquired {
                    lease,
                    pair: Some(pair),
                    in_flight: Some(in_flight),
                });
            }
            if !tried_listening {
                // Listen first, then try once more at once: a release between the
                // try above and the LISTEN would otherwise wake nobody.
                tried_listening = true;
                match s.db.listener(&s.describe(), &channel) {
                    Ok(listener) => {
                        lent.listener = Some(listener);
                        continue;
                    }
                    Err(e) => xlog!(Debug, "{}; polling instead", e.message),
                }
            }
            let expires = row
                .get::<_, Option<i64>>("lease_left_ms")
                .map(|left| Duration::from_millis(u64::try_from(left).unwrap_or(0)));
            let Some(pause) = backoff.next_pause(expires) else {
                let holder: Option<String> = row.get("holder");
                return Err(lease_not_free(&s.describe(), terms.wait, holder.as_deref()));
            };
            match lent.listener.as_mut() {
                Some(listener) => match listener.wait(&channel, &s.chain, pause) {
                    Ok(woken) => {
                        if !woken && listener.client.is_closed() {
                            lent.listener = None;
                        }
                    }
                    Err(e) => {
                        xlog!(
                            Debug,
                            "{}; polling instead",
                            s.db.error(&s.describe(), "waiting for a lease release", &e).message
                        );
                        lent.listener = None;
                    }
                },
                None => std::thread::sleep(pause),
            }
        }
    }

    /// One statement renews the lease and records the intent.
    fn renew_and_mark(&self, lease: &mut Lease, generation: u64, terms: &LeaseTerms) -> Result<()> {
        let s = &self.shared;
        let Some(epoch) = lease.epoch().and_then(|e| i64::try_from(e).ok()) else {
            return Err(Error::new(
                Status::LockTimeout,
                format!("{}: no lease is held: nothing was sent", s.describe()),
            ));
        };
        let generation = generation_column(generation)?;
        // The renewed lease must outlast the send margin (it does: the lease is the
        // call's deadline plus the margin); the old one must not have lapsed.
        let n = s.with(|c| {
            c.execute(
                "UPDATE xoxe_chain SET lease_until = clock_timestamp() + $5 * interval '1 millisecond', \
                 in_flight_generation = $3, in_flight_holder = $4, in_flight_at = clock_timestamp(), \
                 in_flight_until = clock_timestamp() + $6 * interval '1 millisecond' \
                 WHERE chain = $1 AND lease_epoch = $2 AND generation = $3 \
                 AND lease_until > clock_timestamp() AND $5::float8 > $7::float8",
                &[
                    &s.chain,
                    &epoch,
                    &generation,
                    &holder_id(),
                    &(ms(terms.lease()) as f64),
                    &(ms(terms.call) as f64),
                    &(ms(terms.send_margin()) as f64),
                ],
            )
        })?;
        if n == 0 {
            return Err(Error::new(
                Status::LockTimeout,
                format!(
                    "{}: the lease lapsed and may be another holder's now (or the chain moved on): nothing was sent",
                    s.describe()
                ),
            ));
        }
        Ok(())
    }

    /// One statement saves (compare-and-swap on the generation), clears the
    /// in-flight marker, releases the lease if it is still this holder's, and
    /// wakes the chain's waiters; a lost swap then reads what won and releases.
    fn save_and_release(
        &self,
        _reservation: &mut Reservation,
        lease: Lease,
        expected: u64,
        new: &StoredPair,
    ) -> Result<Saved> {
        let s = &self.shared;
        let Some(epoch) = lease.epoch().and_then(|e| i64::try_from(e).ok()) else {
            let saved = self.compare_and_swap(Some(expected), new);
            drop(lease);
            return saved;
        };
        let document = s.document(new)?;
        let document: &str = &document;
        let generation = generation_column(new.generation)?;
        let expected = generation_column(expected)?;
        let channel = wake_channel(&s.chain);
        let saved = s.with(|c| {
            c.query_opt(
                "WITH saved AS (UPDATE xoxe_chain SET document = $3, generation = $4, \
                 in_flight_generation = NULL, in_flight_holder = NULL, in_flight_at = NULL, in_flight_until = NULL, \
                 lease_until = CASE WHEN lease_epoch = $5 THEN NULL ELSE lease_until END, \
                 lease_holder = CASE WHEN lease_epoch = $5 THEN NULL ELSE lease_holder END \
                 WHERE chain = $1 AND generation = $2 RETURNING lease_epoch = $5 AS released) \
                 SELECT released FROM saved WHERE pg_notify($6, $1)::text = ''",
                &[&s.chain, &expected, &document, &generation, &epoch, &channel],
            )
        });
        match saved {
            Ok(Some(_)) => {
                // Released by the save, or lapsed and another holder's now.
                lease.forget();
                Ok(Saved::Stored)
            }
            Ok(None) => {
                let current = self.load();
                drop(lease);
                Ok(Saved::Conflict(current?))
            }
            Err(e) => Err(e), // the lease is released on drop
        }
    }

    fn has_lease(&self) -> bool {
        true
    }

    fn mark_in_flight(&self, lease: &Lease, generation: u64, terms: &LeaseTerms) -> Result<()> {
        let s = &self.shared;
        let Some(epoch) = lease.epoch().and_then(|e| i64::try_from(e).ok()) else {
            return Err(Error::new(
                Status::LockTimeout,
                format!("{}: no lease is held: nothing was sent", s.describe()),
            ));
        };
        let generation = generation_column(generation)?;
        let n = s.with(|c| {
            c.execute(
                "UPDATE xoxe_chain SET in_flight_generation = $3, in_flight_holder = $4, \
                 in_flight_at = clock_timestamp(), \
                 in_flight_until = clock_timestamp() + $5 * interval '1 millisecond' \
                 WHERE chain = $1 AND lease_epoch = $2 AND generation = $3 \
                 AND lease_until > clock_timestamp() + $6 * interval '1 millisecond'",
                &[
                    &s.chain,
                    &epoch,
                    &generation,
                    &holder_id(),
                    &(ms(terms.call) as f64),
                    &(ms(terms.send_margin()) as f64),
                ],
            )
        })?;
        if n == 0 {
            return Err(Error::new(
                Status::LockTimeout,
                format!(
                    "{}: the lease has less than {:?} left (or was lost): nothing was sent",
                    s.describe(),
                    terms.send_margin()
                ),
            ));
        }
        Ok(())
    }

    fn clear_in_flight(&self, lease: &Lease, generation: u64) -> Result<()> {
        let s = &self.shared;
        let (Some(epoch), Ok(generation)) = (
            lease.epoch().and_then(|e| i64::try_from(e).ok()),
            generation_column(generation),
        ) else {
            return Ok(());
        };
        s.with(|c| {
            c.execute(
                "UPDATE xoxe_chain SET in_flight_generation = NULL, in_flight_holder = NULL, in_flight_at = NULL, \
                 in_flight_until = NULL WHERE chain = $1 AND lease_epoch = $2 AND in_flight_generation = $3",
                &[&s.chain, &epoch, &generation],
            )
        })?;
        Ok(())
    }

    fn in_flight(&self) -> Result<Option<InFlight>> {
        let s = &self.shared;
        let row = s.with(|c| {
            c.query_opt(
                "SELECT in_flight_generation, \
                 extract(epoch FROM in_flight_at)::bigint AS since, \
                 greatest(0, extract(epoch FROM in_flight_until - clock_timestamp()) * 1000)::bigint AS left_ms, \
                 in_flight_holder FROM xoxe_chain WHERE chain = $1 AND in_flight_generation IS NOT NULL",
                &[&s.chain],
            )
        })?;
        Ok(row.map(|row| InFlight {
            generation: u64::try_from(row.get::<_, i64>(0)).unwrap_or(0),
            since: row.get(1),
            left: Duration::from_millis(u64::try_from(row.get::<_, i64>(2)).unwrap_or(0)),
            holder: row.get(3),
        }))
    }

    fn park_orphan(&self, from_generation: u64, pair: &StoredPair) -> Result<bool> {
        let s = &self.shared;
        let document = s.document(pair)?;
        let document: &str = &document;
        let from = generation_column(from_generation)?;
        s.with(|c| {
            c.execute(
                "INSERT INTO xoxe_orphan (chain, from_generation, document, holder) VALUES ($1, $2, $3, $4)",
                &[&s.chain, &from, &document, &holder_id()],
            )?;
            c.execute(
                "DELETE FROM xoxe_orphan WHERE chain = $1 AND id NOT IN \
                 (SELECT id FROM xoxe_orphan WHERE chain = $1 ORDER BY id DESC LIMIT $2)",
                &[&s.chain, &ORPHANS_KEPT],
            )
        })?;
        Ok(true)
    }

    /// The chain's document and its parked pairs are rewritten in one transaction;
    /// a parked pair this handle cannot read is left as it is.
    fn rewrite(&self, current: &StoredPair) -> Result<Saved> {
        let s = &self.shared;
        let document = s.document(current)?;
        let generation = generation_column(current.generation)?;
        let describe = s.describe();
        let parked = s.with(|c| c.query("SELECT id, document FROM xoxe_orphan WHERE chain = $1", &[&s.chain]))?;
        let mut again = Vec::new();
        for row in parked {
            let id: i64 = row.get(0);
            let before = zeroize::Zeroizing::new(row.get::<_, String>(1));
            if let Some(pair) = orphan_from(&s.codec, before.as_bytes(), &s.chain, &describe) {
                again.push((id, before, s.document(&pair)?));
            }
        }
        let stored = s.with(|c| {
            let mut tx = c.client.transaction()?;
            let updated = tx.execute(
                "UPDATE xoxe_chain SET document = $3 WHERE chain = $1 AND generation = $2",
                &[&s.chain, &generation, &&*document],
            )?;
            if updated == 1 {
                for (id, before, after) in &again {
                    tx.execute(
                        "UPDATE xoxe_orphan SET document = $3 WHERE id = $1 AND document = $2",
                        &[id, &&**before, &&**after],
                    )?;
                }
            }
            tx.commit()?;
            Ok(updated == 1)
        })?;
        if stored {
            return Ok(Saved::Stored);
        }
        Ok(Saved::Conflict(self.load()?))
    }

    fn orphans(&self, from_generation: u64) -> Result<Vec<StoredPair>> {
        let s = &self.shared;
        let from = generation_column(from_generation)?;
        let rows = s.with(|c| {
            c.query(
                "SELECT document FROM xoxe_orphan WHERE chain = $1 AND from_generation = $2 ORDER BY id DESC",
                &[&s.chain, &from],
            )
        })?;
        let describe = s.describe();
        Ok(rows
            .iter()
            .filter_map(|row| {
                let document = zeroize::Zeroizing::new(row.get::<_, String>(0));
                orphan_from(&s.codec, document.as_bytes(), &s.chain, &describe)
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
        Ok(Arc::new(PostgresStore {
            shared: Arc::new(Shared {
                db: Arc::clone(&self.shared.db),
                chain: name.to_string(),
                codec: self.shared.codec.clone(),
            }),
        }))
    }

    fn list_chains(&self) -> Result<Vec<String>> {
        let rows = self
            .shared
            .with(|c| c.query("SELECT chain FROM xoxe_chain ORDER BY chain", &[]))?;
        Ok(rows.iter().map(|row| row.get(0)).collect())
    }

    fn remove_chain(&self) -> Result<bool> {
        let s = &self.shared;
        let removed = s.with(|c| {
            let mut tx = c.client.transaction()?;
            tx.execute("DELETE FROM xoxe_orphan WHERE chain = $1", &[&s.chain])?;
            let n = tx.execute("DELETE FROM xoxe_chain WHERE chain = $1", &[&s.chain])?;
            tx.commit()?;
            Ok(n)
        })?;
        Ok(removed > 0)
    }

    fn sealed(&self, keyring: Arc<Keyring>) -> Result<Arc<dyn Store>> {
        Ok(Arc::new(PostgresStore {
            shared: Arc::new(Shared {
                db: Arc::clone(&self.shared.db),
                chain: self.shared.chain.clone(),
                codec: Codec::sealed(keyring),
            }),
        }))
    }
}
