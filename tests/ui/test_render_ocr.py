"""A passage read by OCR says so in the sources panel and in the Markdown export."""

from __future__ import annotations

from assistant.answer import Answer, AnswerSentence, Citation
from assistant.types import Chunk, Hit
from ui import render

NOTE = "texte obtenu par reconnaissance de caractères"


def _answer(ocr: bool) -> Answer:
    chunk = Chunk(id="c1", text="Le conseil citoyen se réunit chaque trimestre.", source="actes/scan.pdf",
                  root="/corpus", title="Actes", page=2, metadata={"ocr": True} if ocr else {})
    sentence = AnswerSentence("Le conseil citoyen se réunit chaque trimestre.", (1,), True)
    return Answer("Quand ?", "Le conseil citoyen se réunit chaque trimestre. [1]", False, "extractive",
                  (Citation(1, Hit(chunk, 1.0, 1)),), (sentence,), {})


def test_sources_panel_and_export_say_the_text_comes_from_ocr() -> None:
    scanned, typed = _answer(ocr=True), _answer(ocr=False)
    assert NOTE in render.source_card(scanned.citations[0], scanned, 1)
    assert NOTE in render.answer_markdown(scanned)
    assert NOTE not in render.source_card(typed.citations[0], typed, 1)
    assert NOTE not in render.answer_markdown(typed)
