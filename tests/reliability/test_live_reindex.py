"""Issue 12, high 1: a chat keeps answering while another process ingests, and sees the result at once."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from assistant.service import Assistant
from assistant.settings import Settings
from tests.reliability.conftest import ingest_json

BASE = {
    "stable.md": "# Conseil citoyen\n\nLe conseil citoyen réunit des habitants tirés au sort du quartier.\n",
    "doomed.md": "# Zanzibar\n\nLe mot zanzibarite désigne ici un passage voué à disparaître de l'index.\n",
    "changing.md": "# Version\n\nLa première version parle de pétunias oranges.\n",
}


def sources(assistant: Assistant, query: str) -> set[str]:
    return {h.chunk.source for h in assistant.search(query, k=10, mode="bm25")}


def test_chat_answers_through_ingestions_by_another_process(tmp_path: Path) -> None:
    corpus, data = tmp_path / "corpus", tmp_path / "data"
    corpus.mkdir()
    for name, text in BASE.items():
        (corpus / name).write_text(text, encoding="utf-8")
    code, _ = ingest_json(corpus, data=data)
    assert code == 0
    assistant = Assistant(Settings(data_dir=data, embedder="hash", chunk_size=400, chunk_overlap=60))
    assert sources(assistant, "zanzibarite") == {"doomed.md"}

    errors: list[BaseException] = []
    asked = 0
    stop = threading.Event()

    def ask_in_a_loop() -> None:  # a chat user, all along
        nonlocal asked
        while not stop.is_set():
            for question in ("Qui compose le conseil citoyen ?", "zanzibarite", "pétunias", "capucines"):
                try:  # search, not ask: the answer path is tested elsewhere, retrieval is what broke
                    for mode in ("hybrid", "dense", "bm25"):
                        assistant.search(question, k=6, mode=mode)  # type: ignore[arg-type]
                except BaseException as exc:  # noqa: BLE001 — any failure is what this test counts
                    errors.append(exc)
                asked += 1
                time.sleep(0.005)

    user = threading.Thread(target=ask_in_a_loop)
    user.start()
    try:
        (corpus / "doomed.md").unlink()
        (corpus / "changing.md").write_text("# Version\n\nLa seconde version parle de capucines.\n", encoding="utf-8")
        (corpus / "added.md").write_text("# Nouveau\n\nUn document nouveau parle de xylophones.\n", encoding="utf-8")
        code, report = ingest_json(corpus, data=data)
        assert code == 0 and (report["added"], report["updated"], report["removed"]) == (1, 1, 1)
        time.sleep(0.5)  # the user keeps asking after the ingestion too
    finally:
        stop.set()
        user.join()
    assert asked > 0 and not errors, f"{len(errors)} erreurs sur {asked} questions : {errors[:3]!r}"
    # The same Assistant, never rebuilt: new text found, removed and replaced text gone, on both sides.
    assert sources(assistant, "xylophones") == {"added.md"}
    assert sources(assistant, "capucines") == {"changing.md"}
    assert sources(assistant, "zanzibarite") == set()
    assert sources(assistant, "pétunias") == set()
    dense = assistant.search("Un document nouveau parle de xylophones.", k=3, mode="dense")
    assert dense[0].chunk.source == "added.md"
    assert all(h.chunk.source != "doomed.md" for h in assistant.search("zanzibarite", k=10, mode="dense"))
