"""Plain data flowing between stages: Document → Chunk → Hit."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

Scalar = str | int | float | bool


@dataclass(frozen=True)
class Section:
    """A span [start, end) of a document's text under one heading path."""

    start: int
    end: int
    path: str | None  # e.g. "Partie législative > … > Article L5214-16"
    metadata: Mapping[str, Scalar] = field(default_factory=dict)  # e.g. the speaker of a turn of proceedings


@dataclass(frozen=True)
class Document:
    """One logical document: a file, or one record of a JSONL file.

    `sections` cover the text without overlap; `page_starts[i]` is the offset where page i+1
    begins (PDF only), so any character offset maps back to its page.
    """

    source: str  # path relative to the ingested root, POSIX separators
    text: str
    title: str
    record_id: str | None = None
    sections: tuple[Section, ...] = ()
    page_starts: tuple[int, ...] = ()
    metadata: Mapping[str, Scalar] = field(default_factory=dict)
    ocr_pages: frozenset[int] = frozenset()  # pages (1-based) whose text comes from OCR

    def page_at(self, offset: int) -> int | None:
        if not self.page_starts:
            return None
        page = 1
        for i, start in enumerate(self.page_starts):
            if start <= offset:
                page = i + 1
            else:
                break
        return page


@dataclass(frozen=True)
class Chunk:
    """A passage as stored and cited."""

    id: str
    text: str
    source: str
    root: str
    title: str
    section: str | None = None
    page: int | None = None
    page_end: int | None = None
    start: int = 0
    end: int = 0
    record_id: str | None = None
    date: str | None = None  # when the document was written or published (ISO, as precise as known)
    kind: str | None = None
    metadata: Mapping[str, Scalar] = field(default_factory=dict)
    valid_as_of: str | None = None  # « état du droit au » : the date at which the content is true (ISO)

    @property
    def collection(self) -> str | None:
        """The text or code the passage belongs to (e.g. the CGCT, a law), when known."""
        for key in ("collection", "code", "texte"):
            value = self.metadata.get(key)
            if isinstance(value, str) and value and value not in self.title:
                return value
        return None

    @property
    def indexed_text(self) -> str:
        """What is embedded and keyword-indexed: the passage under its collection, title and heading
        path, so that "article L5214-16" or a law's name finds it even when the body does not say it."""
        head = " — ".join(p for p in (self.collection, self.title, self.section) if p)
        return f"{head}\n{self.text}" if head else self.text


def chunk_id(source: str, record_id: str | None, section: str | None, text: str, occurrence: int) -> str:
    """Ids derive from source and content, so re-ingesting the same thing yields the same ids."""
    key = "\x1f".join((source, record_id or "", section or "", str(occurrence), text))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with its score and rank (1-based)."""

    chunk: Chunk
    score: float
    rank: int = 0
    also_in: tuple[str, ...] = ()  # other sources holding the same text
    duplicates: tuple[Chunk, ...] = ()
    dense_score: float | None = None  # cosine similarity to the query, when vector search saw it
    passages: tuple[Chunk, ...] = ()  # other passages of the same unit that matched, best first


@dataclass(frozen=True)
class Filters:
    """Restrictions applied to both keyword and vector search."""

    kind: str | None = None
    year_from: int | None = None
    year_to: int | None = None
    folder: str | None = None  # first folder of the source path, or the root's name
    speaker: str | None = None  # who speaks in a passage of proceedings, as in `--json` hits

    def accepts(self, chunk: Chunk) -> bool:
        if self.kind and chunk.kind != self.kind:
            return False
        year = chunk_year(chunk)
        if self.year_from is not None and (year is None or year < self.year_from):
            return False
        if self.year_to is not None and (year is None or year > self.year_to):
            return False
        if self.speaker and chunk_speaker(chunk) != self.speaker:
            return False
        return not (self.folder and chunk_folder(chunk) != self.folder)

    @property
    def empty(self) -> bool:
        return not (self.kind or self.folder or self.speaker or self.year_from is not None
                    or self.year_to is not None)


def chunk_year(chunk: Chunk) -> int | None:
    if chunk.date and chunk.date[:4].isdigit():
        return int(chunk.date[:4])
    return None


def chunk_speaker(chunk: Chunk) -> str | None:
    """Who speaks in a passage of proceedings (ingest/turns.py), when known."""
    value = chunk.metadata.get("speaker")
    return value if isinstance(value, str) and value else None


def chunk_folder(chunk: Chunk) -> str:
    """The source's first folder, or the root's own name for files at the top of a root."""
    parts = chunk.source.split("/")
    return parts[0] if len(parts) > 1 else chunk.root.rstrip("/").split("/")[-1]
