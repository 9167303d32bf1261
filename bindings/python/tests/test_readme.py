"""The README's "Keeping tokens fresh" examples work as written (against the fake Slack)."""

from __future__ import annotations

import os
import re

import pytest
from conftest import ROOT, FakeSlack

README = ROOT / "bindings" / "python" / "README.md"


def _blocks() -> list[str]:
    text = README.read_text()
    section = text.split("\n## Keeping tokens fresh\n", 1)[1].split("\n## ", 1)[0]
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
