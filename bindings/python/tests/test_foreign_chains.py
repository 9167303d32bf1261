"""``ForeignChainsStore``: a host keeping many chains in Python (a dict here), bound
through ``xoxe_chain_callbacks``. Each chain opened gets its own document; a pool over
the host rotates several chains against the fake Slack; ``chains()`` goes through the
host's ``list``, ``remove_chain``/``Pool.remove`` through its ``remove``; a host without
them is unsupported; the library's ``release`` runs once per opened chain and once for
the host (counted); a failing host method is a ``StoreIoError`` whose cause is the
host's exception, with nothing left registered; and a sealed handle hands the host
sealed documents only.
"""

from __future__ import annotations

import base64
import collections
import gc
import json
import os
import threading
import weakref
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
import xoxe
from conftest import FakeSlack, unique_chain
from xoxe import Secret, _store

# ---- a host keeping many chains in a dict -----------------------------------------


class Chain:
    """One chain's backend, as the host's ``open`` hands it out: a view on the host's
    dict (compare-and-swap on the chain's generation)."""

    def __init__(self, host: Chains, name: str) -> None:
        self.host = host
        self.name = name

    def load(self) -> str | None:
        with self.host.mu:
            entry = self.host.docs.get(self.name)
            return None if entry is None else entry[1]

    def save(self, expected_generation: int | None, new_generation: int, document: str) -> bool:
        with self.host.mu:
            entry = self.host.docs.get(self.name)
            if (None if entry is None else entry[0]) != expected_generation:
                return False
            self.host.docs[self.name] = (new_generation, document)
            return True


class Chains:
    """Many chains in one dict, ``name -> (generation, document)``, as a table with a
    row per chain would keep them. Counts what the library asked for."""

    def __init__(self) -> None:
        self.mu = threading.Lock()
        self.docs: dict[str, tuple[int, str]] = {}
        self.opened: list[str] = []
        self.removed: list[str] = []
        self.listed = 0

    def open(self, chain: str) -> Chain:
        with self.mu:
            self.opened.append(chain)
        return Chain(self, chain)

    def list(self) -> list[str]:
        with self.mu:
            self.listed += 1
            return list(self.docs)

    def remove(self, chain: str) -> bool:
        with self.mu:
            self.removed.append(chain)
            return self.docs.pop(chain, None) is not None

    def document(self, chain: str) -> str:
        with self.mu:
            return self.docs[chain][1]


class OpenOnly:
    """A host with ``open`` only: listing and removal are unsupported."""

    def __init__(self) -> None:
        self.host = Chains()

    def open(self, chain: str) -> Chain:
        return self.host.open(chain)


# ---- counting the library's release callbacks -------------------------------------


class _CountingBackends(dict[int, Any]):
    """Stands in for ``_store._BACKENDS``: records what each key was registered for
    and how many times ``release`` (the only caller of ``pop``) ran for it."""

    def __init__(self, entries: dict[int, Any]) -> None:
        super().__init__(entries)
        self.registered: dict[int, str] = {}  # key -> "host" or the chain's name
        self.releases: collections.Counter[int] = collections.Counter()

    def __setitem__(self, key: int, value: Any) -> None:
        self.registered[key] = value.name if isinstance(value, Chain) else "host"
        super().__setitem__(key, value)

    def pop(self, key: int, *default: Any) -> Any:
        self.releases[key] += 1
        return super().pop(key, *default)


@pytest.fixture
def backends(monkeypatch: pytest.MonkeyPatch) -> Iterator[_CountingBackends]:
    """``_store._BACKENDS`` counted for one test; whatever is still registered at the
    end goes back into the real one, so stores that outlive the test keep working."""
    original = _store._BACKENDS
    counting = _CountingBackends(dict(original))
    monkeypatch.setattr(_store, "_BACKENDS", counting)
    yield counting
    for key in counting.releases:
        original.pop(key, None)
    original.update(counting)


def _freed() -> None:
    """Lets every object the test dropped go (and so the library handles they own)."""
    for _ in range(3):
        gc.collect()


def _seed(store: xoxe.Store, slack: FakeSlack, names: Iterable[str]) -> None:
    for name in names:
        with store.open_chain(name) as chain:
            chain.init(slack.new_config_refresh_token())


def _valid(client: xoxe.Client, token: xoxe.AccessToken) -> bool:
    return bool(client.auth_test(token.token).user_id)


def _names(n: int) -> list[str]:
    prefix = unique_chain("host")
    return [f"{prefix}-{i}" for i in range(n)]


# ---- many chains, a pool over them ------------------------------------------------


def test_each_chain_gets_its_own_document_and_a_pool_rotates_them(slack: FakeSlack, client: xoxe.Client) -> None:
    host = Chains()
    store = xoxe.ForeignChainsStore(host, name="host dict")
    assert store.backend is host and store.chain is None and store.name == "host dict"
    assert repr(store) == "<xoxe.ForeignChainsStore 'host dict'>"
    assert host.opened == ["default"], "the store's own chain is opened when it is made"
    names = _names(3)
    _seed(store, slack, names)
    assert sorted(host.docs) == sorted(names), "one document per chain, under its own name"
    assert len({doc for _, doc in host.docs.values()}) == 3
    seeded = {name: host.docs[name][0] for name in names}

    before = slack.stats()
    with xoxe.Pool(client, store) as pool:
        tokens = {name: pool.get(name) for name in names}
        after = slack.stats()
        assert after["rotations"] - before["rotations"] == 3, "one rotation per never-rotated chain"
        assert after["refresh_token_reuses"] == before["refresh_token_reuses"]
        assert len({t.token for t in tokens.values()}) == 3
        assert all(_valid(client, t) for t in tokens.values())
        requests = slack.requests("tooling.tokens.rotate")
        assert all(pool.get(name) == tokens[name] for name in names), "fresh: served from memory"
        assert slack.requests("tooling.tokens.rotate") == requests
        assert pool.store is store
    # Each rotation was saved into its own chain's document before it was handed out.
    for name in names:
        assert host.docs[name][0] == seeded[name] + 1
        with store.open_chain(name) as chain:
            assert repr(chain) == f"<xoxe.ForeignChainsStore 'host dict' chain={name!r}>"
            assert xoxe.Rotator.config(client, chain).current() == tokens[name]
    # chains() lists them through the host's list callback.
    listed_before = host.listed
    statuses = store.chains()
    assert host.listed == listed_before + 1
    assert [c.chain for c in statuses] == sorted(names)
    assert all(c.error is None and c.kind is xoxe.ChainKind.CONFIG for c in statuses)
    assert {c.chain: c.generation for c in statuses} == {name: host.docs[name][0] for name in names}
    store.close()


def test_a_store_made_for_a_named_chain_is_that_chain(slack: FakeSlack, client: xoxe.Client) -> None:
    host = Chains()
    name = _names(1)[0]
    store = xoxe.ForeignChainsStore(host, name)
    assert store.chain == name and host.opened == [name] and store.name == "Chains"
    store.init(slack.new_config_refresh_token())
    assert list(host.docs) == [name]
    seeded = host.docs[name][0]
    with xoxe.Rotator.config(client, store) as rotator:
        token = rotator.get()
    assert _valid(client, token)
    assert host.docs[name][0] == seeded + 1


def test_threads_asking_a_pool_for_several_host_chains_rotate_each_once(slack: FakeSlack, client: xoxe.Client) -> None:
    host = Chains()
    store = xoxe.ForeignChainsStore(host, name="shared host")
    names = _names(4)
    _seed(store, slack, names)
    before = slack.stats()
    start = threading.Barrier(8)
    got: list[dict[str, xoxe.AccessToken]] = [{} for _ in range(8)]
    problems: list[str] = []
    with xoxe.Pool(client, store, wait_timeout=120) as pool:

        def work(i: int) -> None:
            try:
                start.wait(timeout=60)
                for name in names[i % 4 :] + names[: i % 4]:
                    got[i][name] = pool.get(name)
            except BaseException as exc:  # xoxe errors hold no secret
                problems.append(repr(exc))

        threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
    assert not any(t.is_alive() for t in threads)
    assert not problems, problems
    after = slack.stats()
    assert after["rotations"] - before["rotations"] == 4, "each chain rotated once however many asked"
    assert after["refresh_token_reuses"] == before["refresh_token_reuses"]
    for name in names:
        assert len({g[name].token for g in got}) == 1


# ---- listing and removal ------------------------------------------------------------


def test_remove_chain_and_pool_remove_call_the_hosts_remove(slack: FakeSlack, client: xoxe.Client) -> None:
    host = Chains()
    store = xoxe.ForeignChainsStore(host)
    a, b, c = _names(3)
    _seed(store, slack, [a, b, c])
    with store.open_chain(a) as chain:
        assert chain.remove_chain() is True
        assert host.removed == [a] and a not in host.docs
        assert chain.remove_chain() is False, "nothing left to remove"
        with pytest.raises(xoxe.StoreEmptyError):
            xoxe.Rotator.config(client, chain).current()
    with xoxe.Pool(client, store) as pool:
        assert pool.get(b).token
        assert pool.remove(b) is True
        assert host.removed == [a, a, b] and b not in host.docs
        with pytest.raises(xoxe.StoreEmptyError):
            pool.get(b)
        assert pool.remove(b) is False
        assert pool.get(c).token
    assert [s.chain for s in store.chains()] == [c]


def test_a_host_without_list_or_remove_is_unsupported(slack: FakeSlack, client: xoxe.Client) -> None:
    backend = OpenOnly()
    store = xoxe.ForeignChainsStore(backend, name="open only")
    assert not isinstance(backend, Chains) and isinstance(backend, xoxe.ChainBackend)
    with pytest.raises(xoxe.UnsupportedError, match="no list callback"):
        store.chains()
    with pytest.raises(xoxe.UnsupportedError):
        store.rewrite_chains()
    name = _names(1)[0]
    with store.open_chain(name) as chain:
        chain.init(slack.new_config_refresh_token())
        with pytest.raises(xoxe.UnsupportedError, match="no remove callback"):
            chain.remove_chain()
    # Rotating needs neither.
    with xoxe.Pool(client, store) as pool:
        assert _valid(client, pool.get(name))
        with pytest.raises(xoxe.UnsupportedError):
            pool.remove(name)
    assert name in backend.host.docs


# ---- release ------------------------------------------------------------------------


def test_release_runs_once_per_opened_chain_and_once_for_the_host(
    backends: _CountingBackends, slack: FakeSlack, client: xoxe.Client
) -> None:
    host = Chains()
    host_ref = weakref.ref(host)
    store = xoxe.ForeignChainsStore(host, name="counted")
    names = _names(3)
    _seed(store, slack, names)
    chain_view = store.open_chain(names[0])
    # One rotator in memory at a time: asking in turn drops and reopens chains.
    pool = xoxe.Pool(client, store, max_chains_in_memory=1)
    for _ in range(2):
        for name in names:
            assert pool.get(name).token
    rotator = xoxe.Rotator.config(client, store.open_chain(names[1]))
    assert rotator.get().token
    assert len(store.chains()) == 3
    opened = list(host.opened)
    chains_registered = [k for k, what in backends.registered.items() if what != "host"]
    [host_key] = [k for k, what in backends.registered.items() if what == "host"]
    assert len(chains_registered) == len(opened) >= 1 + 3 + 1 + 6, "the pool reopened chains it had dropped"
    assert sorted(backends.registered[k] for k in chains_registered) == sorted(opened)
    # Still in use: the host is not released while anything made from it lives.
    store.close()
    pool.close()
    del store, pool, host
    _freed()
    assert backends.releases[host_key] == 0 and host_ref() is not None
    chain_view.close()
    rotator.close()
    del chain_view, rotator
    _freed()
    assert {k: backends.releases[k] for k in chains_registered} == dict.fromkeys(chains_registered, 1)
    assert backends.releases[host_key] == 1
    assert not set(backends.registered) & set(backends), "the binding holds nothing it registered"
    assert host_ref() is None, "the binding let go of the host"


def test_an_exception_in_open_is_a_store_io_error_and_nothing_leaks(
    backends: _CountingBackends, slack: FakeSlack, client: xoxe.Client, capfd: pytest.CaptureFixture[str]
) -> None:
    secret = Secret("xoxe-1-" + base64.b32encode(os.urandom(20)).decode())

    class Failing(Chains):
        """Refuses to open chains named ``bad*``, saying something secret."""

        def open(self, chain: str) -> Chain:
            if chain.startswith("bad"):
                raise RuntimeError(f"the vault refused: {secret.get_secret_value()}")
            return super().open(chain)

    host = Failing()
    # When the store's own chain cannot be opened, no store is made: nothing is kept.
    with pytest.raises(xoxe.StoreIoError) as made:
        xoxe.ForeignChainsStore(host, "bad-first", name="vault")
    assert isinstance(made.value.__cause__, RuntimeError)
    assert "open" in made.value.message and "vault" in made.value.message
    assert not backends.registered.keys() & backends.keys()

    store = xoxe.ForeignChainsStore(host, name="vault")
    good = _names(1)[0]
    _seed(store, slack, [good])
    with pytest.raises(xoxe.StoreIoError) as opened:
        store.open_chain("bad-later")
    assert isinstance(opened.value.__cause__, RuntimeError)
    with xoxe.Pool(client, store) as pool:
        with pytest.raises(xoxe.StoreIoError) as got:
            pool.get("bad-pool")
        assert isinstance(got.value.__cause__, RuntimeError)
        assert pool.get(good).token, "one chain failing to open does not stop the others"
    # A listed chain that cannot be opened is listed with its error.
    host.docs["bad-listed"] = (1, "{}")
    statuses = {s.chain: s for s in store.chains()}
    assert statuses[good].error is None
    assert isinstance(statuses["bad-listed"].error, xoxe.StoreIoError)

    for error in (made.value, opened.value, got.value, statuses["bad-listed"].error):
        assert secret.get_secret_value() not in f"{error!s} {error!r} {error.message}"
    store.close()
    # Errors keep the frames they came through, and so the handles those held; and
    # this thread's error slot keeps the exception of a callback whose call went on
    # to succeed (chains() above) until the next call, which the next line makes.
    del store, made, opened, got, statuses, error
    xoxe.MemoryStore().close()
    _freed()
    captured = capfd.readouterr()
    assert secret.get_secret_value() not in captured.out + captured.err, "nothing printed the host's exception"
    assert all(n == 1 for n in backends.releases.values())
    assert not backends.registered.keys() & backends.keys(), "every chain opened and the host were released"


def test_wrong_answers_from_host_methods_are_store_errors(backends: _CountingBackends) -> None:
    class Wrong(Chains):
        def __init__(self) -> None:
            super().__init__()
            self.answer: Any = None
            self.names: Any = []

        def open(self, chain: str) -> Any:
            return self.answer if chain.startswith("wrong") else super().open(chain)

        def list(self) -> Any:
            return self.names

        def remove(self, chain: str) -> Any:
            return "yes"

    class HalfLock(Chain):
        unlock = None

        def lock(self) -> None:
            pass

    host = Wrong()
    store = xoxe.ForeignChainsStore(host)
    for answer in (None, object(), HalfLock(host, "wrong")):
        host.answer = answer
        with pytest.raises(xoxe.StoreIoError) as info:
            store.open_chain("wrong")
        assert isinstance(info.value.__cause__, TypeError)
    for names, cause in [(["a", 3], TypeError), ("abc", TypeError), (["a\0b"], ValueError), (None, TypeError)]:
        host.names = names
        with pytest.raises(xoxe.StoreIoError) as listed:
            store.chains()
        assert isinstance(listed.value.__cause__, cause)
    host.names = ["ok", "../escape"]
    with pytest.raises(xoxe.StoreCorruptError, match="not valid"):
        store.chains()
    with store.open_chain("ok") as chain, pytest.raises(xoxe.StoreIoError) as removed:
        chain.remove_chain()
    assert isinstance(removed.value.__cause__, TypeError)
    store.close()
    del store, chain, info, listed, removed  # errors keep the frames (and handles) they came through
    _freed()
    assert not backends.registered.keys() & backends.keys()


def test_foreign_chains_store_validation() -> None:
    class NoOpen:
        def list(self) -> list[str]:
            return []

    class BadList(Chains):
        list = "not a method"  # type: ignore[assignment]

    with pytest.raises(TypeError, match="open"):
        xoxe.ForeignChainsStore(NoOpen())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="list"):
        xoxe.ForeignChainsStore(BadList())
    with pytest.raises(ValueError):
        xoxe.ForeignChainsStore(Chains(), name="bad\0name")
    with pytest.raises(xoxe.UsageError):
        xoxe.ForeignChainsStore(Chains(), "../escape")
    with pytest.raises(xoxe.UsageError):
        xoxe.ForeignChainsStore(Chains()).open_chain("")
    assert isinstance(Chains(), xoxe.ChainBackend)
    assert not isinstance(NoOpen(), xoxe.ChainBackend)
    # A single-chain host store has no other chains to open.
    with pytest.raises(xoxe.UnsupportedError):
        xoxe.ForeignStore(Chain(Chains(), "x")).open_chain("y")


# ---- sealed -----------------------------------------------------------------------


def _keyring(path: Path, kid: str) -> xoxe.Keyring:
    key = base64.b64encode(os.urandom(32)).decode()
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(f"{kid} {key}\n")
    return xoxe.Keyring.from_file(path)


def test_a_sealed_host_store_hands_the_host_sealed_documents(
    tmp_path: Path, slack: FakeSlack, client: xoxe.Client
) -> None:
    host = Chains()
    keyring = _keyring(tmp_path / "keys", "host-chains-1")
    plain = xoxe.ForeignChainsStore(host, name="host")
    sealed = plain.sealed(keyring)
    assert type(sealed) is xoxe.ForeignChainsStore and sealed.backend is host and sealed.keyring is keyring
    assert repr(sealed) == "<xoxe.ForeignChainsStore 'host' sealed>"
    names = _names(3)
    refresh = {name: slack.new_config_refresh_token() for name in names}
    for name in names:
        with sealed.open_chain(name) as chain:
            assert chain.keyring is keyring, "chains opened from a sealed handle are sealed"
            chain.init(refresh[name])
    with xoxe.Pool(client, sealed) as pool:
        tokens = {name: pool.get(name) for name in names}
    secrets = [t.token for t in tokens.values()] + list(refresh.values())
    for name in names:
        doc = host.document(name)
        parsed = json.loads(doc)
        assert parsed["xoxe_sealed"] == 1 and parsed["kid"] == "host-chains-1"
        assert "xoxe-1-" not in doc and "xoxe.xoxp-" not in doc
        assert not any(s.get_secret_value() in doc for s in secrets), "no token in clear in the host's dict"
    # The plain handle cannot read them; the sealed one lists and serves them.
    with pytest.raises(xoxe.StoreSealedError, match="host-chains-1"):
        xoxe.Rotator.config(client, plain.open_chain(names[0])).current()
    assert all(isinstance(s.error, xoxe.StoreSealedError) for s in plain.chains())
    assert [s.chain for s in sealed.chains() if s.error is None] == sorted(names)
    assert xoxe.Rotator.config(client, sealed.open_chain(names[1])).current() == tokens[names[1]]


def test_rewrite_chains_seals_every_chain_of_a_plain_host(
    tmp_path: Path, slack: FakeSlack, client: xoxe.Client
) -> None:
    host = Chains()
    plain = xoxe.ForeignChainsStore(host)
    names = _names(2)
    _seed(plain, slack, names)
    assert all("xoxe-1-" in host.document(n) for n in names)
    sealed = plain.sealed(_keyring(tmp_path / "keys", "rewrite-1"))
    assert sealed.rewrite_chains() == 2
    assert all(json.loads(host.document(n))["kid"] == "rewrite-1" for n in names)
    assert all("xoxe-1-" not in host.document(n) for n in names)
    with xoxe.Pool(client, sealed) as pool:
        assert all(_valid(client, pool.get(n)) for n in names)
