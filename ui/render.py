"""HTML of questions, answers and sources, and the Markdown export; every text from a user or a document is escaped."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from html import escape

from assistant.answer import NOT_FOUND, Answer, AnswerSentence, Citation, label
from assistant.checks import terms
from assistant.compose import Quote, follows
from assistant.sentences import sentence_spans
from assistant.types import Chunk

MARKER = re.compile(r"\[(\d+)\]")
DocUrl = Callable[[Chunk], "str | None"]


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def source_id(turn: int, n: int) -> str:
    return f"cf-src-{turn}-{n}"


def _linkify(escaped: str, turn: int) -> str:
    """`[n]` markers become links to the source card; the text is already escaped (markers survive escaping)."""
    return MARKER.sub(
        lambda m: f'<a class="cf-cite" href="#{source_id(turn, int(m.group(1)))}" '
        f'data-target="{source_id(turn, int(m.group(1)))}" title="Voir la source {m.group(1)}">[{m.group(1)}]</a>',
        escaped,
    )


def question_html(question: str) -> str:
    return f'<div class="cf-q"><div class="cf-who">Vous</div><div class="cf-bubble">{_e(question)}</div></div>'


def partial_html(text: str, turn: int) -> str:
    """An answer still arriving."""
    body = _linkify(_e(text), turn) if text else '<span class="cf-wait">Recherche dans les documents…</span>'
    return f'<div class="cf-a"><div class="cf-who">Carrefour</div><div class="cf-bubble">{body}</div></div>'


def error_html(message: str) -> str:
    return (f'<div class="cf-a"><div class="cf-who">Carrefour</div><div class="cf-bubble cf-error">'
            f'⚠ {_e(message)}</div></div>')


def _unsupported_spans(text: str, sentences: Sequence[AnswerSentence]) -> list[tuple[int, int]]:
    spans, cursor = [], 0
    for s in sentences:
        at = text.find(s.text, cursor)
        if at < 0:
            continue
        cursor = at + len(s.text)
        if not s.supported:
            spans.append((at, cursor))
    return spans


def not_found_hint(filtered: bool) -> str:
    """What to try after « Pas trouvé »: removing filters only helps when some are set."""
    return "Essayez d'autres mots, ou retirez les filtres." if filtered else "Essayez d'autres mots."


def answer_body(answer: Answer, turn: int, filtered: bool = False) -> str:
    """The answer text with linked markers; unsupported sentences wrapped and flagged."""
    if answer.abstained:
        leads = "".join(
            f'<li>{_linkify(f"[{c.n}]", turn)} {_e(label(c.hit))}</li>' for c in answer.citations
        )
        more = (f'<p>Passages les plus proches, à consulter comme pistes :</p><ul class="cf-leads">{leads}</ul>'
                if leads else "<p>Le corpus ne contient aucun passage proche.</p>")
        more = "".join(f'<p class="cf-note">{_linkify(_e(n), turn)}</p>' for n in answer.notes) + more
        return (f'<div class="cf-notfound"><strong>Pas trouvé</strong> — {_e(NOT_FOUND)} '
                f"{not_found_hint(filtered)}{more}</div>")
    if answer.quotes:
        return quotes_html(answer, turn)
    out, cursor = [], 0
    for a, b in _unsupported_spans(answer.text, answer.sentences):
        out.append(_linkify(_e(answer.text[cursor:a]), turn))
        out.append(f'<span class="cf-unsupported" title="Cette phrase n\'est pas étayée par les passages cités">'
                   f'{_linkify(_e(answer.text[a:b]), turn)}</span>'
                   f'<span class="cf-flag">non vérifiée</span>')
        cursor = b
    out.append(_linkify(_e(answer.text[cursor:]), turn))
    body = f'<p class="cf-text">{"".join(out)}</p>'
    unsupported = sum(not s.supported for s in answer.sentences)
    if unsupported:
        body += (f'<p class="cf-warn">⚠ {unsupported} phrase(s) non étayée(s) par les passages cités '
                 "(soulignées en orange) : vérifiez-les dans les sources.</p>")
    if answer.removed_markers:
        removed = ", ".join(f"[{n}]" for n in answer.removed_markers)
        body += f'<p class="cf-warn">Renvois retirés car ils ne désignaient aucun passage : {_e(removed)}.</p>'
    return body


def _marks(answer: Answer, quote: Quote, turn: int) -> str:
    ids = {h.chunk.id for h in quote.hits}
    return _linkify(" ".join(f"[{c.n}]" for c in answer.citations if c.hit.chunk.id in ids), turn)


def quotes_html(answer: Answer, turn: int) -> str:
    """An extractive answer as it was built: each quoted block under the label of where it comes from, lists
    as lists, the notes (partial answer, question raised, dated text) as notes."""
    parts: list[str] = []
    notes = list(answer.notes)
    for note in notes:
        if not note.startswith("Attention"):
            parts.append(f'<p class="cf-note">{_linkify(_e(note), turn)}</p>')
    before: Quote | None = None
    for quote in answer.quotes:
        block = quote.block
        head = f'<div class="cf-qlabel">{_e(quote.label)} {_marks(answer, quote, turn)}</div>'
        if block.kind == "list":
            intro = f"<p>{_e(block.intro)}</p>" if block.intro else ""
            items = block.heads() if quote.summarised else block.items
            body = intro + '<ul class="cf-list">' + "".join(f"<li>{_e(i)}</li>" for i in items) + "</ul>"
            if quote.summarised:
                body += (f"<p><em>Liste de {len(items)} éléments abrégés : le texte complet est dans la source "
                         f"{_marks(answer, quote, turn)}.</em></p>")
        else:
            body = f"<p>« {_e(block.text)} »</p>"
        if follows(quote, before):  # another block of the same unit: in the same frame, under its label
            parts[-1] = parts[-1].removesuffix("</div>") + f"<blockquote>{body}</blockquote></div>"
        else:
            parts.append(f'<div class="cf-quote">{head}<blockquote>{body}</blockquote></div>')
        before = quote
    parts += [f'<p class="cf-warn">{_e(n)}</p>' for n in notes if n.startswith("Attention")]
    return "".join(parts)


def answer_html(answer: Answer, turn: int, filtered: bool = False) -> str:
    seconds = sum(answer.timings.values()) / 1000 if answer.timings else None
    # only a slow answer is worth a word (an llm mode); sub-second ones say nothing
    timing = f'<div class="cf-time">Réponse en {f"{seconds:.1f}".replace(".", ",")} s</div>' if seconds and seconds >= 1 else ""
    return (f'<div class="cf-a"><div class="cf-who">Carrefour</div><div class="cf-bubble">'
            f"{answer_body(answer, turn, filtered)}{timing}</div></div>")


def conversation_html(turns: Sequence[tuple[str, str]]) -> str:
    """`turns`: (question, the answer's HTML already rendered) in order."""
    if not turns:
        return ('<div class="cf-conv cf-empty"><p>Posez une question en français ci-dessous, ou cliquez sur un '
                "exemple. Chaque réponse renvoie, par des numéros [1], [2]…, aux passages des documents qui la "
                "justifient : cliquez dessus pour les lire.</p></div>")
    body = "".join(f'<div class="cf-turn">{question_html(q)}{a}</div>' for q, a in turns)
    return f'<div class="cf-conv">{body}</div>'


def _fr_date(date: str | None) -> str | None:
    if not date:
        return None
    parts = date[:10].split("-")
    return "/".join(reversed(parts)) if all(p.isdigit() for p in parts) else date


def _pages(chunk: Chunk) -> str | None:
    if not chunk.page:
        return None
    if chunk.page_end and chunk.page_end != chunk.page:
        return f"p. {chunk.page}–{chunk.page_end}"
    return f"p. {chunk.page}"


def validity_note(chunk: Chunk) -> str | None:
    """« état du droit au 05/2015 »: the date at which the passage is true, when the document gives one."""
    return f"état du droit au {_fr_date(chunk.valid_as_of)}" if chunk.valid_as_of else None


def ocr_note(chunk: Chunk) -> str | None:
    """Said beside a passage read by OCR from a scanned page: the practitioner checks the page image."""
    return "texte obtenu par reconnaissance de caractères" if chunk.metadata.get("ocr") else None


def highlight_spans(passage: str, supporting: Sequence[str]) -> list[tuple[int, int]]:
    """Where each supporting sentence sits in the passage: verbatim if it is there (extractive answers),
    else the passage sentence sharing most of its words (paraphrases of the llm mode)."""
    spans: list[tuple[int, int]] = []
    candidates = [(a, b) for a, b in sentence_spans(passage) if passage[a:b].strip()]
    for sentence in supporting:
        at = passage.find(sentence)
        if at >= 0:
            spans.append((at, at + len(sentence)))
            continue
        wanted = terms(sentence)
        if not wanted or not candidates:
            continue
        best = max(candidates, key=lambda s: len(wanted & terms(passage[s[0]:s[1]])))
        if len(wanted & terms(passage[best[0]:best[1]])) >= max(1, len(wanted) // 2):
            spans.append(best)
    merged: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def passage_html(passage: str, supporting: Sequence[str]) -> str:
    out, cursor = [], 0
    for a, b in highlight_spans(passage, supporting):
        out.append(_e(passage[cursor:a]))
        out.append(f"<mark>{_e(passage[a:b])}</mark>")
        cursor = b
    out.append(_e(passage[cursor:]))
    return "".join(out)


def source_card(citation: Citation, answer: Answer, turn: int, doc_url: DocUrl | None = None) -> str:
    chunk = citation.hit.chunk
    supporting = [s.text for s in answer.sentences if citation.n in s.citations]
    meta = [
        ("Section", chunk.section or chunk.record_id), ("Page", _pages(chunk)), ("Date", _fr_date(chunk.date)),
        ("État du droit", _fr_date(chunk.valid_as_of)), ("Type", chunk.kind), ("Fichier", chunk.source), ("Texte", ocr_note(chunk)),
    ]
    if citation.hit.also_in:
        meta.append(("Aussi dans", ", ".join(citation.hit.also_in)))
    rows = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in meta if v)
    url = doc_url(chunk) if doc_url else None
    where = f" à la {_pages(chunk)}" if chunk.page else ""
    link = (f'<a class="cf-open" href="{_e(url)}" target="_blank" rel="noopener noreferrer">'
            f"Ouvrir le document original{_e(where)} ↗</a>" if url else "")
    return (f'<article class="cf-source" id="{source_id(turn, citation.n)}">'
            f'<header><span class="cf-n">[{citation.n}]</span> <strong>{_e(label(citation.hit))}</strong></header>'
            f'<dl class="cf-meta">{rows}</dl>'
            f'<blockquote class="cf-passage">{passage_html(chunk.text, supporting)}</blockquote>{link}</article>')


def sources_html(answers: Sequence[tuple[int, Answer]], doc_url: DocUrl | None = None) -> str:
    """The sources of every answer of the conversation: the latest open, earlier ones folded."""
    if not answers:
        return ('<div class="cf-sources cf-empty"><p>Les sources de la réponse s\'afficheront ici : titre, '
                "article ou page, date, passage cité (phrase utilisée surlignée) et lien vers le document.</p></div>")
    blocks = []
    for i, (turn, answer) in enumerate(reversed(answers)):
        title = "Pistes (passages les plus proches)" if answer.abstained else "Sources"
        cards = "".join(source_card(c, answer, turn, doc_url) for c in answer.citations)
        cards = cards or "<p>Aucun passage cité.</p>"
        summary = f"{title} — « {_e(_short(answer.question))} »"
        blocks.append(f'<details class="cf-turn-sources"{" open" if i == 0 else ""}>'
                      f"<summary>{summary}</summary>{cards}</details>")
    return f'<div class="cf-sources">{"".join(blocks)}</div>'


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def answer_markdown(answer: Answer) -> str:
    """The answer as Markdown, its `[n]` markers turned into footnotes that name and quote the passage."""
    text = MARKER.sub(lambda m: f"[^{m.group(1)}]", answer.text)
    lines = ["# Question", "", answer.question.strip(), "", "## Réponse", ""]
    if answer.abstained:
        lines += ["**Pas trouvé** dans le corpus.", ""]
    lines += [text, ""]
    unsupported = [s.text for s in answer.sentences if not s.supported]
    if unsupported:
        lines += ["> Attention : phrase(s) non étayée(s) par les passages cités :"]
        lines += [f"> - {s}" for s in unsupported] + [""]
    if answer.citations:
        lines += ["## Sources", ""]
    lines += [f"[^{c.n}]: {_source_line(c)}" for c in answer.citations]
    return "\n".join(lines).rstrip() + "\n"


def _source_line(citation: Citation) -> str:
    chunk = citation.hit.chunk
    where = ", ".join(p for p in (chunk.source, chunk.section, _pages(chunk), _fr_date(chunk.date),
                                  validity_note(chunk), ocr_note(chunk)) if p)
    return f"{label(citation.hit)} ({where}). « {_short(chunk.text, 300)} »"


def answer_rich_html(answer: Answer) -> str:
    """The answer as a small HTML document, to open in Word or paste into an e-mail: paragraphs, `[n]` as
    superscript calls, the sources as a numbered list with their date and état du droit."""
    calls = MARKER.sub(lambda m: f"<sup>[{m.group(1)}]</sup>", _e(answer.text))
    paragraphs = "".join(f"<p>{p.strip()}</p>" for p in re.split(r"\n\s*\n", calls) if p.strip())
    parts = [f"<h1>{_e(answer.question.strip())}</h1>"]
    if answer.abstained:
        parts.append("<p><strong>Pas trouvé</strong> dans le corpus.</p>")
    parts.append(paragraphs.replace("\n", "<br>"))
    unsupported = [s.text for s in answer.sentences if not s.supported]
    if unsupported:
        parts.append("<p><em>Attention : phrase(s) non étayée(s) par les passages cités :</em></p><ul>"
                     + "".join(f"<li>{_e(u)}</li>" for u in unsupported) + "</ul>")
    if answer.citations:
        parts.append("<h2>Sources</h2><ol>" + "".join(
            f'<li value="{c.n}">{_e(_source_line(c))}</li>' for c in answer.citations) + "</ol>")
    parts.append("<p><small>Réponse de Carrefour, assistant documentaire : vérifiez les textes en vigueur."
                 "</small></p>")
    body = "".join(parts)
    return (f'<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>{_e(_short(answer.question))}'
            f"</title></head><body>{body}</body></html>")


INLINE_PREFIX = "cf-isrc"  # the copy of a source card shown under its answer on a narrow screen


def inline_sources_html(turn: int, answer: Answer, doc_url: DocUrl | None = None) -> str:
    """The sources of one answer, to sit right under it where the page is too narrow for the side panel
    (the CSS shows one or the other); the cards' ids differ from the panel's so `[n]` finds the visible one."""
    if not answer.citations:
        return ""
    cards = "".join(
        source_card(c, answer, turn, doc_url).replace(
            f'id="{source_id(turn, c.n)}"', f'id="{INLINE_PREFIX}-{turn}-{c.n}"', 1)
        for c in answer.citations
    )
    title = "Pistes (passages les plus proches)" if answer.abstained else "Sources de cette réponse"
    return f'<details class="cf-inline-sources"><summary>{title}</summary>{cards}</details>'
