"""Feedback: stored with the answer, settings and versions; exported in the evaluation question format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.errors import CarrefourError
from assistant.service import Assistant, answer_json
from assistant.settings import Settings
from assistant.types import Filters
from ui.chat import Chat
from ui.cli import main
from ui.feedback import FeedbackStore

KEYS = ["id", "question", "answerable", "gold", "key_facts", "notes"]


def test_store_and_export_format(ui_assistant: Assistant, ui_settings: Settings) -> None:
    chat = Chat(ui_assistant, ui_settings)
    good = ui_assistant.ask("Qui compose le conseil citoyen ?")
    assert not good.abstained and good.citations
    chat.record_feedback(good.question, answer_json(good), "up", history=["Question d'avant ?"])
    chat.record_feedback(good.question, answer_json(good), "down", "Le passage parle d'autre chose.", True)
    chat.record_feedback(good.question, answer_json(good), "down", "Incomplet.")
    nothing = ui_assistant.ask("Quel est le budget du festival de Trifouilly-les-Oies ?")
    assert nothing.abstained
    chat.record_feedback(nothing.question, answer_json(nothing), "down", "Il y a pourtant une fiche.")

    stored = chat.feedback.all()
    assert [f.rating for f in stored] == ["up", "down", "down", "down"]
    first = stored[0]
    assert first.answer["answer"] == good.text and first.answer["citations"][0]["source"]
    assert first.history == ["Question d'avant ?"]
    assert first.settings["embedder"] == "hash" and first.settings["chat_mode"] == "extractive"
    assert {"carrefour", "gradio", "pipeline", "embedder", "python"} <= set(first.versions)
    assert stored[1].wrong_source and stored[1].comment == "Le passage parle d'autre chose."
    assert ui_settings.feedback_path == ui_settings.data_dir / "feedback.sqlite" and ui_settings.feedback_path.exists()

    up, wrong, bad, missed = chat.feedback.export()
    for q in (up, wrong, bad, missed):
        assert list(q) == KEYS and q["key_facts"] == [] and isinstance(q["notes"], str)
    assert up["id"] == "retour-0001" and up["question"] == good.question and up["answerable"] is True
    assert {"source": "fiches/conseils-citoyens.md", "section": "Composition", "record_id": None} in up["gold"]
    assert wrong["gold"] == [] and "source erronée" in wrong["notes"] and "Le passage parle" in wrong["notes"]
    assert bad["gold"] == up["gold"] and "à vérifier" in bad["notes"]
    assert missed["answerable"] is True and missed["gold"] == [] and "attendait une réponse" in missed["notes"]


def test_rating_must_be_up_or_down(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "f.sqlite")
    assert store.add("q", {"answer": "a"}, "👎") == 1
    with pytest.raises(CarrefourError, match="Avis inconnu"):
        store.add("q", {}, "bof")
    assert FeedbackStore(tmp_path / "absent.sqlite").export() == []


def test_feedback_on_a_turn_of_the_conversation(ui_assistant: Assistant, ui_settings: Settings) -> None:
    chat = Chat(ui_assistant, ui_settings)
    *_, (_, _, turns) = chat.respond("Qui compose le conseil citoyen ?", [], Filters())
    *_, (_, _, turns) = chat.respond("et ses missions ?", turns, Filters())
    assert "Posez d'abord" in chat.feedback_on([], None, "up", "", False)
    message = chat.feedback_on(turns, 2, "down", "", True)
    assert "👎" in message and "source erronée" in message
    (saved,) = chat.feedback.all()
    assert saved.question == "et ses missions ?" and saved.history == ["Qui compose le conseil citoyen ?"]


def test_cli_export(ui_settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    FeedbackStore(ui_settings.feedback_path).add("Une question ?", {"answer": "r", "citations": []}, "up")
    out = tmp_path / "export" / "retours.jsonl"
    assert main(["feedback", "export", "--data-dir", str(ui_settings.data_dir), "--out", str(out)]) == 0
    (line,) = out.read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["question"] == "Une question ?"
    assert "1 avis exportés" in capsys.readouterr().err
    assert main(["feedback", "export", "--data-dir", str(ui_settings.data_dir)]) == 0
    assert json.loads(capsys.readouterr().out)["id"] == "retour-0001"
