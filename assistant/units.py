"""What a practitioner cites and what an answer quotes, defined once for retrieval, answers and evaluation.

A *unit* is what one cites: a record (a CGCT article), a section of a document (an article of a law, a
section of a fiche), or a page of a PDF without headings. A passage (chunk) belongs to exactly one unit; a
long unit is split into several passages, which `unit_text` puts back together.

A *block* is what an answer quotes from a unit: a paragraph or alinéa, or a list with its introduction and
all its items, never part of one. Headings, questions and bibliographies are blocks too, so that the
composer can recognise them and never quote them as an answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from assistant.sentences import sentences
from assistant.types import Chunk

BlockKind = Literal["paragraph", "list", "heading", "question"]

# "- ", "• ", "1° ", "2) ", "a) ": what opens a list item in fiches and legal texts. Not "I. –", "II. –":
# they open the parts of an article, each a paragraph of its own.
_ITEM = re.compile(r"^\s*(?:[-–•*]\s+|\d+°\s*|\d+\s*[).]\s+|[a-z]\)\s+)")
# « 3. La qualité du projet urbain et la clause du territoire le plus favorisé » alone, without a full stop
_NUMBERED_HEADING = re.compile(r"^\d+\s*[.)]\s+[A-ZÉÈÀÂÎÔ][^.;:!?»]{0,160}$")
_PARAGRAPH = re.compile(r"\n[ \t]*\n")
# Sections a practitioner does not want quoted as an answer: they list where the text comes from.
# The whole heading, not its first word: « Notes » is a section of footnotes, « Note de suivi 3 » is not.
_BIBLIOGRAPHY = re.compile(r"^(sources?|bibliographie|références|pour aller plus loin|liens( utiles)?|"
                           r"textes de référence|notes)( (et|&) (sources?|références|bibliographie))?"
                           r"( bibliographiques)?\s*:?$", re.IGNORECASE)


def unit_key(chunk: Chunk) -> str:
    """The citable unit of a passage: its record, else its section, else its page, else its document."""
    base = f"{chunk.root.rstrip('/')}/{chunk.source}"
    if chunk.record_id:
        return f"{base}#{chunk.record_id}"
    if chunk.section:
        return f"{base}§{chunk.section}"
    if chunk.page:
        return f"{base}@p{chunk.page}"
    return base


def unit_text(chunks: Sequence[Chunk]) -> str:
    """The text of a unit from its passages (slices of one document text, possibly overlapping)."""
    parts: list[str] = []
    end = None
    for c in sorted(chunks, key=lambda c: (c.start, c.end)):
        if end is None or c.start >= end:
            if parts:
                parts.append("\n\n")
            parts.append(c.text)
            end = c.end
        elif c.end > end:
            parts.append(c.text[end - c.start :])
            end = c.end
    return "".join(parts)


def heading(chunk: Chunk) -> str | None:
    """The last heading of the passage's section ("Composition"), or None."""
    return chunk.section.split(" > ")[-1].strip() if chunk.section else None


def is_bibliography(chunk: Chunk) -> bool:
    return any(_BIBLIOGRAPHY.match(part.strip()) for part in (chunk.section or "").split(" > ") if part.strip())


@dataclass(frozen=True)
class Block:
    """A quotable piece of a unit's text. `text` is as quoted (a list as Markdown lines)."""

    kind: BlockKind
    text: str
    intro: str | None = None  # lists: the sentence that announces the items
    items: tuple[str, ...] = ()

    @property
    def words(self) -> int:
        return len(self.text.split())

    def heads(self, words: int = 14) -> tuple[str, ...]:
        """The items cut to their first `words` words, the cut marked: a long list shown whole but short."""
        return tuple(i if len(i.split()) <= words else " ".join(i.split()[:words]) + " …" for i in self.items)


def is_item(line: str) -> bool:
    return bool(_ITEM.match(line))


def item_text(line: str) -> str:
    """A list item without its dash or bullet; a numbering ("1°", "a)") is kept, it is part of the text."""
    return re.sub(r"^\s*[-–•*]\s+", "", line).strip()


def _is_heading(text: str) -> bool:
    """A short line without a full stop ("Préambule", "Deuxième série de questions") or a title in capitals."""
    if "\n" in text.strip() or len(text) > 300:  # a heading is one short line
        return False
    first = [c for c in text[:12] if c.isalpha()][:2]
    if len(first) == 2 and first[0].isupper() and first[1].isupper():  # a title in capitals opens on two
        letters = [c for c in text if c.isalpha()]
        if sum(c.isupper() for c in letters) > 0.6 * len(letters):
            return True
    stripped = text.strip()
    return len(stripped.split()) <= 12 and not stripped.endswith((".", ";", "?", "!", "»", ")")) \
        and not stripped.endswith(":")


def is_question(text: str) -> bool:
    """Every sentence of the text asks something."""
    said = [s for s in sentences(text.replace("\n", " ")) if s.strip()]
    return bool(said) and all(s.rstrip(" »\"").endswith("?") for s in said)


def _elements(text: str) -> list[tuple[str, str]]:
    """(kind, text) in order: "item" for a list item with its continuation lines, "text" for a run of
    other lines of one paragraph."""
    out: list[tuple[str, str]] = []
    for paragraph in _PARAGRAPH.split(text):
        run: list[str] = []
        kind = None
        for line in paragraph.split("\n"):
            if not line.strip():
                continue
            if is_item(line):
                if run:
                    out.append((kind or "text", " ".join(run)))
                run, kind = [item_text(line)], "item"
            else:
                run.append(line.strip())
                kind = kind or "text"
        if run:
            out.append((kind or "text", " ".join(run)))
    return out


def blocks(text: str) -> list[Block]:
    """The blocks of a unit's text: a paragraph ending on ":" takes the items that follow as its list;
    items without an introduction (a list right under a heading) form a list of their own."""
    out: list[Block] = []
    elements = _elements(text)
    i = 0
    while i < len(elements):
        kind, body = elements[i]
        intro = body if kind == "text" and body.rstrip().endswith(":") else None
        j = i + 1 if intro else i
        items: list[str] = []
        while j < len(elements) and elements[j][0] == "item":
            items.append(elements[j][1])
            j += 1
            # « 1° Pour les unités urbaines… : » then its formula on a line of its own, or a sentence that goes
            # on in lower case after the items (« pour son application, S est… »): parts of the item
            while j < len(elements) and elements[j][0] == "text" and (
                    items[-1].rstrip().endswith(":") or elements[j][1][:1].islower()):
                items[-1] = f"{items[-1]} {elements[j][1]}"
                j += 1
        if len(items) == 1 and not intro and _NUMBERED_HEADING.match(items[0]):
            out.append(Block("heading", items[0]))  # « 3. La qualité du projet urbain » : a numbered heading
            i = j
            continue
        if items:
            lines = ([intro] if intro else []) + [f"- {item}" for item in items]
            out.append(Block("list", "\n".join(lines), intro, tuple(items)))
            i = j
            continue
        if intro and j < len(elements):
            # "… est ainsi rédigé :" announces the paragraph that follows: never one without the other
            body = f"{body}\n{elements[j][1]}"
            i += 1
        if _is_heading(body):
            out.append(Block("heading", body))
        elif is_question(body):
            out.append(Block("question", body))
        else:
            out.append(Block("paragraph", body))
        i += 1
    return out
