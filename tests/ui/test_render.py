"""HTML of answers and sources: escaping, highlighting, unsupported sentences, abstention; Markdown export."""

from __future__ import annotations

import re

from assistant.answer import NOT_FOUND, Answer, AnswerSentence, Citation
from assistant.types import Chunk, Hit
from ui import render

EVIL = "<script>alert('x')</script> <img src=x onerror=alert(1)>"


def chunk(text: str, **kw: object) -> Chunk:
    fields: dict[str, object] = {"id": "c1", "source": "fiches/conseils.md", "root": "/corpus", "title": "Conseils",
                                 "section": "Conseils > Composition", "date": "2014-02-21", "kind": "fiche"}
    fields.update(kw)
    return Chunk(text=text, **fields)  # type: ignore[arg-type]


PASSAGE = ("Le conseil citoyen est mis en place dans chaque quartier. Il est composé d'habitants tirés au sort. "
           "Il se réunit chaque trimestre.")


def answer(sentences: list[AnswerSentence], question: str = "Qui compose le conseil ?",
           passage: str = PASSAGE, **kw: object) -> Answer:
    text = " ".join(s.text + "".join(f" [{n}]" for n in s.citations) for s in sentences)
    citations = (Citation(1, Hit(chunk(passage, page=3, page_end=4), 1.0, 1)),)
    return Answer(question, text, False, "extractive", citations, tuple(sentences), {"retrieve_ms": 120.0}, **kw)  # type: ignore[arg-type]


def visible_text(html: str) -> str:
    """What a browser shows, roughly: tags dropped, entities decoded."""
    from html import unescape

    return unescape(re.sub(r"<[^>]+>", "", html))


def test_script_in_passage_question_and_title_is_text() -> None:
    a = Answer(EVIL, f"{EVIL} [1]", False, "llm",
               (Citation(1, Hit(chunk(f"Début. {EVIL} Fin.", title=EVIL, source=f"{EVIL}.md"), 1.0, 1)),),
               (AnswerSentence(EVIL, (1,), True, 1.0),))
    pages = [render.question_html(a.question), render.answer_html(a, 1), render.sources_html([(1, a)]),
             render.partial_html(EVIL, 1), render.error_html(EVIL)]
    for page in pages:
        assert "<script" not in page and "<img" not in page
        assert "&lt;script&gt;" in page
        assert "<script>alert('x')</script>" in visible_text(page)


def test_markers_link_to_their_source_card() -> None:
    a = answer([AnswerSentence("Il est composé d'habitants tirés au sort.", (1,), True, 1.0)])
    body = render.answer_html(a, 2)
    assert 'href="#cf-src-2-1"' in body and ">[1]</a>" in body
    assert 'id="cf-src-2-1"' in render.sources_html([(2, a)])


def test_supporting_sentence_is_highlighted_in_the_passage() -> None:
    a = answer([AnswerSentence("Il est composé d'habitants tirés au sort.", (1,), True, 1.0)])
    card = render.sources_html([(1, a)])
    assert "<mark>Il est composé d&#x27;habitants tirés au sort.</mark>" in card
    assert card.count("<mark>") == 1
    for shown in ("Conseils — Composition", "Conseils &gt; Composition", "p. 3–4", "21/02/2014", "fiche",
                  "fiches/conseils.md"):
        assert shown in card


def test_paraphrase_highlights_the_closest_passage_sentence() -> None:
    spans = render.highlight_spans(PASSAGE, ["Des habitants tirés au sort le composent."])
    assert [PASSAGE[a:b] for a, b in spans] == ["Il est composé d'habitants tirés au sort."]


def test_unsupported_sentence_is_marked() -> None:
    a = answer([AnswerSentence("Il est composé d'habitants tirés au sort.", (1,), True, 1.0),
                AnswerSentence("Le maire le préside toujours.", (1,), False, 0.1)])
    body = render.answer_html(a, 1)
    assert body.count('class="cf-unsupported"') == 1
    unsupported = re.search(r'<span class="cf-unsupported"[^>]*>(.*?)</span>', body)
    assert unsupported and "Le maire le préside toujours." in unsupported.group(1)
    assert "non vérifiée" in body and "1 phrase(s) non étayée(s)" in body


def test_abstention_says_not_found_and_lists_leads() -> None:
    hit = Hit(chunk(PASSAGE), 0.2, 1)
    a = Answer("Quel budget pour Trifouilly ?", f"{NOT_FOUND} Passages … [1] Conseils.", True, "extractive",
               (Citation(1, hit),), ())
    body = render.answer_html(a, 1)
    assert "Pas trouvé" in body and 'href="#cf-src-1-1"' in body and "Conseils — Composition" in body
    assert "Pistes" in render.sources_html([(1, a)])
    empty = Answer("x", NOT_FOUND, True, "extractive", (), ())
    assert "aucun passage proche" in render.answer_html(empty, 1)


def test_sources_of_earlier_answers_are_folded() -> None:
    a = answer([AnswerSentence("Il est composé d'habitants tirés au sort.", (1,), True, 1.0)])
    html = render.sources_html([(1, a), (2, a)])
    assert html.index("cf-src-2-1") < html.index("cf-src-1-1")  # latest first
    assert html.count("<details") == 2 and html.count(" open>") == 1


def test_document_link_comes_from_the_given_function() -> None:
    a = answer([AnswerSentence("Il est composé d'habitants tirés au sort.", (1,), True, 1.0)])
    html = render.sources_html([(1, a)], lambda c: f"document?path={c.source}&x=<b>#page={c.page}")
    assert 'href="document?path=fiches/conseils.md&amp;x=&lt;b&gt;#page=3"' in html
    assert "Ouvrir le document original à la p. 3–4" in html


def test_markdown_export_has_footnotes() -> None:
    a = answer([AnswerSentence("Il est composé d'habitants tirés au sort.", (1,), True, 1.0),
                AnswerSentence("Le maire le préside toujours.", (1,), False, 0.1)])
    md = render.answer_markdown(a)
    assert "Il est composé d'habitants tirés au sort. [^1]" in md
    assert "[1]" not in md
    footnote = next(line for line in md.splitlines() if line.startswith("[^1]: "))
    assert "Conseils — Composition" in footnote and "fiches/conseils.md" in footnote and "p. 3–4" in footnote
    assert "« Le conseil citoyen est mis en place" in footnote
    assert "> - Le maire le préside toujours." in md
    abstained = Answer("x ?", f"{NOT_FOUND} [1] Conseils", True, "extractive",
                       (Citation(1, Hit(chunk(PASSAGE), 0.1, 1)),), ())
    assert "**Pas trouvé**" in render.answer_markdown(abstained)


def test_an_extractive_answer_shows_each_quote_under_its_label_and_lists_as_lists() -> None:
    import datetime as dt

    from assistant.answer import extractive
    from assistant.compose import compose
    from assistant.query import analyse

    listed = chunk(f"Deux catégories :\n- des habitants {EVIL} ;\n- des représentants des associations.")
    hits = [Hit(listed, 1.0, 1)]
    composition = compose(analyse("Qui peut être membre du conseil citoyen ?"), hits)
    text, citations, sentences, notes = extractive("q", composition, dt.date(2026, 12, 2))
    html = render.answer_body(Answer("q", text, False, "extractive", tuple(citations), tuple(sentences),
                                     quotes=composition.quotes, notes=notes), 0)
    assert '<div class="cf-qlabel">Fiche « Conseils » — Composition <a class="cf-cite"' in html
    assert re.findall(r"<li>(.*?)</li>", html) == [f"des habitants {render._e(EVIL)} ;",
                                                   "des représentants des associations."]
    assert "<script>" not in html
