#!/usr/bin/env python3
"""Replays the planted bugs of the 2026-12-02 test audit against the suites.

Each mutant is one small edit of the core (the audit's M1..M16, as the code reads
today). For every mutant this copies the tree to a scratch directory outside the
clone, applies the edit, rebuilds, and runs the chosen suites: a suite that still
passes lets the mutant survive. The unmutated tree must pass first.

    tests/mutants/audit.py [--suites rust,c,python,go] [--only M2,M8] [--markdown FILE]

Rust alone takes about 2 minutes a mutant on 2 cores; every suite about 6.
`make mutants` runs it for the Rust suite; the note in MUTANTS.md says which suites
were run. The scratch tree and its cargo target live in ~/.cache/xoxe/audit-mutants
(XOXE_MUTANT_SCRATCH), so later runs build incrementally.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Mutant:
    name: str
    promise: str
    file: str
    edits: tuple[tuple[str, str], ...]


MUTANTS: Sequence[Mutant] = (
    Mutant("M1b", "a token-spending call is never sent twice", "src/client.rs", ()),
    Mutant(
        "M2a",
        "the store's temp file is fsynced before the rename",
        "src/store/file.rs",
        (("        tmp.as_file().sync_all().map_err(io)?;\n", ""),),
    ),
    Mutant(
        "M2b",
        "the store's directory is fsynced after the rename",
        "src/store/file.rs",
        (("        File::open(dir).and_then(|d| d.sync_all()).map_err(io)?;\n", "        let _ = dir;\n"),),
    ),
    Mutant(
        "M3",
        "the store file is replaced atomically, never written in place",
        "src/store/file.rs",
        (
            (
                "        let mut tmp = tempfile::Builder::new()",
                "        let mut f = OpenOptions::new().write(true).create(true).truncate(true).mode(0o600)"
                ".open(&self.path).map_err(io)?;\n        f.write_all(&json).map_err(io)?;\n"
                "        f.sync_all().map_err(io)?;\n        let mut tmp = tempfile::Builder::new()",
            ),
            ("        tmp.persist(&self.path).map_err(|e| io(e.error))?;\n", "        drop(tmp);\n"),
        ),
    ),
    Mutant(
        "M4",
        "a file store's rotation holds an exclusive flock across processes",
        "src/store/file.rs",
        (("libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB)", "{ let _ = file.as_raw_fd(); 0 }"),),
    ),
    Mutant(
        "M6b",
        "no secret in any log line (a client secret planted in a debug line)",
        "src/methods/oauth.rs",
        (
            (
                '        check_credential("client_secret", client_secret)?;\n        check_credential("refresh_token", refresh_token)?;\n',
                '        check_credential("client_secret", client_secret)?;\n        check_credential("refresh_token", refresh_token)?;\n'
                '        crate::log::xlog!(Debug, "refreshing with client secret {client_secret}");\n',
            ),
        ),
    ),
    Mutant(
        "M8",
        "short tokens rotate at half their lifetime, rounded up",
        "src/rotator.rs",
        (("window = (lifetime + 1) / 2;", "window = (lifetime - 1) / 2;"),),
    ),
    Mutant(
        "M9",
        "a C result handle's strings are zeroed on free",
        "src/ffi/strings.rs",
        (
            ("    buffers: Vec<Zeroizing<Vec<u8>>>,", "    buffers: Vec<Vec<u8>>,"),
            ("self.buffers.push(Zeroizing::new(bytes));", "self.buffers.push(bytes);"),
            ("use zeroize::Zeroizing;\n", ""),
        ),
    ),
    Mutant(
        "M10",
        "single flight inside a process, whatever the store",
        "src/rotator.rs",
        (("        while *busy {\n", "        while false && *busy {\n"),),
    ),
    Mutant(
        "M11",
        "a rotated pair whose save failed is never handed out",
        "src/rotator.rs",
        (
            (
                "            self.keep_unsaved(pair);\n            return Err(e);\n",
                "            return Ok(self.adopt(pair));\n",
            ),
        ),
    ),
    Mutant(
        "M13",
        "the store is re-read at once before a chain is declared dead",
        "src/rotator.rs",
        (("        let mut latest = self.load_pair()?;\n", "        let mut latest = used.clone();\n"),),
    ),
    Mutant(
        "M14",
        "expiry comes from the local send time plus the lifetime, not Slack's clock",
        "src/rotator.rs",
        (
            (
                "            expires_at: sent_at + next.lifetime,\n",
                "            expires_at: next.expires_at + 0 * sent_at,\n",
            ),
            (
                "..StoredPair::seed(ChainKind::Config, t.refresh_token, Some(t.token), 0)",
                "..StoredPair::seed(ChainKind::Config, t.refresh_token, Some(t.token), t.exp)",
            ),
        ),
    ),
    Mutant(
        "M15",
        "`xoxe status` shows the refresh token redacted",
        "src/bin/xoxe/commands.rs",
        (("pair.refresh_token.redacted()", "pair.refresh_token.expose()"),),
    ),
    Mutant(
        "M16",
        "no resolver thread per request",
        "src/client.rs",
        (
            (
                "        let authority = uri.authority().ok_or(ureq::Error::HostNotFound)?;\n",
                "        if uri.port_u16() != Some(1) {\n            return self.inner.resolve(uri, config, timeout);\n        }\n"
                "        let authority = uri.authority().ok_or(ureq::Error::HostNotFound)?;\n",
            ),
        ),
    ),
)

# M1b (resend a rotation after a timeout) needs a larger edit of the send path; it was
# caught in every language by the audit and is left to cargo-mutants here.
MUTANTS = tuple(m for m in MUTANTS if m.edits)


def run(cmd: list[str], cwd: Path, env: dict[str, str], log: Path) -> bool:
    with log.open("ab") as out:
        out.write(("\n$ " + " ".join(cmd) + "\n").encode())
        out.flush()
        return subprocess.run(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT).returncode == 0


def lib_stamp(release: Path) -> str:
    return hashlib.sha256((release / "libxoxe.a").read_bytes()).hexdigest()[:16]


def suites(tree: Path, target: Path, issued: Path) -> dict[str, list[tuple[list[str], Path]]]:
    release = target / "release"
    return {
        "rust": [(["cargo", "test", "--workspace", "--locked"], tree)],
        "c": [
            (
                [
                    "make",
                    "--no-print-directory",
                    "-C",
                    "tests/c",
                    "build",
                    "run",
                    f"BUILD={target}/c-tests",
                    f"RELEASE={release}",
                ],
                tree,
            )
        ],
        "python": [
            (
                [str(ROOT / "build/python/venv/bin/python"), "-m", "pytest", "-q", "-x", "tests"],
                tree / "bindings/python",
            )
        ],
        "go": [(["go", "test", "-count=1", "./..."], tree / "bindings/go")],
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--suites", default="rust")
    ap.add_argument("--only", default="")
    ap.add_argument("--markdown", type=Path)
    args = ap.parse_args()
    chosen = [s for s in args.suites.split(",") if s]
    only = {m for m in args.only.split(",") if m}
    scratch = Path(os.environ.get("XOXE_MUTANT_SCRATCH", Path.home() / ".cache/xoxe/audit-mutants"))
    tree, target = scratch / "tree", scratch / "target"
    logs = scratch / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    if tree.exists():
        shutil.rmtree(tree)
    # The sources only: no build output, no git, no fuzz corpora (the target lives beside).
    shutil.copytree(
        ROOT, tree, symlinks=True, ignore=shutil.ignore_patterns("build", "target", ".git", "corpus", "__pycache__")
    )
    issued = scratch / "issued-tokens.txt"
    env = dict(
        os.environ,
        CARGO_TARGET_DIR=str(target),
        XOXE_LOG="debug",
        XOXE_ISSUED_TOKENS=str(issued),
        XOXE_LIBRARY=str(target / "release/libxoxe.so"),
        XOXE_FAKE_SLACK=str(target / "release/fake-slack"),
        PYTHONPATH=str(tree / "bindings/python/src"),
        CGO_ENABLED="1",
        GOFLAGS="-mod=mod",
    )
    env.pop("XOXE_TEST_LOGS", None)
    commands = suites(tree, target, issued)

    def attempt(name: str) -> dict[str, str]:
        log = logs / f"{name}.log"
        log.write_bytes(b"")
        issued.write_bytes(b"")
        if not run(["cargo", "build", "--release", "--workspace", "--locked"], tree, env, log):
            return {s: "unviable" for s in chosen}
        env["CGO_CFLAGS"] = f"-g -O2 -DXOXE_LIB_STAMP={lib_stamp(target / 'release')}"
        result = {}
        for s in chosen:
            suite_log = logs / f"{name}-{s}.log"
            suite_log.write_bytes(b"")
            ok = all(run(cmd, cwd, env, suite_log) for cmd, cwd in commands[s])
            scan = subprocess.run(
                [str(ROOT / "scripts/secret-scan.sh"), str(issued), str(logs)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            ).returncode
            result[s] = "passed" if ok and scan == 0 else ("caught by the secret scan" if ok else "caught")
            for f in logs.glob(f"{name}-*.log"):
                f.unlink()  # keep later scans to this mutant's own logs
        return result

    print("baseline (no mutant) ...", flush=True)
    base = attempt("baseline")
    if any(v != "passed" for v in base.values()):
        print(f"the unmutated tree fails: {base}; see {logs}/baseline.log", file=sys.stderr)
        return 1
    rows = []
    for m in MUTANTS:
        if only and m.name not in only:
            continue
        path = tree / m.file
        original = path.read_text()
        text = original
        for old, new in m.edits:
            if text.count(old) != 1:
                print(
                    f"{m.name}: the code it mutates changed ({m.file}); update tests/mutants/audit.py", file=sys.stderr
                )
                return 1
            text = text.replace(old, new)
        path.write_text(text)
        start = time.time()
        try:
            result = attempt(m.name)
        finally:
            path.write_text(original)
        verdict = "SURVIVED" if "passed" in result.values() else "caught"
        rows.append((m, result, verdict))
        print(f"{m.name}: {verdict} {result} ({time.time() - start:.0f} s)", flush=True)
    lines = ["| mutant | promise | " + " | ".join(chosen) + " | verdict |", "|---|---|" + "---|" * len(chosen) + "---|"]
    for m, result, verdict in rows:
        lines.append(
            f"| {m.name} (`{m.file}`) | {m.promise} | " + " | ".join(result[s] for s in chosen) + f" | {verdict} |"
        )
    table = "\n".join(lines)
    print(table)
    if args.markdown:
        args.markdown.write_text(table + "\n")
    return 1 if any(v == "SURVIVED" for _, _, v in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
