"""The chat without Gradio: streamed turns, follow-ups, filters, errors as short French messages, intro, export."""

from __future__ import annotations

from collections.abc import Iterator
from html import escape
from pathlib import Path

from assistant.answer import Answer
from assistant.errors import CarrefourError, StoreError
from assistant.service import Assistant
from assistant.settings import Settings
from assistant.types import Filters
from ui.chat import UNEXPECTED, Chat, filters_from


class Broken(Assistant):
    """An assistant whose store fails, then whose code has a bug."""

    error: Exception = StoreError("Index illisible : relancez « carrefour ingest ».")

    def ask_stream(self, *args: object, **kwargs: object) -> Iterator[str | Answer]:
        raise self.error


def test_stream_shows_the_question_then_the_cited_answer(ui_assistant: Assistant, ui_settings: Settings) -> None:
    chat = Chat(ui_assistant, ui_settings)
    steps = list(chat.respond("  Qui compose   le conseil citoyen ? ", [], Filters()))
    first_conversation, _, first_turns = steps[0]
    assert "Qui compose le conseil citoyen ?" in first_conversation and "Recherche dans les documents" in first_conversation
    assert first_turns == []
    conversation, sources, turns = steps[-1]
    assert len(turns) == 1 and turns[0].answer and turns[0].answer.citations
    assert 'class="cf-cite"' in conversation and 'id="cf-src-1-1"' in sources and "document?root=" in sources
    *_, (_, _, turns) = chat.respond("et ses missions ?", turns, Filters())
    assert turns[1].answer and turns[1].answer.citations[0].hit.chunk.source == "fiches/conseils-citoyens.md"
    assert list(chat.respond("   ", turns, Filters()))[-1][2] == turns  # nothing asked, nothing changed


def test_filters_reach_the_search(ui_assistant: Assistant, ui_settings: Settings) -> None:
    chat = Chat(ui_assistant, ui_settings)
    *_, (_, _, turns) = chat.respond("compétences de la communauté de communes", [],
                                     filters_from("texte officiel", None, None, ""))
    assert turns[0].answer and {c.hit.chunk.kind for c in turns[0].answer.citations} == {"texte officiel"}
    assert filters_from("", 2020.0, 2010.0, "fiches") == Filters(None, 2010, 2020, "fiches")
    assert filters_from(None, None, None, None).empty
    assert filters_from("", 0, 0, "", "").empty  # what the page sends once the filters are opened, nothing set


def test_errors_become_a_short_french_message(ui_assistant: Assistant, ui_settings: Settings) -> None:
    broken = Broken(ui_settings)  # on the index ui_assistant filled: an empty one is said before asking
    chat = Chat(broken, ui_settings)
    conversation, _, turns = list(chat.respond("Une question ?", [], Filters()))[-1]
    assert "Index illisible" in conversation and "Traceback" not in conversation and turns[0].error
    broken.error = ZeroDivisionError("division by zero")
    conversation, _, turns = list(chat.respond("Une autre ?", turns, Filters()))[-1]
    assert escape(UNEXPECTED) in conversation and "division" not in conversation and len(turns) == 2


def test_intro_describes_the_corpus_from_the_index(ui_assistant: Assistant, ui_settings: Settings) -> None:
    intro = Chat(ui_assistant, ui_settings).intro()
    assert "**3 documents**" in intro and "- fiches de synthèse : 1 document, " in intro
    assert "textes officiels (lois, décrets, articles de codes) : 1 document" in intro and "Légifrance" in intro
    assert "sans date d'état du droit" in intro and "mai 2015" not in intro  # nothing the index does not say
    empty = Chat(Assistant(ui_settings.model_copy(update={"data_dir": ui_settings.data_dir / "vide"})), ui_settings)
    assert "L'index est vide : lancez `carrefour ingest`" in empty.intro()


def test_intro_gives_the_range_of_etat_du_droit(ui_assistant: Assistant, ui_settings: Settings) -> None:
    root = ui_settings.corpus_dir / "lois"
    root.mkdir()
    (root / ".carrefour.toml").write_text('kind = "texte officiel"\nvalid_as_of = "2015-05"\n', encoding="utf-8")
    (root / "a.md").write_text("# Article 1\n\nLe contrat de ville est intercommunal.\n", encoding="utf-8")
    (root / "b.md").write_text("---\nvalid_as_of: 2025-12\n---\n# Article 2\n\nTexte modifié.\n", encoding="utf-8")
    from ingest.pipeline import Ingestor

    Ingestor(ui_settings, ui_assistant.embedder, ui_assistant.store, quiet=True).run([ui_settings.corpus_dir])
    intro = Chat(ui_assistant, ui_settings).intro()
    assert "textes officiels (lois, décrets, articles de codes) : 3 documents, 3 passages, état du droit du " \
           "05/2015 au 12/2025 (vérifiez la version en vigueur sur Légifrance)" in intro


def test_an_empty_index_is_said_instead_of_not_found(ui_settings: Settings) -> None:
    chat = Chat(Assistant(ui_settings.model_copy(update={"data_dir": ui_settings.data_dir / "vide"})), ui_settings)
    conversation, _, turns = list(chat.respond("Qui compose le conseil citoyen ?", [], Filters()))[-1]
    assert "L&#x27;index est vide : lancez `carrefour ingest`" in conversation and "Pas trouvé" not in conversation
    assert turns[0].error and turns[0].answer is None


def test_not_found_mentions_filters_only_when_set(ui_assistant: Assistant, ui_settings: Settings) -> None:
    chat = Chat(ui_assistant, ui_settings)
    question = "Quel est le budget du festival de Trifouilly-les-Oies ?"
    conversation, _, _ = list(chat.respond(question, [], Filters()))[-1]
    assert "Pas trouvé" in conversation and "retirez les filtres" not in conversation
    conversation, _, _ = list(chat.respond(question, [], Filters(kind="fiche")))[-1]
    assert "Pas trouvé" in conversation and "retirez les filtres" in conversation


def test_sources_also_sit_under_each_answer(ui_assistant: Assistant, ui_settings: Settings) -> None:
    chat = Chat(ui_assistant, ui_settings)
    conversation, sources, _ = list(chat.respond("Qui compose le conseil citoyen ?", [], Filters()))[-1]
    assert 'class="cf-inline-sources"' in conversation and 'id="cf-isrc-1-1"' in conversation
    assert 'id="cf-src-1-1"' in sources and 'id="cf-src-1-1"' not in conversation


def test_export_of_a_turn(ui_assistant: Assistant, ui_settings: Settings) -> None:
    chat = Chat(ui_assistant, ui_settings)
    *_, (_, _, turns) = chat.respond("Qui compose le conseil citoyen ?", [], Filters())
    text, path = chat.export(turns, 1)
    assert "[^1]:" in text and path and Path(path).read_text(encoding="utf-8") == text
    assert chat.export(turns, 5) == ("", None)
    preview, html_path = chat.export_rich(turns, 1)
    assert html_path and html_path.endswith(".html") and "<sup>[1]</sup>" in preview
    assert Path(html_path).read_text(encoding="utf-8").startswith("<!DOCTYPE html>") and "<body>" not in preview
    assert chat.export_rich(turns, 5) == ("", None)


def test_api_ask_returns_the_answer_json(ui_assistant: Assistant, ui_settings: Settings) -> None:
    chat = Chat(ui_assistant, ui_settings)
    out = chat.api_ask("Qui compose le conseil citoyen ?", kind="fiche")
    assert not out["abstained"] and out["citations"][0]["kind"] == "fiche" and "[^1]" in out["markdown"]
    try:
        chat.api_ask("  ")
    except CarrefourError as exc:
        assert "Question vide" in str(exc)
    else:
        raise AssertionError("an empty question must be refused")


def test_the_speakers_of_proceedings_are_a_filter(tmp_path: Path) -> None:
    import shutil

    from ingest.pipeline import Ingestor

    corpus = tmp_path / "corpus" / "actes"
    corpus.mkdir(parents=True)
    shutil.copy(Path(__file__).parents[1] / "ingest" / "data" / "table-ronde.txt", corpus / "table-ronde.txt")
    settings = Settings(data_dir=tmp_path / "data", embedder="hash", corpus_dir=corpus.parent)
    assistant = Assistant(settings)
    assert not Ingestor(settings, assistant.embedder, assistant.store, quiet=True).run([corpus.parent]).failed
    chat = Chat(assistant, settings)
    speakers = dict(chat.facets().speakers)
    assert {"Sébastien Jallet", "Loïc Cauret", "Denis Vallance"} <= set(speakers) and speakers["Loïc Cauret"] >= 2
    answer = chat.api_ask("conseils citoyens et intercommunalités", speaker="Loïc Cauret")
    assert answer["citations"] and {c["speaker"] for c in answer["citations"]} == {"Loïc Cauret"}
    assert filters_from("", None, None, "", "Loïc Cauret") == Filters(speaker="Loïc Cauret")
