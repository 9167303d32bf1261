"""The README's framework lines, "Keeping tokens fresh", "A fleet", "Many chains" and "Installs" examples
work as written (against the fake Slack, and the throwaway PostgreSQL of conftest
``databases``)."""

from __future__ import annotations

import base64
import json
import os
import re
from pathlib import Path

import pytest
from conftest import ROOT, Database, FakeSlack, unique_chain

README = ROOT / "bindings" / "python" / "README.md"


def _blocks(heading: str = "Keeping tokens fresh") -> list[str]:
    text = README.read_text()
    section = text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def test_the_section_has_both_examples() -> None:
    blocks = _blocks()
    assert len(blocks) == 2
    assert "FileStore" in blocks[0] and "ForeignStore" in blocks[1]


@pytest.mark.parametrize("index", [0, 1], ids=["file store", "foreign store"])
def test_readme_example_runs(
    index: int, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    refresh = slack.new_config_refresh_token()
    monkeypatch.setenv("XOXE_BASE_URL", slack.base_url)
    monkeypatch.setenv("XOXE_CONFIG_REFRESH_TOKEN", refresh.get_secret_value())
    before = slack.stats()
    code = compile(_blocks()[index], f"README.md block {index}", "exec")
    ns: dict = {"__name__": "readme_example"}
    exec(code, ns)
    out = capsys.readouterr().out
    after = slack.stats()
    assert after["rotations"] - before["rotations"] == 1 + index  # block 1 also forces one
    assert after["refresh_token_reuses"] == before["refresh_token_reuses"]
    assert "xoxe.xoxp-" in out and refresh.get_secret_value() not in out
    stored = ns["path"] if index == 0 else ns["db_path"]
    assert os.stat(stored).st_mode & 0o077 == 0, "the file holding tokens is private"


def test_the_fleet_example_runs(
    slack: FakeSlack,
    databases: dict[str, Database],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (block,) = _blocks("A fleet: PostgreSQL or Redis")
    chain = unique_chain("readme")
    assert block.count('chain="slack-config"') == 2
    block = block.replace('chain="slack-config"', f'chain="{chain}"')  # a chain of this run's own
    db = databases["postgres"]
    refresh = slack.new_config_refresh_token()
    monkeypatch.setenv("XOXE_BASE_URL", slack.base_url)
    monkeypatch.setenv("XOXE_STORE_URL", db.url.get_secret_value())
    monkeypatch.setenv("XOXE_CONFIG_REFRESH_TOKEN", refresh.get_secret_value())
    before = slack.stats()
    for run in range(2):  # a second replica: the chain is started already, its token fresh
        exec(compile(block, "README.md fleet block", "exec"), {"__name__": "readme_example"})
        assert slack.stats()["rotations"] - before["rotations"] == 1, f"run {run}"
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert len(lines) == 2 and lines[0] == lines[1] and lines[0].startswith("xoxe.xoxp-"), "one token, redacted"
    assert refresh.get_secret_value() not in out and db.password.get_secret_value() not in out


def test_the_pool_example_runs(
    slack: FakeSlack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (block,) = _blocks("Many chains: a pool, and sealing at rest")
    key = base64.b64encode(os.urandom(32)).decode()
    refresh = slack.new_config_refresh_token()
    monkeypatch.setenv("XOXE_KEYRING", f"readme-1 {key}")
    monkeypatch.setenv("XOXE_BASE_URL", slack.base_url)
    monkeypatch.setenv("XOXE_CONFIG_REFRESH_TOKEN", refresh.get_secret_value())
    before = slack.stats()
    ns: dict = {"__name__": "readme_example"}
    exec(compile(block, "README.md pool block", "exec"), ns)
    out = capsys.readouterr().out
    assert slack.stats()["rotations"] - before["rotations"] == 1
    token_line, chain_line = out.splitlines()
    assert token_line.startswith("xoxe.xoxp-") and "…" in token_line, "the token, redacted"
    assert chain_line == "app-config config 1"
    text = open(os.path.join(ns["directory"], "app-config.json")).read()
    assert json.loads(text)["kid"] == "readme-1", "sealed at rest"
    assert refresh.get_secret_value() not in out + text and key not in out


def test_the_install_example_runs(
    slack: FakeSlack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (block,) = _blocks("Installs: OAuth and uninstall")
    app = slack.new_app()
    code = slack.control("POST", "authorization_code", {"client_id": app.client_id, "team_id": "T0123README"})
    monkeypatch.setenv("XOXE_BASE_URL", slack.base_url)
    monkeypatch.setenv("SLACK_CLIENT_ID", app.client_id)
    monkeypatch.setenv("SLACK_CLIENT_SECRET", app.client_secret.get_secret_value())
    monkeypatch.setenv("SLACK_OAUTH_CODE", code["code"])
    before = slack.stats()
    ns: dict = {"__name__": "readme_example"}
    exec(compile(block, "README.md install block", "exec"), ns)
    out = capsys.readouterr().out
    after = slack.stats()
    assert after["installs"] - before["installs"] == 1
    assert after["revocations"] - before["revocations"] == 2, "bot and user token revoked"
    ids_line, token_line = out.splitlines()
    assert ids_line.startswith("T0123README (") and "'bot:-:T0123README'" in ids_line
    assert token_line.startswith("xoxe.xoxb-") and "…" in token_line, "the bot token, redacted"
    leaked = code["code"] in out or app.client_secret.get_secret_value() in out
    assert not leaked
    assert ns["store"].chains() == [], "uninstalled: every chain deleted"


def test_the_framework_lines_build_a_bolt_app_and_a_slack_sdk_client_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slack: FakeSlack
) -> None:
    """The "Already using Bolt or slack_sdk?" blocks, run in order in one namespace as a
    reader would paste them: they build without a network call and without a warning."""
    import warnings

    import slack_bolt
    import slack_sdk
    import xoxe.bolt

    blocks = _blocks("Already using Bolt or slack_sdk? Add these lines")
    assert len(blocks) == 4
    chains = tmp_path / "chains"
    chains.mkdir(mode=0o700)
    app = slack.new_app()
    monkeypatch.setenv("CHAINS_DIR", str(chains))
    monkeypatch.setenv("SLACK_CLIENT_ID", app.client_id)
    monkeypatch.setenv("SLACK_CLIENT_SECRET", app.client_secret.get_secret_value())
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "readme-signing-secret")
    ns: dict = {"__name__": "readme_frameworks"}
    with warnings.catch_warnings():
        warnings.simplefilter("error", xoxe.bolt.BothRotateWarning)
        for i, block in enumerate(blocks):
            exec(compile(block, f"README.md frameworks block {i}", "exec"), ns)
    assert isinstance(ns["app"], slack_bolt.App) and ns["app"].oauth_flow is not None
    assert xoxe.bolt.check_app(ns["app"]) == []
    assert isinstance(ns["async_app"], slack_bolt.async_app.AsyncApp)
    assert isinstance(ns["client"], slack_sdk.WebClient) and ns["client"].chain == "bot:-:T0123"
    ns["pool"].close()
