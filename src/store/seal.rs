//! Sealing stored documents at rest (AES-256-GCM).
//!
//! A store given a [`Keyring`] keeps each token-pair document as a sealed envelope,
//! a one-line JSON object:
//!
//! ```text
//! {"xoxe_sealed":1,"kid":"2025-01","nonce":"B64","ciphertext":"B64"}
//! ```
//!
//! `kid` names the key that sealed it, so a keyring may hold several keys: the first
//! seals, every one opens (rotate a key by putting the new one first and keeping the
//! old one until every chain has been saved again). The chain name and the key id
//! are authenticated with the document, so an envelope copied to another chain, or
//! relabelled with another key id, does not open. A missing or wrong key is
//! [`Status::StoreSealed`] naming the key id, never an empty chain.
//!
//! Stores use the [`Codec`]: plain JSON, or sealed. A sealing store still reads a
//! plain document (a store sealed from now on keeps working; its next save seals it).
//!
//! Key material never appears in an error, `Debug` output or a log line; plaintext
//! and key bytes live only in buffers zeroed on drop.

use super::StoredPair;
use crate::error::{Error, Result};
use crate::status::Status;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};
use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;
use std::io::{ErrorKind, Read};
use std::mem::MaybeUninit;
use std::os::unix::ffi::OsStringExt;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;
use std::sync::Arc;
use zeroize::{Zeroize, Zeroizing};

/// AES-256 key length in bytes.
const KEY_LEN: usize = 32;
/// Length of a base64 key line field beyond which it cannot be a 32-byte key (44
/// characters); bounds the decoding buffer.
const MAX_KEY_B64_LEN: usize = 64;
/// Longest key id.
const MAX_KEY_ID_LEN: usize = 64;
/// The envelope format this version writes and reads.
const ENVELOPE_FORMAT: u32 = 1;
/// The field that marks a document as a sealed envelope.
const SEALED_FIELD: &str = "xoxe_sealed";
/// Largest keyring file read (a keyring holds a few lines).
const MAX_KEYRING_BYTES: usize = 64 * 1024;
/// Length of the AES-GCM authentication tag appended to the ciphertext.
const TAG_LEN: usize = 16;

/// A sealed document as stored. Field order is the written order.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope {
    xoxe_sealed: u32,
    kid: String,
    nonce: String,
    ciphertext: String,
}

/// An envelope checked for form: a valid key id, a 96-bit nonce, a ciphertext at
/// least a tag long (in a buffer zeroed on drop: it is decrypted in place).
struct Parsed {
    kid: String,
    nonce: [u8; NONCE_LEN],
    ciphertext: Zeroizing<Vec<u8>>,
}

/// One AES-256-GCM key schedule, zeroed on drop. ring does not wipe its keys, so
/// the schedule lives in a box of its own (never moved once built) and its bytes
/// are overwritten when the key is dropped. ring builds the schedule on the stack
/// before it is boxed; those transient copies are beyond reach.
struct Schedule(Box<MaybeUninit<LessSafeKey>>);

impl Schedule {
    /// The schedule of a 32-byte key.
    fn new(key: &[u8; KEY_LEN]) -> Schedule {
        let unbound = UnboundKey::new(&AES_256_GCM, key).expect("AES-256-GCM takes 32-byte keys");
        Schedule(Box::new(MaybeUninit::new(LessSafeKey::new(unbound))))
    }

    /// The key.
    fn key(&self) -> &LessSafeKey {
        // SAFETY: initialised in `new`; the bytes are only wiped in `drop`, after
        // which `self` is never used again.
        unsafe { self.0.assume_init_ref() }
    }
}

impl Drop for Schedule {
    fn drop(&mut self) {
        // A `LessSafeKey` is plain data (round keys, the GHASH key, a `&'static`
        // algorithm): no heap and no `Drop`, so not running its drop loses nothing,
        // and `MaybeUninit` permits the all-zero bytes left behind.
        self.0.zeroize();
    }
}

/// One key of a keyring: its id and schedule.
struct Key {
    id: String,
    schedule: Schedule,
}

/// A set of sealing keys: the first seals, all open.
///
/// `Debug` shows the key ids only. Key bytes are kept only as zeroed-on-drop key
/// schedules.
pub struct Keyring {
    /// Never empty; the first key seals.
    keys: Vec<Key>,
}

impl Keyring {
    /// Parses key lines: `KEY_ID BASE64` (32 bytes after decoding, standard base64), one per line;
    /// blank lines and lines starting with `#` ignored; the first key seals. Key ids: 1-64 chars of
    /// A-Za-z0-9._- ; duplicate ids refused. `source` names where the text came from (a path or
    /// "environment variable NAME") for messages; never echo key material in an error.
    ///
    /// Errors are `InvalidArgument`, naming `source`, the line and (once it is known
    /// to be a valid id) the key id, never the key or the line's text.
    pub fn parse(text: &str, source: &str) -> Result<Keyring> {
        Keyring::parse_lines(text.split('\n'), source)
    }

    /// [`parse`](Self::parse) over lines already split.
    fn parse_lines<'a>(lines: impl Iterator<Item = &'a str>, source: &str) -> Result<Keyring> {
        let invalid = |why: String| Error::new(Status::InvalidArgument, format!("{source}: {why}"));
        let mut keys: Vec<Key> = Vec::new();
        let mut first_line: Vec<usize> = Vec::new();
        for (index, line) in lines.enumerate() {
            let number = index + 1;
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut fields = line.split_whitespace();
            let (Some(id), Some(encoded), None) = (fields.next(), fields.next(), fields.next()) else {
                return Err(invalid(format!(
                    "line {number}: expected `KEY_ID BASE64` (a key id, a space, the key in standard base64)"
                )));
            };
            if !valid_key_id(id) {
                return Err(invalid(format!(
                    "line {number}: the key id is not 1 to {MAX_KEY_ID_LEN} characters of A-Za-z0-9._- \
                     (expected `KEY_ID BASE64`)"
                )));
            }
            if let Some(at) = keys.iter().position(|k| k.id == id) {
                return Err(invalid(format!(
                    "line {number}: key id {id} appears twice (first on line {}); key ids must be unique",
                    first_line[at]
                )));
            }
            let bytes = decode_key(encoded).map_err(|why| invalid(format!("line {number}: key {id}: {why}")))?;
            keys.push(Key {
                id: id.to_string(),
                schedule: Schedule::new(&bytes),
            });
            first_line.push(number);
        }
        if keys.is_empty() {
            return Err(invalid("holds no keys (expected lines of `KEY_ID BASE64`)".to_string()));
        }
        Ok(Keyring { keys })
    }

    /// Reads a keyring file (must not be readable by group/others when it is a regular file on unix:
    /// refuse with Status::StorePermissions like the file store refuses loose token files — check
    /// src/store/file_open.rs for how it checks modes); FileUnreadable if missing.
    ///
    /// Symbolic links are followed (mounted secrets are often links); the mode is
    /// checked on the opened file. Anything but a regular file (a pipe such as
    /// `/dev/fd/3`) is read as it is. Any access by group or others is refused
    /// (`chmod 600`); a file larger than 64 KiB or not UTF-8 is `InvalidArgument`.
    pub fn from_file(path: &Path) -> Result<Keyring> {
        let source = format!("keyring file {}", path.display());
        let unreadable = |why: &dyn fmt::Display| Error::new(Status::FileUnreadable, format!("{source}: {why}"));
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOCTTY)
            .open(path)
            .map_err(|e| match e.kind() {
                ErrorKind::NotFound => unreadable(&"does not exist"),
                _ => unreadable(&e),
            })?;
        let meta = file.metadata().map_err(|e| unreadable(&e))?;
        if meta.is_dir() {
            return Err(unreadable(&"is a directory"));
        }
        if meta.is_file() && meta.mode() & 0o077 != 0 {
            return Err(Error::new(
                Status::StorePermissions,
                format!(
                    "{source}: is accessible to group or others (mode {:o}); run chmod 600",
                    meta.mode() & 0o777
                ),
            ));
        }
        // Room for one byte past the limit, so the buffer never reallocates (which
        // would leave an unwiped copy of the keys behind).
        let mut text = Zeroizing::new(Vec::with_capacity(MAX_KEYRING_BYTES + 1));
        (&mut file)
            .take(MAX_KEYRING_BYTES as u64 + 1)
            .read_to_end(&mut text)
            .map_err(|e| unreadable(&e))?;
        if text.len() > MAX_KEYRING_BYTES {
            return Err(Error::new(
                Status::InvalidArgument,
                format!(
                    "{source}: is larger than {} KiB; a keyring holds a few lines",
                    MAX_KEYRING_BYTES / 1024
                ),
            ));
        }
        let text = std::str::from_utf8(&text)
            .map_err(|_| Error::new(Status::InvalidArgument, format!("{source}: is not UTF-8 text")))?;
        Keyring::parse(text, &source)
    }

    /// Reads the keyring from environment variable `name` (lines separated by newlines or `;`).
    /// Missing/empty variable → InvalidArgument naming the variable.
    ///
    /// The variable stays in the process environment: remove it once read if child
    /// processes should not inherit it.
    pub fn from_env(name: &str) -> Result<Keyring> {
        let source = format!("environment variable {name}");
        let invalid = |why: &str| Error::new(Status::InvalidArgument, format!("{source}: {why}"));
        if name.is_empty() || name.contains(['=', '\0']) {
            return Err(Error::new(
                Status::InvalidArgument,
                // The name is not echoed: a key line pasted by mistake holds `=`.
                "the keyring's environment variable name is empty or holds `=` or NUL",
            ));
        }
        let Some(value) = std::env::var_os(name) else {
            return Err(invalid("is not set"));
        };
        let value = Zeroizing::new(value.into_vec());
        let text = std::str::from_utf8(&value).map_err(|_| invalid("is not UTF-8 text"))?;
        if text.trim().is_empty() {
            return Err(invalid("is empty"));
        }
        Keyring::parse_lines(text.split(['\n', ';']), &source)
    }

    /// The id of the key that seals.
    pub fn sealing_key_id(&self) -> &str {
        &self.keys[0].id
    }

    /// All key ids, sealing key first.
    pub fn key_ids(&self) -> Vec<&str> {
        self.keys.iter().map(|k| k.id.as_str()).collect()
    }

    /// A fresh random key as a keyring line `ID BASE64` (for `xoxe seal-key new ID`), zeroed on drop.
    ///
    /// No trailing newline. `InvalidArgument` if `id` is not a valid key id.
    pub fn generate_line(id: &str) -> Result<Zeroizing<String>> {
        if !valid_key_id(id) {
            return Err(Error::new(
                Status::InvalidArgument,
                format!(
                    "key ids are 1 to {MAX_KEY_ID_LEN} characters of A-Za-z0-9._- ({} characters given)",
                    id.chars().count()
                ),
            ));
        }
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        fill_random(&mut *key)?;
        // Sized up front: growing would leave an unwiped copy behind.
        let mut line = Zeroizing::new(String::with_capacity(id.len() + 1 + MAX_KEY_B64_LEN));
        line.push_str(id);
        line.push(' ');
        STANDARD.encode_string(key.as_slice(), &mut line);
        Ok(line)
    }

    /// Seals `plain` for chain `chain` (the chain name is authenticated as associated data, so a
    /// document moved to another chain does not open). Returns the envelope, a one-line JSON object:
    /// {"xoxe_sealed":1,"kid":"ID","nonce":"B64","ciphertext":"B64"} (ciphertext includes the tag).
    ///
    /// The key id is authenticated too. Errors are `StoreIo` (the system's random
    /// number generator failed, or `plain` is beyond AES-GCM's limit of 64 GiB).
    pub fn seal(&self, plain: &[u8], chain: &str) -> Result<Vec<u8>> {
        let key = &self.keys[0];
        // A random 96-bit nonce per seal. Safe as long as one key seals fewer than
        // 2^32 documents (NIST SP 800-38D 8.3: the chance of a repeated nonce stays
        // below 2^-32); a chain saves a few times a day, so any key is retired long
        // before that. A repeat under one key would reveal the XOR of two plaintexts
        // and allow forgeries.
        let mut nonce = [0u8; NONCE_LEN];
        fill_random(&mut nonce)?;
        // Sized for the tag up front: growing would leave an unwiped plaintext copy.
        let mut sealed = Zeroizing::new(Vec::with_capacity(plain.len() + TAG_LEN));
        sealed.extend_from_slice(plain);
        key.schedule
            .key()
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(associated_data(&key.id, chain)),
                &mut *sealed,
            )
            .map_err(|_| {
                Error::new(
                    Status::StoreIo,
                    "sealing the token pair failed: the document is too large",
                )
            })?;
        let envelope = Envelope {
            xoxe_sealed: ENVELOPE_FORMAT,
            kid: key.id.clone(),
            nonce: STANDARD.encode(nonce),
            ciphertext: STANDARD.encode(&*sealed),
        };
        serde_json::to_vec(&envelope)
            .map_err(|e| Error::new(Status::StoreIo, format!("encoding the sealed envelope: {e}")))
    }

    /// Opens an envelope sealed for `chain` with whichever key its `kid` names. Errors (StoreSealed,
    /// naming the key id and `store`): no key with that id ("sealed with key ID, which this process
    /// was not given"), authentication failure ("… fails authentication under key ID: tampered, or
    /// sealed for another chain"). StoreCorrupt for a malformed envelope. `store` describes the store
    /// for messages (e.g. "PostgreSQL store postgresql://u:***@h/db (chain X)").
    pub fn open(&self, envelope: &[u8], chain: &str, store: &str) -> Result<Zeroizing<Vec<u8>>> {
        let Parsed {
            kid,
            nonce,
            mut ciphertext,
        } = parse_envelope(envelope, store)?;
        let Some(key) = self.keys.iter().find(|k| k.id == kid) else {
            return Err(Error::new(
                Status::StoreSealed,
                format!(
                    "{store}: the stored document is sealed with key {kid}, which this process was not given \
                     (its keyring holds {}); nothing was changed",
                    self.key_ids().join(", ")
                ),
            ));
        };
        let plain_len = key
            .schedule
            .key()
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(associated_data(&kid, chain)),
                &mut ciphertext,
            )
            .map_err(|_| {
                Error::new(
                    Status::StoreSealed,
                    format!(
                        "{store}: the stored document fails authentication under key {kid}: tampered, or sealed \
                         for another chain (or with other key bytes under the same id); nothing was changed"
                    ),
                )
            })?
            .len();
        ciphertext.truncate(plain_len);
        Ok(ciphertext)
    }
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring").field("key_ids", &self.key_ids()).finish()
    }
}

/// Whether a stored document is a sealed envelope (cheap check, no key needed).
///
/// True for any JSON object with a top-level `xoxe_sealed` field (whatever its
/// value, well-formed or not: opening it then says what is wrong).
pub fn is_sealed(document: &[u8]) -> bool {
    probe(document).is_some_and(|p| p.sealed)
}

/// The key id an envelope names, if it is one (for status output).
///
/// `None` for a plain document, or an envelope whose `kid` is not a valid key id.
pub fn sealed_key_id(document: &[u8]) -> Option<String> {
    probe(document)
        .filter(|p| p.sealed)
        .and_then(|p| p.kid)
        .filter(|kid| valid_key_id(kid))
}

/// How a store turns a pair into its stored bytes and back: plain JSON, or sealed.
#[derive(Clone, Default, Debug)]
pub struct Codec {
    keyring: Option<Arc<Keyring>>,
}

impl Codec {
    /// Plain JSON documents (reads sealed ones only to say they need a keyring).
    pub fn plain() -> Codec {
        Codec { keyring: None }
    }

    /// Documents sealed with `keyring`'s first key; plain documents still read.
    pub fn sealed(keyring: Arc<Keyring>) -> Codec {
        Codec { keyring: Some(keyring) }
    }

    /// Whether this codec seals what it encodes.
    pub fn is_sealing(&self) -> bool {
        self.keyring.is_some()
    }

    /// The pair as stored bytes for `chain`: `pair.to_json(pretty)` sealed when a keyring is set.
    ///
    /// `pretty` applies to plain documents; what is sealed is compact (nobody reads
    /// a ciphertext). `InvalidArgument` if the pair carries an extra field named
    /// `xoxe_sealed` (it would read back as an envelope).
    pub fn encode(&self, pair: &StoredPair, chain: &str, pretty: bool) -> Result<Zeroizing<Vec<u8>>> {
        if pair.extra.contains_key(SEALED_FIELD) {
            return Err(Error::new(
                Status::InvalidArgument,
                format!("the token pair carries a field named {SEALED_FIELD}, which marks sealed envelopes"),
            ));
        }
        match &self.keyring {
            None => pair.to_json(pretty),
            Some(keyring) => {
                let json = pair.to_json(false)?;
                Ok(Zeroizing::new(keyring.seal(&json, chain)?))
            }
        }
    }

    /// Stored bytes back to a pair: an envelope is opened (StoreSealed when no keyring: "sealed with
    /// key ID; give this store its keyring"), a plain document is read as is (unsealed stores keep
    /// working; the next save seals it), then `super::StoredPair::from_json(bytes, store)`.
    ///
    /// A malformed envelope is `StoreCorrupt`, with or without a keyring.
    pub fn decode(&self, document: &[u8], chain: &str, store: &str) -> Result<StoredPair> {
        if !is_sealed(document) {
            return StoredPair::from_json(document, store);
        }
        match &self.keyring {
            Some(keyring) => {
                let plain = keyring.open(document, chain, store)?;
                StoredPair::from_json(&plain, store)
            }
            None => {
                let Parsed { kid, .. } = parse_envelope(document, store)?;
                Err(Error::new(
                    Status::StoreSealed,
                    format!("{store}: the stored document is sealed with key {kid}; give this store its keyring"),
                ))
            }
        }
    }
}

/// Whether `id` is 1 to 64 characters of `A-Za-z0-9._-`.
fn valid_key_id(id: &str) -> bool {
    (1..=MAX_KEY_ID_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Decodes a key field into a zeroed-on-drop buffer; the error says what is wrong
/// without quoting the field (base64's own errors quote a character of it).
fn decode_key(encoded: &str) -> std::result::Result<Zeroizing<[u8; KEY_LEN]>, String> {
    let not_32 = "is not 32 bytes: give 32 random bytes in standard base64 (44 characters; \
                  `xoxe seal-key new ID` makes one)";
    if encoded.len() > MAX_KEY_B64_LEN {
        return Err(not_32.to_string());
    }
    let mut buffer = Zeroizing::new([0u8; MAX_KEY_B64_LEN / 4 * 3]);
    let len = STANDARD
        .decode_slice(encoded, &mut *buffer)
        .map_err(|_| "is not valid standard base64 (A-Z a-z 0-9 + /, padded with =)".to_string())?;
    if len != KEY_LEN {
        return Err(format!("decodes to {len} bytes; {not_32}"));
    }
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    key.copy_from_slice(&buffer[..KEY_LEN]);
    Ok(key)
}

/// Fills `out` from the system's random number generator.
fn fill_random(out: &mut [u8]) -> Result<()> {
    SystemRandom::new()
        .fill(out)
        .map_err(|_| Error::new(Status::StoreIo, "the system random number generator failed"))
}

/// What is authenticated with a sealed document besides its text: the envelope
/// format, the key id and the chain. Unambiguous: key ids hold no NUL, and the
/// chain is the rest.
fn associated_data(kid: &str, chain: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(32 + kid.len() + chain.len());
    aad.extend_from_slice(b"xoxe-sealed-1\0");
    aad.extend_from_slice(kid.as_bytes());
    aad.push(0);
    aad.extend_from_slice(chain.as_bytes());
    aad
}

/// Reads and checks an envelope; `StoreCorrupt` (described with `store`, never
/// with the document's content) when it is not a well-formed one.
fn parse_envelope(document: &[u8], store: &str) -> Result<Parsed> {
    let corrupt = |why: &str| Error::new(Status::StoreCorrupt, format!("{store}: the sealed envelope {why}"));
    let envelope: Envelope =
        crate::response::parse(document).map_err(|why| corrupt(&format!("is not well-formed: {why}")))?;
    if envelope.xoxe_sealed != ENVELOPE_FORMAT {
        return Err(corrupt(&format!(
            "has format {} (this xoxe reads format {ENVELOPE_FORMAT}{})",
            envelope.xoxe_sealed,
            if envelope.xoxe_sealed > ENVELOPE_FORMAT {
                "; written by a newer xoxe?"
            } else {
                ""
            }
        )));
    }
    if !valid_key_id(&envelope.kid) {
        return Err(corrupt("names no valid key id"));
    }
    let nonce: [u8; NONCE_LEN] = STANDARD
        .decode(&envelope.nonce)
        .ok()
        .and_then(|n| n.try_into().ok())
        .ok_or_else(|| corrupt("has a nonce that is not 12 bytes of standard base64"))?;
    let ciphertext = Zeroizing::new(
        STANDARD
            .decode(&envelope.ciphertext)
            .map_err(|_| corrupt("has a ciphertext that is not standard base64"))?,
    );
    if ciphertext.len() < TAG_LEN {
        return Err(corrupt("has a ciphertext shorter than its authentication tag"));
    }
    Ok(Parsed {
        kid: envelope.kid,
        nonce,
        ciphertext,
    })
}

/// What [`probe`] finds at the top level of a JSON object.
struct Probe {
    /// Whether an `xoxe_sealed` field is present.
    sealed: bool,
    /// The `kid` field, if it is a string.
    kid: Option<String>,
}

/// Looks at a document's top-level field names without keeping any other value
/// (a plain document's tokens are skipped, never copied). `None` if it is not a
/// JSON object.
fn probe(document: &[u8]) -> Option<Probe> {
    struct ProbeVisitor;
    impl<'de> Visitor<'de> for ProbeVisitor {
        type Value = Probe;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> std::result::Result<Probe, M::Error> {
            let mut found = Probe {
                sealed: false,
                kid: None,
            };
            while let Some(name) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                match &*name {
                    SEALED_FIELD => {
                        found.sealed = true;
                        map.next_value::<IgnoredAny>()?;
                    }
                    "kid" => found.kid = map.next_value::<serde_json::Value>()?.as_str().map(str::to_string),
                    _ => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
            Ok(found)
        }
    }
    let mut de = serde_json::Deserializer::from_slice(document);
    let found = (&mut de).deserialize_map(ProbeVisitor).ok()?;
    de.end().ok()?;
    Some(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;
    use crate::store::ChainKind;
    use std::os::unix::fs::PermissionsExt;

    const REFRESH: &str = "xoxe-1-My0xLTEyMzQ1Njc4OTAxMi0xMjM0NTY3ODkwMTIzLWFiY2RlZmFiY2RlZg";
    const ACCESS: &str = "xoxe.xoxp-1-Mi0yLTEyMzQ1Njc4OTAxMi0xMjM0NTY3ODkwMTIzLWZlZGNiYQ";
    const STORE: &str = "test store (chain c1)";

    /// A keyring line with a fixed key: `id` and 32 bytes of `fill`.
    fn line(id: &str, fill: u8) -> String {
        format!("{id} {}", STANDARD.encode([fill; KEY_LEN]))
    }

    fn ring(lines: &[String]) -> Keyring {
        Keyring::parse(&lines.join("\n"), "test keyring").unwrap()
    }

    fn pair() -> StoredPair {
        StoredPair::seed(
            ChainKind::Config,
            Secret::new(REFRESH),
            Some(Secret::new(ACCESS)),
            1_900_000_000,
        )
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    fn err<T: fmt::Debug>(result: Result<T>) -> Error {
        result.expect_err("expected an error")
    }

    /// Replaces the JSON string field `field` of `envelope` with `value`.
    fn with_field(envelope: &[u8], field: &str, value: &str) -> Vec<u8> {
        let mut v: serde_json::Value = serde_json::from_slice(envelope).unwrap();
        v[field] = serde_json::Value::String(value.to_string());
        serde_json::to_vec(&v).unwrap()
    }

    fn field(envelope: &[u8], field: &str) -> String {
        let v: serde_json::Value = serde_json::from_slice(envelope).unwrap();
        v[field].as_str().unwrap().to_string()
    }

    #[test]
    fn round_trip() {
        let keys = ring(&[line("k1", 7)]);
        let plain = pair().to_json(false).unwrap();
        let envelope = keys.seal(&plain, "c1").unwrap();
        assert_eq!(&*keys.open(&envelope, "c1", STORE).unwrap(), &*plain);
        assert!(is_sealed(&envelope));
        assert_eq!(sealed_key_id(&envelope).as_deref(), Some("k1"));
        assert!(!is_sealed(&plain));
        assert_eq!(sealed_key_id(&plain), None);
        // The documented shape: one line, these fields in this order.
        let text = std::str::from_utf8(&envelope).unwrap();
        assert!(text.starts_with(r#"{"xoxe_sealed":1,"kid":"k1","nonce":""#), "{text}");
        assert!(text.contains(r#"","ciphertext":""#) && !text.contains('\n'), "{text}");
        assert_eq!(STANDARD.decode(field(&envelope, "nonce")).unwrap().len(), NONCE_LEN);
        assert_eq!(
            STANDARD.decode(field(&envelope, "ciphertext")).unwrap().len(),
            plain.len() + TAG_LEN
        );
    }

    #[test]
    fn the_envelope_holds_no_plaintext() {
        let keys = ring(&[line("k1", 7)]);
        let envelope = keys.seal(&pair().to_json(true).unwrap(), "c1").unwrap();
        for needle in [REFRESH, ACCESS, "xoxe-1-", "refresh_token", "config"] {
            assert!(!contains(&envelope, needle.as_bytes()), "{needle} leaked");
        }
        // Nor in base64 form at any alignment.
        let ciphertext = STANDARD.decode(field(&envelope, "ciphertext")).unwrap();
        assert!(!contains(&ciphertext, REFRESH.as_bytes()));
    }

    #[test]
    fn every_seal_takes_a_fresh_nonce() {
        let keys = ring(&[line("k1", 7)]);
        let plain = pair().to_json(false).unwrap();
        let (a, b) = (keys.seal(&plain, "c1").unwrap(), keys.seal(&plain, "c1").unwrap());
        assert_ne!(a, b);
        assert_ne!(field(&a, "nonce"), field(&b, "nonce"));
        assert_ne!(field(&a, "ciphertext"), field(&b, "ciphertext"));
    }

    #[test]
    fn a_keyring_without_the_kid_is_store_sealed_naming_it() {
        let envelope = ring(&[line("old-key", 1)]).seal(b"{}", "c1").unwrap();
        let e = err(ring(&[line("new-key", 2)]).open(&envelope, "c1", STORE));
        assert_eq!(e.status, Status::StoreSealed);
        assert!(
            e.message
                .contains("sealed with key old-key, which this process was not given"),
            "{}",
            e.message
        );
        assert!(e.message.contains(STORE), "{}", e.message);
    }

    #[test]
    fn old_and_new_keys_both_open_and_the_first_seals() {
        let (old_line, new_line) = (line("old", 1), line("new", 2));
        let old_sealed = ring(std::slice::from_ref(&old_line)).seal(b"old doc", "c1").unwrap();
        let new_sealed = ring(std::slice::from_ref(&new_line)).seal(b"new doc", "c1").unwrap();
        let both = ring(&[new_line.clone(), old_line.clone()]);
        assert_eq!(both.sealing_key_id(), "new");
        assert_eq!(both.key_ids(), vec!["new", "old"]);
        assert_eq!(&*both.open(&old_sealed, "c1", STORE).unwrap(), b"old doc");
        assert_eq!(&*both.open(&new_sealed, "c1", STORE).unwrap(), b"new doc");
        let resealed = both.seal(b"doc", "c1").unwrap();
        assert_eq!(sealed_key_id(&resealed).as_deref(), Some("new"));
        assert_eq!(&*ring(&[new_line]).open(&resealed, "c1", STORE).unwrap(), b"doc");
        assert_eq!(
            err(ring(&[old_line]).open(&resealed, "c1", STORE)).status,
            Status::StoreSealed
        );
    }

    #[test]
    fn tampering_never_opens() {
        // Two ids for the same key bytes: relabelling the kid must still fail.
        let keys = ring(&[line("k1", 7), line("k2", 8), line("same", 7)]);
        let envelope = keys.seal(&pair().to_json(false).unwrap(), "c1").unwrap();
        let mut tampered = Vec::new();
        for (name, replace) in [("nonce", 0usize), ("ciphertext", 0), ("ciphertext", usize::MAX)] {
            let mut bytes = STANDARD.decode(field(&envelope, name)).unwrap();
            let at = replace.min(bytes.len() - 1);
            bytes[at] ^= 1;
            tampered.push(with_field(&envelope, name, &STANDARD.encode(&bytes)));
        }
        let mut cut = STANDARD.decode(field(&envelope, "ciphertext")).unwrap();
        cut.pop();
        tampered.push(with_field(&envelope, "ciphertext", &STANDARD.encode(&cut)));
        tampered.push(with_field(&envelope, "ciphertext", &STANDARD.encode([0u8; 8])));
        tampered.push(with_field(&envelope, "nonce", &STANDARD.encode([0u8; 8])));
        tampered.push(with_field(&envelope, "nonce", "not base64!"));
        for kid in ["k2", "same", "missing", "bad id!", ""] {
            tampered.push(with_field(&envelope, "kid", kid));
        }
        let text = std::str::from_utf8(&envelope).unwrap();
        tampered.push(text.replace(r#""xoxe_sealed":1"#, r#""xoxe_sealed":2"#).into_bytes());
        tampered.push(text.replace('}', r#","extra":"x"}"#).into_bytes());
        tampered.push(envelope[..envelope.len() - 2].to_vec());
        for (i, t) in tampered.iter().enumerate() {
            assert_ne!(t, &envelope, "case {i} did not tamper");
            match keys.open(t, "c1", STORE) {
                Ok(_) => panic!("tampered envelope {i} opened"),
                Err(e) => assert!(
                    matches!(e.status, Status::StoreSealed | Status::StoreCorrupt),
                    "case {i}: {:?}",
                    e
                ),
            }
        }
        // An authentication failure names the key id.
        let e = err(keys.open(&tampered[1], "c1", STORE));
        assert_eq!(e.status, Status::StoreSealed);
        assert!(e.message.contains("fails authentication under key k1"), "{}", e.message);
        let e = err(keys.open(&tampered[9], "c1", STORE));
        assert_eq!(e.status, Status::StoreSealed);
        assert!(
            e.message
                .contains("sealed with key missing, which this process was not given"),
            "{}",
            e.message
        );
        let e = err(keys.open(&tampered[8], "c1", STORE));
        assert_eq!(e.status, Status::StoreSealed);
        assert!(
            e.message.contains("fails authentication under key same"),
            "{}",
            e.message
        );
        assert_eq!(err(keys.open(&tampered[10], "c1", STORE)).status, Status::StoreCorrupt);
    }

    #[test]
    fn an_envelope_for_one_chain_does_not_open_as_another() {
        let keys = ring(&[line("k1", 7)]);
        let envelope = keys.seal(b"doc", "chain-a").unwrap();
        assert_eq!(&*keys.open(&envelope, "chain-a", STORE).unwrap(), b"doc");
        let e = err(keys.open(&envelope, "chain-b", STORE));
        assert_eq!(e.status, Status::StoreSealed);
        assert!(
            e.message.contains("sealed for another chain") && e.message.contains("k1"),
            "{}",
            e.message
        );
        let codec = Codec::sealed(Arc::new(keys));
        let stored = codec.encode(&pair(), "chain-a", false).unwrap();
        assert_eq!(codec.decode(&stored, "chain-a", STORE).unwrap(), pair());
        assert_eq!(err(codec.decode(&stored, "chain-b", STORE)).status, Status::StoreSealed);
    }

    #[test]
    fn parse_errors_are_clear_and_never_quote_key_material() {
        let good = STANDARD.encode([9u8; KEY_LEN]);
        let short = STANDARD.encode([9u8; 31]);
        let long = STANDARD.encode([9u8; 33]);
        let huge = STANDARD.encode([9u8; 200]);
        let bad_b64 = format!("{}!", &good[..43]);
        let cases: Vec<(String, &str, &str)> = vec![
            (
                format!("k1 {bad_b64}"),
                bad_b64.as_str(),
                "line 1: key k1: is not valid standard base64",
            ),
            (
                format!("k1 {short}"),
                short.as_str(),
                "line 1: key k1: decodes to 31 bytes",
            ),
            (
                format!("k1 {long}"),
                long.as_str(),
                "line 1: key k1: decodes to 33 bytes",
            ),
            (format!("k1 {huge}"), huge.as_str(), "line 1: key k1: is not 32 bytes"),
            (
                format!("# c\n\nbad/id {good}"),
                good.as_str(),
                "line 3: the key id is not 1 to 64",
            ),
            (format!("{good} k1"), good.as_str(), "line 1: the key id is not"),
            (
                format!("{} {good}", "k".repeat(65)),
                good.as_str(),
                "the key id is not 1 to 64",
            ),
            (good.clone(), good.as_str(), "line 1: expected `KEY_ID BASE64`"),
            (
                format!("k1 {good} extra"),
                good.as_str(),
                "line 1: expected `KEY_ID BASE64`",
            ),
            (
                format!("k1 {good}\nk2 {short}\nk1 {good}"),
                good.as_str(),
                "line 2: key k2",
            ),
            (
                format!("k1 {good}\nk1 {good}"),
                good.as_str(),
                "line 2: key id k1 appears twice (first on line 1)",
            ),
            ("".to_string(), "", "holds no keys"),
            ("# only a comment\n\n   \n".to_string(), "", "holds no keys"),
        ];
        for (text, secret, expected) in cases {
            let e = err(Keyring::parse(&text, "keyring file /k"));
            assert_eq!(e.status, Status::InvalidArgument, "{text}");
            assert!(e.message.starts_with("keyring file /k: "), "{}", e.message);
            assert!(e.message.contains(expected), "{text}: {}", e.message);
            if !secret.is_empty() {
                assert!(!e.message.contains(secret), "key material in: {}", e.message);
                assert!(!e.message.contains(&secret[..12]), "key material in: {}", e.message);
            }
        }
        // Comments, blank lines, CRLF and surrounding spaces are fine.
        let keys = Keyring::parse(&format!("# keys\r\n\r\n  k1   {good}  \r\nk.2_x-Y {short}A=\n"), "x");
        assert!(keys.is_err(), "31 bytes + junk must not pass");
        let keys = Keyring::parse(&format!("# keys\r\n\r\n  k1   {good}  \r\nk.2_x-Y {good}\n"), "x").unwrap();
        assert_eq!(keys.key_ids(), vec!["k1", "k.2_x-Y"]);
    }

    #[test]
    fn from_file_refuses_a_loose_mode_and_accepts_0600() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keyring");
        std::fs::write(&path, format!("# test\n{}\n", line("file-key", 3))).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = err(Keyring::from_file(&path));
        assert_eq!(e.status, Status::StorePermissions);
        assert!(e.message.contains("(mode 644); run chmod 600"), "{}", e.message);
        assert!(e.message.contains(&path.display().to_string()), "{}", e.message);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        assert_eq!(err(Keyring::from_file(&path)).status, Status::StorePermissions);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(Keyring::from_file(&path).unwrap().key_ids(), vec!["file-key"]);
        let e = err(Keyring::from_file(&dir.path().join("missing")));
        assert_eq!(e.status, Status::FileUnreadable);
        assert!(e.message.contains("does not exist"), "{}", e.message);
        // A parse error names the file.
        std::fs::write(&path, "k1 AAAA\n").unwrap();
        let e = err(Keyring::from_file(&path));
        assert_eq!(e.status, Status::InvalidArgument);
        assert!(
            e.message.contains(&format!("keyring file {}: line 1", path.display())),
            "{}",
            e.message
        );
    }

    #[test]
    fn from_env_reads_lines_or_semicolons_and_names_a_missing_variable() {
        let name = format!("XOXE_SEAL_TEST_KEYS_{}", std::process::id());
        let e = err(Keyring::from_env(&name));
        assert_eq!(e.status, Status::InvalidArgument);
        assert!(
            e.message.contains(&format!("environment variable {name}: is not set")),
            "{}",
            e.message
        );
        // The variable's name is unique to this test (and this process).
        std::env::set_var(&name, "  \n ");
        let e = err(Keyring::from_env(&name));
        assert!(
            e.message.contains(&format!("environment variable {name}: is empty")),
            "{}",
            e.message
        );
        std::env::set_var(&name, format!("{};{}", line("a", 1), line("b", 2)));
        assert_eq!(Keyring::from_env(&name).unwrap().key_ids(), vec!["a", "b"]);
        std::env::set_var(&name, format!("{}\n{}", line("b", 2), line("a", 1)));
        assert_eq!(Keyring::from_env(&name).unwrap().sealing_key_id(), "b");
        std::env::remove_var(&name);
        assert_eq!(err(Keyring::from_env("")).status, Status::InvalidArgument);
        assert_eq!(err(Keyring::from_env("A=B")).status, Status::InvalidArgument);
    }

    #[test]
    fn debug_shows_ids_only() {
        let l = line("visible-id", 5);
        let keys = Arc::new(ring(&[l.clone(), line("second", 6)]));
        let shown = format!("{keys:?} {:?}", Codec::sealed(keys.clone()));
        assert!(shown.contains("visible-id") && shown.contains("second"), "{shown}");
        let b64 = l.split(' ').nth(1).unwrap();
        assert!(!shown.contains(b64) && !shown.contains(&b64[..8]), "{shown}");
        assert!(!shown.contains("[5, 5") && !shown.contains("0x05"), "{shown}");
    }

    #[test]
    fn generated_lines_parse_and_differ() {
        let a = Keyring::generate_line("gen-1").unwrap();
        let b = Keyring::generate_line("gen-1").unwrap();
        assert_ne!(*a, *b);
        assert!(a.starts_with("gen-1 ") && a.len() == "gen-1 ".len() + 44, "{}", a.len());
        let keys = Keyring::parse(&a, "generated").unwrap();
        assert_eq!(keys.sealing_key_id(), "gen-1");
        let e = err(Keyring::generate_line("bad id"));
        assert_eq!(e.status, Status::InvalidArgument);
    }

    #[test]
    fn codec_reads_plain_documents_with_and_without_a_keyring() {
        let plain_doc = pair().to_json(true).unwrap();
        for codec in [
            Codec::plain(),
            Codec::default(),
            Codec::sealed(Arc::new(ring(&[line("k1", 7)]))),
        ] {
            assert_eq!(codec.decode(&plain_doc, "c1", STORE).unwrap(), pair());
        }
        // Plain encoding is the pair's JSON as is.
        assert!(!Codec::plain().is_sealing());
        assert_eq!(*Codec::plain().encode(&pair(), "c1", true).unwrap(), *plain_doc);
        // A sealing codec seals: no token in what it stores, and it reads back.
        let codec = Codec::sealed(Arc::new(ring(&[line("k1", 7)])));
        assert!(codec.is_sealing());
        let stored = codec.encode(&pair(), "c1", true).unwrap();
        assert!(is_sealed(&stored) && !contains(&stored, REFRESH.as_bytes()));
        assert_eq!(codec.decode(&stored, "c1", STORE).unwrap(), pair());
        // Corrupt plain documents stay StoreCorrupt.
        assert_eq!(
            err(codec.decode(b"{\"format\":1", "c1", STORE)).status,
            Status::StoreCorrupt
        );
        // A pair that would read back as an envelope is refused.
        let mut odd = pair();
        odd.extra.insert(SEALED_FIELD.to_string(), serde_json::Value::from(1));
        assert_eq!(
            err(Codec::plain().encode(&odd, "c1", false)).status,
            Status::InvalidArgument
        );
    }

    #[test]
    fn codec_without_a_keyring_refuses_an_envelope_as_store_sealed() {
        let stored = Codec::sealed(Arc::new(ring(&[line("prod-2025", 7)])))
            .encode(&pair(), "c1", false)
            .unwrap();
        let e = err(Codec::plain().decode(&stored, "c1", STORE));
        assert_eq!(e.status, Status::StoreSealed);
        assert!(
            e.message
                .contains("sealed with key prod-2025; give this store its keyring")
                && e.message.contains(STORE),
            "{}",
            e.message
        );
        // With a keyring lacking the key: StoreSealed naming it, too.
        let e = err(Codec::sealed(Arc::new(ring(&[line("other", 1)]))).decode(&stored, "c1", STORE));
        assert_eq!(e.status, Status::StoreSealed);
        assert!(e.message.contains("prod-2025"), "{}", e.message);
        // A malformed envelope is StoreCorrupt even without a keyring.
        let e = err(Codec::plain().decode(br#"{"xoxe_sealed":1,"kid":"k1"}"#, "c1", STORE));
        assert_eq!(e.status, Status::StoreCorrupt);
    }

    #[test]
    fn is_sealed_looks_at_top_level_fields_only() {
        assert!(is_sealed(br#" {"kid":"a","xoxe_sealed":"whatever"} "#));
        assert_eq!(sealed_key_id(br#"{"kid":"a","xoxe_sealed":1}"#).as_deref(), Some("a"));
        assert_eq!(sealed_key_id(br#"{"kid":"bad id","xoxe_sealed":1}"#), None);
        assert_eq!(sealed_key_id(br#"{"kid":"a"}"#), None);
        assert!(!is_sealed(br#"{"extra":{"xoxe_sealed":1}}"#));
        assert!(!is_sealed(br#"{"xoxe_sealed":1} trailing"#));
        assert!(!is_sealed(br#"["xoxe_sealed"]"#));
        assert!(!is_sealed(b""));
        assert!(!is_sealed(b"\xff\xfe"));
    }
}
