"""Sealing at rest: ``Keyring.from_file``/``from_env`` and ``Store.sealed`` over a
directory store (and the fleet stores): no token in clear on disk, a store without the
key refuses and names the key id, key rotation (new key first, old key second), a
tampered document refused and left as it is, ``rewrite_chains`` sealing a plain
directory, a keyring file others may read refused, and no key material in any error.

Key lines are made here from ``os.urandom``; every key is kept as a ``Secret`` and
checked for by value in every rendering of every error (``_leaks``: indexes only).
"""

from __future__ import annotations

import base64
import json
import os
import stat
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
import xoxe
from conftest import Database, FakeSlack, unique_chain
from xoxe import Secret, Status


def _key() -> Secret:
    return Secret(base64.b64encode(os.urandom(32)).decode())


def _keyring_file(path: Path, *keys: tuple[str, Secret], mode: int = 0o600) -> Path:
    """A keyring file with ``KEY_ID BASE64`` lines (first key seals), created with ``mode``."""
    text = "# xoxe keys\n\n" + "".join(f"{kid} {key.get_secret_value()}\n" for kid, key in keys)
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, mode)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(path, mode)  # whatever the umask did
    return path


def _renderings(exc: BaseException) -> list[str]:
    out = [repr(exc), str(exc), repr(exc.args)]
    out.append("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    out += [str(v) for v in vars(exc).values()]
    return out


def _leaks(texts: Iterable[str], secrets: Iterable[Secret]) -> list[str]:
    values = [s.get_secret_value() for s in secrets]
    assert all(len(v) >= 8 for v in values)
    return [f"text #{i} holds secret #{j}" for i, t in enumerate(texts) for j, v in enumerate(values) if v in t]


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    d = tmp_path / "chains"
    d.mkdir(mode=0o700)
    return d


def _seed(store: xoxe.Store, slack: FakeSlack, *names: str) -> None:
    for name in names:
        store.open_chain(name).init(slack.new_config_refresh_token())


def _rotate(client: xoxe.Client, store: xoxe.Store) -> xoxe.AccessToken:
    with xoxe.Rotator.config(client, store) as rotator:
        return rotator.force_rotate()


def _uses(client: xoxe.Client, store: xoxe.Store, slack: FakeSlack) -> list[Callable[[], object]]:
    """Every way a holder reads or writes a chain: read it, get a token, rotate it, and
    start it again over what is stored (``overwrite``)."""
    return [
        lambda: xoxe.Rotator.config(client, store).current(),
        lambda: xoxe.Rotator.config(client, store).get(),
        lambda: xoxe.Rotator.config(client, store).force_rotate(),
        lambda: store.init(slack.new_config_refresh_token(), overwrite=True),
    ]


def _document(directory: Path, chain: str) -> dict[str, Any]:
    path = directory / f"{chain}.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    parsed = json.loads(path.read_text())
    assert isinstance(parsed, dict)
    return parsed


# ---- sealing a directory store ----------------------------------------------------


def test_a_sealed_directory_store_keeps_no_token_in_clear(
    tmp_path: Path, directory: Path, slack: FakeSlack, client: xoxe.Client
) -> None:
    key = _key()
    keyring = xoxe.Keyring.from_file(_keyring_file(tmp_path / "keys", ("2025-01", key)))
    assert repr(keyring) == f"<xoxe.Keyring from file {str(tmp_path / 'keys')!r}>"
    plain = xoxe.DirectoryStore(directory)
    store = plain.sealed(keyring)
    assert type(store) is xoxe.DirectoryStore and store.keyring is keyring and plain.keyring is None
    assert repr(store) == f"<xoxe.DirectoryStore {str(directory)!r} sealed>"
    refresh = slack.new_config_refresh_token()
    chain = store.open_chain("a")
    assert chain.keyring is keyring and "sealed" in repr(chain), "chains opened from a sealed handle are sealed"
    chain.init(refresh)
    assert refresh.get_secret_value() not in (directory / "a.json").read_text(), "sealed by init"
    keyring.close()  # the store keeps its own reference to the keys
    token = _rotate(client, chain)
    text = (directory / "a.json").read_text()
    doc = _document(directory, "a")
    assert doc["xoxe_sealed"] == 1 and doc["kid"] == "2025-01"
    assert "refresh_token" not in doc and "access_token" not in doc
    assert token.token.get_secret_value() not in text
    assert "xoxe-1-" not in text and "xoxe.xoxp-" not in text, "no token in clear"
    assert key.get_secret_value() not in text
    # Read back through the sealed handle (another object, as another process would).
    again = xoxe.DirectoryStore(directory, "a").sealed(xoxe.Keyring.from_file(tmp_path / "keys"))
    assert xoxe.Rotator.config(client, again).current() == token
    (listed,) = store.chains()
    assert listed.chain == "a" and listed.error is None and listed.generation == 1


def test_a_store_without_the_key_raises_store_sealed_naming_the_key_id(
    tmp_path: Path, directory: Path, slack: FakeSlack, client: xoxe.Client
) -> None:
    key, other = _key(), _key()
    sealed = xoxe.DirectoryStore(directory).sealed(
        xoxe.Keyring.from_file(_keyring_file(tmp_path / "keys", ("kid-sealing", key)))
    )
    _seed(sealed, slack, "a")
    before = (directory / "a.json").read_bytes()
    errors: list[xoxe.XoxeError] = []
    wrong = xoxe.Keyring.from_file(_keyring_file(tmp_path / "other", ("kid-other", other)))
    for store in (xoxe.DirectoryStore(directory, "a"), xoxe.DirectoryStore(directory, "a").sealed(wrong)):
        for call in _uses(client, store, slack):
            with pytest.raises(xoxe.StoreSealedError) as info:
                call()
            e = info.value
            assert e.code is Status.STORE_SEALED and isinstance(e, xoxe.StoreError)
            assert "kid-sealing" in e.message, "the message names the key id"
            errors.append(e)
        (listed,) = store.chains()
        assert isinstance(listed.error, xoxe.StoreSealedError) and "kid-sealing" in listed.error.message
        assert listed.kind is None and listed.generation == 0
    assert (directory / "a.json").read_bytes() == before, "nothing was overwritten"
    assert not _leaks([t for e in errors for t in _renderings(e)], [key, other])


def test_two_keys_read_old_documents_and_write_new_ones_under_the_new_key(
    tmp_path: Path, directory: Path, slack: FakeSlack, client: xoxe.Client
) -> None:
    old, new = ("old-key", _key()), ("new-key", _key())
    old_ring = xoxe.Keyring.from_file(_keyring_file(tmp_path / "old", old))
    both = xoxe.Keyring.from_file(_keyring_file(tmp_path / "both", new, old))
    only_new = xoxe.Keyring.from_file(_keyring_file(tmp_path / "new", new))
    _seed(xoxe.DirectoryStore(directory).sealed(old_ring), slack, "a", "b")
    assert _document(directory, "a")["kid"] == _document(directory, "b")["kid"] == "old-key"
    with pytest.raises(xoxe.StoreSealedError, match="old-key"):
        xoxe.Rotator.config(client, xoxe.DirectoryStore(directory, "a").sealed(only_new)).current()

    store = xoxe.DirectoryStore(directory).sealed(both)
    assert xoxe.Rotator.config(client, store.open_chain("a")).current().expires_at == 0, "the old key opens"
    token = _rotate(client, store.open_chain("a"))
    assert _document(directory, "a")["kid"] == "new-key", "a save seals under the first key"
    assert _document(directory, "b")["kid"] == "old-key", "not yet saved again"
    assert store.rewrite_chains() == 2
    assert _document(directory, "b")["kid"] == "new-key"
    # Every chain under the new key: the old key may go.
    reader = xoxe.DirectoryStore(directory).sealed(only_new)
    assert xoxe.Rotator.config(client, reader.open_chain("a")).current() == token
    assert [c.error for c in reader.chains()] == [None, None]
    with pytest.raises(xoxe.StoreSealedError, match="new-key"):
        xoxe.Rotator.config(client, xoxe.DirectoryStore(directory, "b").sealed(old_ring)).current()


def test_a_tampered_document_is_refused_and_left_as_it_is(
    tmp_path: Path, directory: Path, slack: FakeSlack, client: xoxe.Client
) -> None:
    keyring = xoxe.Keyring.from_file(_keyring_file(tmp_path / "keys", ("k1", _key())))
    store = xoxe.DirectoryStore(directory).sealed(keyring)
    _seed(store, slack, "flip", "mangled", "moved")
    path = directory / "flip.json"
    doc = _document(directory, "flip")
    cipher = bytearray(base64.b64decode(doc["ciphertext"]))
    cipher[len(cipher) // 2] ^= 0x01
    doc["ciphertext"] = base64.b64encode(bytes(cipher)).decode()
    path.write_text(json.dumps(doc))
    # An envelope copied over another chain's (authenticated with its chain name).
    (directory / "moved.json").write_bytes((directory / "mangled.json").read_bytes())
    (directory / "mangled.json").write_text('{"xoxe_sealed":1,"kid":"k1","nonce":"!!","ciphertext":')
    for name, error in [
        ("flip", xoxe.StoreSealedError),
        ("moved", xoxe.StoreSealedError),
        ("mangled", (xoxe.StoreSealedError, xoxe.StoreCorruptError)),
    ]:
        before = (directory / f"{name}.json").read_bytes()
        chain = store.open_chain(name)
        for call in _uses(client, chain, slack):
            with pytest.raises(error) as info:
                call()
            assert isinstance(info.value, xoxe.StoreError), name
        assert (directory / f"{name}.json").read_bytes() == before, f"{name}: not overwritten"
    statuses = {c.chain: c.error for c in store.chains()}
    assert isinstance(statuses["flip"], xoxe.StoreSealedError) and "k1" in statuses["flip"].message
    assert isinstance(statuses["moved"], xoxe.StoreSealedError)
    with pytest.raises((xoxe.StoreSealedError, xoxe.StoreCorruptError)):
        store.rewrite_chains()  # stops at the first chain it cannot read…
    assert (directory / "flip.json").read_bytes() == path.read_bytes()


def test_rewrite_chains_seals_a_plain_directory(
    tmp_path: Path, directory: Path, slack: FakeSlack, client: xoxe.Client
) -> None:
    plain = xoxe.DirectoryStore(directory)
    _seed(plain, slack, "a", "b", "c")
    tokens = {name: _rotate(client, plain.open_chain(name)) for name in ("a", "b")}
    assert "refresh_token" in _document(directory, "a")
    keyring = xoxe.Keyring.from_file(_keyring_file(tmp_path / "keys", ("seal-1", _key())))
    sealed = plain.sealed(keyring)
    assert xoxe.Rotator.config(client, sealed.open_chain("a")).current() == tokens["a"], "a plain document is read"
    generations = {c.chain: c.generation for c in plain.chains()}
    assert sealed.rewrite_chains() == 3
    for name in ("a", "b", "c"):
        doc = _document(directory, name)
        assert doc["kid"] == "seal-1" and "refresh_token" not in doc
    assert {c.chain: c.generation for c in sealed.chains()} == generations, "rewritten in place"
    for name, token in tokens.items():
        assert xoxe.Rotator.config(client, sealed.open_chain(name)).current() == token
    assert sealed.rewrite_chains() == 3, "idempotent"
    with pytest.raises(xoxe.StoreSealedError):
        plain.rewrite_chains()  # a plain handle cannot read them any more
    with pytest.raises(xoxe.UnsupportedError):
        xoxe.MemoryStore().sealed(keyring)
    with pytest.raises(TypeError):
        plain.sealed("seal-1")  # type: ignore[arg-type]


# ---- keyrings -----------------------------------------------------------------------


def test_a_keyring_file_others_may_read_is_refused(tmp_path: Path) -> None:
    key = _key()
    errors: list[BaseException] = []
    for mode in (0o644, 0o640, 0o604):
        path = _keyring_file(tmp_path / f"keys-{mode:o}", ("k1", key), mode=mode)
        with pytest.raises(xoxe.StorePermissionsError) as info:
            xoxe.Keyring.from_file(path)
        assert info.value.code is Status.STORE_PERMISSIONS and "chmod 600" in info.value.message
        errors.append(info.value)
    with pytest.raises(xoxe.FileUnreadableError):
        xoxe.Keyring.from_file(tmp_path / "missing")
    with pytest.raises(xoxe.FileUnreadableError):
        xoxe.Keyring.from_file(tmp_path)
    with pytest.raises(TypeError):
        xoxe.Keyring.from_file(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        xoxe.Keyring()
    assert not _leaks([t for e in errors for t in _renderings(e)], [key])


def test_malformed_keyrings_never_show_key_material(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    good = _key()
    short = Secret(base64.b64encode(os.urandom(16)).decode())
    long = Secret(base64.b64encode(os.urandom(48)).decode())
    bad_b64 = Secret(good.get_secret_value()[:40] + "!!!!")
    lines = [
        f"k1 {short.get_secret_value()}",
        f"k1 {long.get_secret_value()}",
        f"k1 {bad_b64.get_secret_value()}",
        f"k1 {good.get_secret_value()} extra",
        f"{good.get_secret_value()} k1",
        f"bad/id {good.get_secret_value()}",
        f"k1 {good.get_secret_value()}\nk1 {good.get_secret_value()}",
    ]
    errors: list[BaseException] = []
    for i, line in enumerate(lines):
        path = tmp_path / f"keys-{i}"
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
        os.write(fd, (line + "\n").encode())
        os.close(fd)
        with pytest.raises(xoxe.UsageError) as info:
            xoxe.Keyring.from_file(path)
        assert info.value.code is Status.INVALID_ARGUMENT, i
        errors.append(info.value)
        monkeypatch.setenv("XOXE_TEST_KEYRING", line.replace("\n", ";"))
        with pytest.raises(xoxe.UsageError) as info:
            xoxe.Keyring.from_env("XOXE_TEST_KEYRING")
        assert "XOXE_TEST_KEYRING" in info.value.message, "names the variable"
        errors.append(info.value)
    leaks = _leaks([t for e in errors for t in _renderings(e)], [good, short, long, bad_b64])
    assert not leaks, leaks


def test_keyring_from_env(tmp_path: Path, directory: Path, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> None:
    name = f"XOXE_TEST_KEYS_{os.getpid()}"
    monkeypatch.delenv(name, raising=False)
    with pytest.raises(xoxe.UsageError) as missing:
        xoxe.Keyring.from_env(name)
    assert missing.value.code is Status.INVALID_ARGUMENT and name in missing.value.message
    monkeypatch.setenv(name, "  ")
    with pytest.raises(xoxe.UsageError, match=name):
        xoxe.Keyring.from_env(name)
    for bad in ("", "A=B"):
        with pytest.raises(xoxe.UsageError):
            xoxe.Keyring.from_env(bad)
    with pytest.raises(ValueError):
        xoxe.Keyring.from_env("A\0B")
    first, second = _key(), _key()
    monkeypatch.setenv(name, f"env-new {first.get_secret_value()};env-old {second.get_secret_value()}")
    keyring = xoxe.Keyring.from_env(name)
    assert repr(keyring) == f"<xoxe.Keyring from environment variable {name!r}>"
    assert first.get_secret_value() not in repr(keyring)
    _seed(xoxe.DirectoryStore(directory).sealed(keyring), slack, "a")
    assert _document(directory, "a")["kid"] == "env-new", "the first key seals"
    # The same keys from a file open it: the env format is the file's.
    from_file = xoxe.Keyring.from_file(_keyring_file(tmp_path / "keys", ("env-new", first)))
    (listed,) = xoxe.DirectoryStore(directory).sealed(from_file).chains()
    assert listed.error is None


# ---- the fleet stores seal too -----------------------------------------------------


@pytest.mark.parametrize("kind", ["postgres", "redis"])
def test_a_sealed_fleet_store_rotates_and_a_plain_one_cannot_read_it(
    kind: str, tmp_path: Path, databases: dict[str, Database], slack: FakeSlack, client: xoxe.Client
) -> None:
    db = databases[kind]
    chain = unique_chain("sealed")
    keyring = xoxe.Keyring.from_file(_keyring_file(tmp_path / "keys", ("fleet-1", _key())))
    sealed = db.store(chain).sealed(keyring)
    assert repr(sealed) == f"<xoxe.{type(sealed).__name__} chain={chain!r} sealed>"
    sealed.init(slack.new_config_refresh_token())
    token = _rotate(client, sealed)
    with pytest.raises(xoxe.StoreSealedError, match="fleet-1"):
        xoxe.Rotator.config(client, db.store(chain)).current()
    assert xoxe.Rotator.config(client, db.store(chain).sealed(keyring)).current() == token
    (listed,) = [c for c in db.store(chain).chains() if c.chain == chain]
    assert isinstance(listed.error, xoxe.StoreSealedError)
    assert sealed.remove_chain() is True


class _Backend:
    """A one-document host store (compare-and-swap on the generation)."""

    def __init__(self) -> None:
        self.generation: int | None = None
        self.document: str | None = None

    def load(self) -> str | None:
        return self.document

    def save(self, expected_generation: int | None, new_generation: int, document: str) -> bool:
        if self.generation != expected_generation:
            return False
        self.generation, self.document = new_generation, document
        return True


def test_a_sealed_foreign_store_hands_its_backend_sealed_documents(
    tmp_path: Path, slack: FakeSlack, client: xoxe.Client
) -> None:
    backend = _Backend()
    keyring = xoxe.Keyring.from_file(_keyring_file(tmp_path / "keys", ("host-1", _key())))
    plain = xoxe.ForeignStore(backend, name="host")
    sealed = plain.sealed(keyring)
    assert type(sealed) is xoxe.ForeignStore and sealed.backend is backend
    assert repr(sealed) == "<xoxe.ForeignStore 'host' sealed>"
    refresh = slack.new_config_refresh_token()
    sealed.init(refresh)
    token = _rotate(client, sealed)
    assert backend.document is not None
    doc = json.loads(backend.document)
    assert doc["xoxe_sealed"] == 1 and doc["kid"] == "host-1"
    assert token.token.get_secret_value() not in backend.document and "xoxe-1-" not in backend.document
    with pytest.raises(xoxe.StoreSealedError, match="host-1"):
        xoxe.Rotator.config(client, plain).current()
    assert xoxe.Rotator.config(client, sealed).current() == token
