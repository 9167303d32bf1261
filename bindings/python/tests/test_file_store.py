"""FileStore promises that only show from outside the process: the new pair reaches the
disk durably and atomically (temp file, fsync, rename, fsync of the directory; checked on
the syscalls under strace), and the flock on ``<path>.lock`` really excludes other
processes (an outside lock times a rotation out; 4 processes x 4 threads never spend a
refresh token twice — nor do they on one chain in PostgreSQL or Redis, whose lease
stands for the flock).

The children run tests/_store_child.py; they print counts, never a token.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import xoxe
from conftest import SHARED_KINDS, Database, FakeSlack

ROTATE = "tooling.tokens.rotate"
CHILD = Path(__file__).with_name("_store_child.py")
TRACED = "openat,write,fsync,fdatasync,rename,renameat,renameat2"


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(Path(xoxe.__file__).resolve().parents[1])  # this xoxe package
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _last_json(stdout: str) -> dict[str, Any]:
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    assert lines, "the child printed no result"
    return json.loads(lines[-1])  # type: ignore[no-any-return]


# ---- durability and atomicity: the syscalls of one save, in order -----------------


@dataclass
class Syscall:
    name: str
    paths: list[str]  # the files it names: openat's, write's/fsync's (strace -y), rename's (old, new)
    flags: str  # openat's flags
    result: str  # the return value
    line: int


_LINE = re.compile(r"^(\d+)\s+(\w+)\((.*)\)\s+=\s+(\S+)")
_RESUMED = re.compile(r"^(\d+)\s+<\.\.\. \w+ resumed>(.*)$")
_QUOTED = re.compile(r'^"((?:[^"\\]|\\.)*)"$')
_DECORATED = re.compile(r"^(?:-?\d+|AT_FDCWD)<(.*)>$")  # an fd and its file (strace -y)


def _args(text: str) -> list[str]:
    """Top-level arguments: commas inside quotes or <...> decorations do not split."""
    out, cur, depth, quoted, escaped = [], "", 0, False, False
    for ch in text:
        if quoted:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                quoted = False
        elif ch == '"':
            quoted = True
        elif ch == "<":
            depth += 1
        elif ch == ">":
            depth = max(0, depth - 1)  # "TCP:[a->b]" holds a '>' of its own
        elif ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
            continue
        cur += ch
    out.append(cur.strip())
    return out


def _path(dirfd: str | None, arg: str) -> str:
    q = _QUOTED.match(arg)
    name = q.group(1) if q else arg
    if dirfd is not None and not name.startswith("/"):
        d = _DECORATED.match(dirfd)
        name = os.path.join(d.group(1) if d else "?", name)
    return name


def _parse_strace(text: str) -> list[Syscall]:
    """strace -f -y -s 0 output as syscalls, in the order they returned (an interrupted
    call is joined with its resumption). Write buffers are not in it (-s 0)."""
    calls: list[Syscall] = []
    pending: dict[str, str] = {}
    for n, raw in enumerate(text.splitlines()):
        if raw.endswith("<unfinished ...>"):
            pending[raw.split(None, 1)[0]] = raw[: -len("<unfinished ...>")].rstrip()
            continue
        r = _RESUMED.match(raw)
        if r and r.group(1) in pending:
            raw = pending.pop(r.group(1)) + r.group(2)
        m = _LINE.match(raw)
        if not m:
            continue
        _, name, arg_text, result = m.groups()
        a = _args(arg_text)
        flags = ""
        if name == "openat" and len(a) >= 3:
            paths, flags = [_path(a[0], a[1])], a[2]
        elif name in ("write", "fsync", "fdatasync"):
            d = _DECORATED.match(a[0])
            paths = [d.group(1) if d else a[0]]
        elif name == "rename" and len(a) >= 2:
            paths = [_path(None, a[0]), _path(None, a[1])]
        elif name in ("renameat", "renameat2") and len(a) >= 4:
            paths = [_path(a[0], a[1]), _path(a[2], a[3])]
        else:
            continue
        calls.append(Syscall(name, paths, flags, result, n))
    return calls


def _describe(calls: list[Syscall], interesting: list[str]) -> str:
    """The calls touching the store's directory, for a failure message (paths only)."""
    keep = [c for c in calls if any(p.startswith(d) for p in c.paths for d in interesting)]
    return "\n".join(f"  {c.name}({', '.join(c.paths)}{', ' + c.flags if c.flags else ''})" for c in keep[:60])


def test_a_rotation_saves_durably_and_atomically_temp_fsync_rename_fsync_dir(slack: FakeSlack, tmp_path: Path) -> None:
    """README: "the new pair is saved durably (temp file 0600, fsync, rename, fsync the
    directory) before get() returns it". A kill cannot show a missing fsync (the page
    cache survives it); the syscalls can. Fails when the fsyncs go (audit M2) or the
    store file is rewritten in place (M3)."""
    strace = shutil.which("strace")
    if strace is None:
        pytest.fail(
            "strace is required for this test: `make deps` (scripts/ensure-deps.sh) installs it, "
            "or apt-get install strace"
        )
    store_dir = tmp_path / "store"
    store_dir.mkdir()
    store = store_dir / "pair.json"
    lock = str(store) + ".lock"
    xoxe.FileStore(store).init(slack.new_config_refresh_token())
    trace = tmp_path / "strace.txt"
    rotations = slack.stats()["rotations"]
    proc = subprocess.run(
        [
            strace,
            "-f",
            "-qq",
            "-y",
            "-s",
            "0",
            "-o",
            str(trace),
            "-e",
            f"trace={TRACED}",
            sys.executable,
            str(CHILD),
            "rotate",
            slack.base_url,
            str(store),
        ],
        env=_child_env(),
        stdout=subprocess.PIPE,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, f"the traced child failed with {proc.returncode} (its stderr is above)"
    assert _last_json(proc.stdout)["expires_at"] > time.time()
    assert slack.stats()["rotations"] == rotations + 1, "the child rotated once"

    calls = _parse_strace(trace.read_text())
    where = f"syscalls on {store_dir}:\n" + _describe(calls, [str(store_dir)])
    d, s = str(store_dir), str(store)
    assert any(c.name == "openat" and c.paths == [s] for c in calls), "the child never read the store: " + where

    # The store file itself is never opened for writing, nor written through any fd.
    for c in calls:
        if c.name == "openat" and c.paths == [s]:
            assert "O_RDONLY" in c.flags and not re.search(r"O_WRONLY|O_RDWR|O_TRUNC|O_CREAT|O_APPEND", c.flags), (
                "the store file was opened for writing (written in place, not replaced): " + where
            )
        if c.name == "write":
            assert c.paths[:1] != [s], "the store file was written in place: " + where

    # Exactly one rename onto the store, from a temp file in the same directory.
    renames = [c for c in calls if c.name.startswith("rename") and c.paths[-1:] == [s]]
    assert len(renames) == 1, "the store was not replaced by one rename: " + where
    rename = renames[0]
    tmp = rename.paths[-2]
    assert os.path.dirname(tmp) == d and tmp not in (s, lock), "the temp file is not beside the store: " + where

    # The temp file: created (0600, exclusively), written, fsynced, then renamed.
    created = [c for c in calls if c.name == "openat" and c.paths == [tmp] and c.line < rename.line]
    assert created and "O_CREAT" in created[0].flags and "O_EXCL" in created[0].flags, (
        "the temp file was not created exclusively: " + where
    )
    writes = [c for c in calls if c.name == "write" and c.paths[:1] == [tmp] and created[0].line < c.line < rename.line]
    assert writes and all(int(w.result) > 0 for w in writes), "the new pair was not written to the temp file: " + where
    synced = [
        c
        for c in calls
        if c.name in ("fsync", "fdatasync") and c.paths[:1] == [tmp] and writes[-1].line < c.line < rename.line
    ]
    assert synced and synced[-1].result == "0", "the temp file was not fsynced before the rename: " + where

    # Then the directory, so the rename itself survives a power loss.
    dir_synced = [c for c in calls if c.name in ("fsync", "fdatasync") and c.paths[:1] == [d] and c.line > rename.line]
    assert dir_synced and dir_synced[0].result == "0", "the directory was not fsynced after the rename: " + where

    # And the result is the new pair, private, with nothing left behind.
    assert oct(store.stat().st_mode & 0o777) == oct(0o600)
    assert json.loads(store.read_text())["generation"] == 1
    assert sorted(p.name for p in store_dir.iterdir()) == ["pair.json", "pair.json.lock"]


# ---- the flock on <path>.lock spans processes -------------------------------------


def test_a_lock_held_elsewhere_times_a_rotation_out(client: xoxe.Client, slack: FakeSlack, tmp_path: Path) -> None:
    """Another process holding the flock on <path>.lock (here an open file description
    of the test's own: flock locks conflict between descriptions, as between processes)
    blocks a rotation: LockTimeoutError after lock_timeout, no request sent, store
    untouched. Fails without the flock (audit M4)."""
    path = tmp_path / "pair.json"
    store = xoxe.FileStore(path, lock_timeout=0.3)
    store.init(slack.new_config_refresh_token())
    before = path.read_bytes()
    rotator = xoxe.Rotator.config(client, store)
    requests = slack.requests(ROTATE)
    fd = os.open(str(path) + ".lock", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # "another process" is rotating
        with pytest.raises(xoxe.LockTimeoutError) as info:
            rotator.get()
        assert str(path) in info.value.message
        assert slack.requests(ROTATE) == requests, "nothing was sent while another process held the lock"
        assert path.read_bytes() == before
    finally:
        os.close(fd)  # releases the flock
    token = rotator.get()  # and with the lock free again, the rotation goes ahead
    assert slack.requests(ROTATE) == requests + 1
    assert client.auth_test(token.token).user_id
    rotator.close()


@pytest.mark.parametrize("store_kind", SHARED_KINDS)
def test_four_processes_of_four_threads_never_spend_a_refresh_token_twice(
    slack: FakeSlack,
    tmp_path: Path,
    store_kind: str,
    make_store: Callable[[], xoxe.Store],
    request: pytest.FixtureRequest,
) -> None:
    """README: several processes may share one file, the flock serialises their rotations
    and each re-reads the file first. 4 processes x 4 threads each force rotations on one
    FileStore at once: every token handed out passes auth.test, Slack sees no refresh
    token used twice, and the chain is alive afterwards. Fails without the flock (audit
    M4). The same with one chain in PostgreSQL or Redis (the fleet: the lease serialises
    the rotations), each process with its own connection."""
    processes, threads_n, rounds = 4, 4, 8
    path = tmp_path / "pair.json"
    env = _child_env()
    with make_store() as seed:
        seed.init(slack.new_config_refresh_token())
        spec = str(path)
        if store_kind != "file":
            db: Database = request.getfixturevalue("databases")[store_kind]
            env["XOXE_CHILD_STORE_URL"] = db.url.get_secret_value()
            assert isinstance(seed, (xoxe.PostgresStore, xoxe.RedisStore))
            spec = f"{'postgres' if store_kind == 'postgres' else 'redis'}:{seed.chain}"
    go = tmp_path / "go"
    before = slack.stats()
    children: list[subprocess.Popen[str]] = []
    ready: list[Path] = []
    try:
        for i in range(processes):
            ready.append(tmp_path / f"ready-{i}")
            children.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        str(CHILD),
                        "work",
                        slack.base_url,
                        spec,
                        str(threads_n),
                        str(rounds),
                        str(ready[-1]),
                        str(go),
                    ],
                    env=env,
                    stdout=subprocess.PIPE,
                    text=True,
                )
            )
        deadline = time.monotonic() + 120
        while not all(r.exists() for r in ready):  # every child has its rotator
            assert all(c.poll() is None for c in children), "a child exited before it was ready"
            assert time.monotonic() < deadline, "the children did not get ready within 120 s"
            time.sleep(0.01)
        go.touch()
        results: list[dict[str, Any] | None] = []
        for c in children:
            out, _ = c.communicate(timeout=300)
            results.append(_last_json(out) if c.returncode == 0 else None)
    finally:
        for c in children:
            if c.poll() is None:
                c.kill()
                c.wait()
    assert all(r is not None for r in results), "a child failed (its stderr is above)"
    failures = [f for r in results if r for f in r["failures"]]
    assert not failures, f"{len(failures)} worker(s) failed, e.g. {failures[:2]}"
    after = slack.stats()
    reuses = after["refresh_token_reuses"] - before["refresh_token_reuses"]
    assert reuses == 0, f"{reuses} refresh token(s) spent twice across processes"
    checked = sum(r["checked"] for r in results if r)
    assert checked == processes * threads_n * rounds * 2, "every token handed out passed auth.test"
    rotations = after["rotations"] - before["rotations"]
    assert rotations >= processes, f"only {rotations} rotations: the processes did not contend"
    # The store always parsed (no failure above) and holds the live end of the chain.
    with xoxe.Client(slack.base_url, timeout=60) as client:
        with xoxe.Rotator.config(client, make_store()) as rotator:
            assert store_kind != "file" or json.loads(path.read_text())["generation"] == rotations
            assert client.auth_test(rotator.force_rotate().token).user_id
    assert slack.stats()["refresh_token_reuses"] == before["refresh_token_reuses"]
    print(f"4x4 {store_kind} store: {checked} tokens checked, {rotations} rotations, 0 reuses")
