"""The état du droit in the sources panel and the exports, the rich-text export, the « Pas trouvé » hint and
the sources shown under each answer on a narrow screen."""

from __future__ import annotations

from assistant.answer import Answer, AnswerSentence, Citation
from assistant.types import Chunk, Hit
from ui import render

EVIL = "<script>alert('x')</script>"


def cited(text: str = "Les EPCI exercent la compétence politique de la ville.", **kw: object) -> Citation:
    fields: dict[str, object] = {"id": "c1", "source": "textes/cgct.jsonl", "root": "/corpus",
                                 "title": "Article L5216-5", "date": "2015-05", "kind": "texte officiel",
                                 "valid_as_of": "2015-05", "record_id": "cgct:L5216-5"}
    fields.update(kw)
    return Citation(1, Hit(Chunk(text=text, **fields), 1.0, 1))  # type: ignore[arg-type]


def answer(question: str = "Qui porte le contrat de ville ?", abstained: bool = False, **kw: object) -> Answer:
    sentence = AnswerSentence("Les EPCI exercent la compétence politique de la ville.", (1,), True, 1.0)
    return Answer(question, f"{sentence.text} [1]\n\nDeuxième paragraphe.", abstained, "extractive",
                  (cited(**kw),), (sentence,))


def test_sources_panel_and_markdown_show_the_etat_du_droit() -> None:
    a = answer()
    assert "<dt>État du droit</dt><dd>05/2015</dd>" in render.sources_html([(1, a)])
    assert "état du droit au 05/2015" in render.answer_markdown(a)
    undated = answer(valid_as_of=None)
    assert "État du droit" not in render.sources_html([(1, undated)])
    assert "état du droit" not in render.answer_markdown(undated)


def test_rich_text_export_is_a_document_word_can_open() -> None:
    html = render.answer_rich_html(answer(question=f"Qui ? {EVIL}"))
    assert html.startswith("<!DOCTYPE html>") and 'lang="fr"' in html and '<meta charset="utf-8">' in html
    assert "<sup>[1]</sup>" in html and html.count("<p>") >= 3  # two paragraphs of the answer, the footer
    assert '<ol><li value="1">Article L5216-5' in html and "état du droit au 05/2015" in html
    assert EVIL not in html and "&lt;script&gt;" in html


def test_not_found_suggests_removing_filters_only_when_some_are_set() -> None:
    gone = answer(abstained=True)
    assert "retirez les filtres" in render.answer_html(gone, 1, filtered=True)
    assert "retirez les filtres" not in render.answer_html(gone, 1)
    assert "Essayez d'autres mots" in render.answer_html(gone, 1)


def test_sources_under_the_answer_have_their_own_ids() -> None:
    a = answer()
    inline = render.inline_sources_html(2, a)
    assert 'id="cf-isrc-2-1"' in inline and render.source_id(2, 1) not in inline
    assert 'class="cf-inline-sources"' in inline and "Article L5216-5" in inline
    assert render.inline_sources_html(2, answer(abstained=True)).count("Pistes") == 1
    assert render.inline_sources_html(3, Answer("q", "", True, "extractive", (), ())) == ""
