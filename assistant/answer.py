"""The answer as it reaches the practitioner: its types, the text built from a composition, and the leads
given instead of an answer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from assistant.compose import WHAT, Composition, Quote, follows, quote_label
from assistant.types import Chunk, Hit
from assistant.units import is_bibliography

NOT_FOUND = "Je n'ai rien trouvé de fiable dans le corpus pour répondre à cette question."
_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre")


@dataclass(frozen=True)
class Citation:
    n: int
    hit: Hit


@dataclass(frozen=True)
class AnswerSentence:
    text: str
    citations: tuple[int, ...]
    supported: bool
    support: float = 0.0


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    abstained: bool
    mode: str
    citations: tuple[Citation, ...]
    sentences: tuple[AnswerSentence, ...]
    timings: dict[str, float] = field(default_factory=dict)
    removed_markers: tuple[int, ...] = ()  # markers that pointed to no given passage
    evidence: float = 0.0
    partial: bool = False  # the kind of answer asked for (a number, a list…) is not in what is quoted
    quotes: tuple[Quote, ...] = ()  # extractive mode: the blocks quoted, each with its label
    notes: tuple[str, ...] = ()  # lines said beside the quotes (partial answer, dated texts, question raised)
    strength: float = 0.0  # share of the question's words in the best block the composer found
    missing: str | None = None  # the kind of answer asked for that the quotes do not give ("amount", "date"…)
    # names of the question that nothing quoted mentions ("Lille"): refused for them when abstained, else said
    unnamed: tuple[str, ...] = ()


def label(hit: Hit) -> str:
    c = hit.chunk
    parts = [c.collection, c.title, c.section.split(" > ")[-1] if c.section else None]
    text = " — ".join(dict.fromkeys(p for p in parts if p))
    return f"{text}, p. {c.page}" if c.page else text


def valid_as_of(chunk: Chunk) -> str | None:
    """The date at which the text's content is true (« état du droit au »), when known."""
    value = getattr(chunk, "valid_as_of", None) or chunk.metadata.get("valid_as_of")
    return str(value) if value else None


def _month_year(date: str) -> str:
    parts = date[:10].split("-")
    if len(parts) >= 2 and parts[1].isdigit() and 1 <= int(parts[1]) <= 12:
        day = f"{int(parts[2])} " if len(parts) == 3 and parts[2].isdigit() else ""
        return f"{day}{_MONTHS[int(parts[1]) - 1]} {parts[0]}"
    return parts[0]


def date_note(cited: Sequence[Hit], today: dt.date) -> str:
    """One line when a quoted text states the law as it was more than a year ago."""
    dates = sorted(d for h in cited if (d := valid_as_of(h.chunk)) and d[:4].isdigit())
    if not dates:
        return ""
    oldest = dates[0]
    year, month = int(oldest[:4]), int(oldest[5:7]) if oldest[5:7].isdigit() else 12
    if (today.year - year) * 12 + today.month - month <= 12:
        return ""
    when = f"au {_month_year(oldest)}" if len(oldest) >= 10 else f"de {_month_year(oldest)}"
    if any(h.chunk.kind == "texte officiel" for h in cited):
        return (f"Attention : ce texte décrit le droit {when}, il y a plus d'un an ; vérifiez la version en "
                "vigueur sur Légifrance.")
    return f"Attention : ce document est à jour {when}, il y a plus d'un an ; vérifiez qu'il l'est toujours."


def _question_line(raised: Hit, n: int) -> str:
    c = raised.chunk
    when = f" du {_month_year(c.date)}" if c.date and len(c.date) >= 7 and c.date[:4] not in c.title else ""
    return f"Cette question a été posée dans « {c.title} »{when} [{n}], qui ne contient pas de réponse."


def extractive(question: str, composition: Composition, today: dt.date
               ) -> tuple[str, list[Citation], list[AnswerSentence], tuple[str, ...]]:
    """The answer text (Markdown: each quote under its label, lists as lists), its citations, one sentence per
    paragraph or list item quoted (for the checks and the highlights), and the notes said beside."""
    citations: list[Citation] = []
    numbers: dict[str, int] = {}

    def cite(hit: Hit) -> int:
        if hit.chunk.id not in numbers:
            numbers[hit.chunk.id] = len(numbers) + 1
            citations.append(Citation(numbers[hit.chunk.id], hit))
        return numbers[hit.chunk.id]

    lines: list[str] = []
    notes: list[str] = []
    sentences: list[AnswerSentence] = []
    if composition.raised_in is not None:
        notes.append(_question_line(composition.raised_in, cite(composition.raised_in)))
        lines.append(notes[-1])
    if composition.unnamed and composition.quotes:
        notes.append(f"Les passages cités ne mentionnent pas {_names(composition.unnamed)} : ils donnent la règle "
                     "générale.")
        lines.append(notes[-1])
    if composition.missing and composition.quotes:
        notes.append(f"Réponse partielle : les passages trouvés ne donnent pas {WHAT[composition.missing]} ; "
                     "voici ce qu'ils disent.")
        lines.append(notes[-1])
    before: Quote | None = None
    for quote in composition.quotes:
        ns = tuple(cite(h) for h in quote.hits)
        marks = "".join(f"[{n}]" for n in ns)
        block = quote.block
        if block.kind == "list":
            items = block.heads() if quote.summarised else block.items
            body = "\n".join(([block.intro] if block.intro else []) + [f"- {item}" for item in items])
            if quote.summarised:
                body += f"\n(Liste de {len(items)} éléments abrégés : le texte complet est dans la source {marks}.)"
            sentences += [AnswerSentence(s, ns, True, 1.0) for s in ((block.intro,) if block.intro else ())]
            sentences += [AnswerSentence(item, ns, True, 1.0) for item in block.items]
        else:
            body = f"« {block.text} »"
            sentences.append(AnswerSentence(block.text, ns, True, 1.0))
        lines.append(body if follows(quote, before) else f"{quote.label} {marks} :\n{body}")
        before = quote
    note = date_note([h for q in composition.quotes for h in q.hits], today)
    if note:
        notes.append(note)
        lines.append(note)
    return "\n\n".join(lines), citations, sentences, tuple(notes)


def _names(names: Sequence[str]) -> str:
    return " ni ".join(f"« {n} »" for n in names)


def leads(hits: Sequence[Hit], raised: Hit | None = None, unnamed: Sequence[str] = ()
          ) -> tuple[str, list[Citation], tuple[str, ...]]:
    """What to say instead of an answer: the closest passages, to read as leads; when the question only
    stands in a document that asks it, that it was raised there; the names asked about that they never
    mention."""
    useful = [h for h in hits if not is_bibliography(h.chunk)] or list(hits)  # a « Sources » list leads nowhere
    citations = [Citation(i, h) for i, h in enumerate(useful[:3], start=1)]
    if raised is not None and all(c.hit.chunk.id != raised.chunk.id for c in citations):
        citations = [*citations[:2], Citation(3 if len(citations) >= 3 else len(citations) + 1, raised)]
    notes: tuple[str, ...] = ()
    if raised is not None:
        n = next(c.n for c in citations if c.hit.chunk.id == raised.chunk.id)
        notes = (_question_line(raised, n),)
    if unnamed:
        notes += (f"Les passages les plus proches ne mentionnent pas {_names(unnamed)}.",)
    if not citations:
        return NOT_FOUND + " Le corpus ne contient aucun passage proche.", [], ()
    listed = " ; ".join(f"[{c.n}] {quote_label(c.hit.chunk)}" for c in citations)
    # NOT_FOUND first: scripts read a refusal by the way it begins
    said = "".join(f" {n}" for n in notes)
    return f"{NOT_FOUND}{said} Passages les plus proches, à consulter comme pistes : {listed}.", citations, notes
