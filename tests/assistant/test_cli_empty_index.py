"""`search` and `ask` on an index that is missing or empty say so and exit 1, without creating anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import EMPTY_INDEX
from ui.cli import main


@pytest.mark.parametrize("command", [["search", "conseil citoyen"], ["ask", "Qui compose le conseil citoyen ?"],
                                     ["search", "conseil", "--json"]])
def test_missing_index(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                       command: list[str]) -> None:
    monkeypatch.setenv("CARREFOUR_EMBEDDER", "hash")
    data = tmp_path / "jamais-indexe"
    assert main([*command, "--data-dir", str(data)]) == 1
    out = capsys.readouterr()
    assert EMPTY_INDEX in out.err and "carrefour ingest" in out.err and out.out == ""
    assert not data.exists()


def test_empty_index(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARREFOUR_EMBEDDER", "hash")
    empty = tmp_path / "vide"
    empty.mkdir()
    data = tmp_path / "data"
    assert main(["ingest", str(empty), "--data-dir", str(data), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["ask", "Qui ?", "--data-dir", str(data)]) == 1
    assert EMPTY_INDEX in capsys.readouterr().err
