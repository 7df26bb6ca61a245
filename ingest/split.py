"""Structure-aware splitting: one chunk per short section, long ones packed from paragraphs and
sentences with a small overlap; a chunk never straddles two sections (articles)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from assistant.sentences import sentence_spans
from assistant.types import Chunk, Document, Section, chunk_id
from ingest.meta import guess_date, infer_kind, normalise_date

_PARAGRAPH = re.compile(r"\n\s*\n")

Span = tuple[int, int]


def _trim(text: str, start: int, end: int) -> Span:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _words(text: str, start: int, end: int, size: int) -> Iterator[Span]:
    """Hard split of an over-long sentence at the last space before `size`."""
    while end - start > size:
        cut = text.rfind(" ", start, start + size)
        cut = cut if cut > start else start + size
        yield start, cut
        start = cut
    yield start, end


def units(text: str, start: int, end: int, size: int) -> list[Span]:
    """Paragraphs, or the sentences (then words) of paragraphs longer than `size`."""
    out: list[Span] = []
    last = start
    for m in [*_PARAGRAPH.finditer(text, start, end), None]:
        p_start, p_end = _trim(text, last, m.start() if m else end)
        if m:
            last = m.end()
        if p_start >= p_end:
            continue
        if p_end - p_start <= size:
            out.append((p_start, p_end))
            continue
        for s_start, s_end in sentence_spans(text, p_start, p_end):
            s_start, s_end = _trim(text, s_start, s_end)
            if s_start < s_end:
                out.extend(_words(text, s_start, s_end, size))
    return out


def pack(parts: list[Span], size: int, overlap: int) -> list[Span]:
    """Greedy packing of consecutive units up to `size` characters; the next piece starts with the
    trailing units of the previous one that fit in `overlap`."""
    pieces: list[Span] = []
    i = 0
    while i < len(parts):
        j = i
        while j + 1 < len(parts) and parts[j + 1][1] - parts[i][0] <= size:
            j += 1
        pieces.append((parts[i][0], parts[j][1]))
        if j + 1 >= len(parts):
            break
        m = j + 1
        while m - 1 > i and parts[j][1] - parts[m - 1][0] <= overlap:
            m -= 1
        i = m
    return pieces


def split_document(document: Document, root: str, size: int, overlap: int) -> list[Chunk]:
    sections = document.sections or (Section(0, len(document.text), None),)
    meta = dict(document.metadata)
    kind = meta.pop("kind", None) or infer_kind(document.title, meta)
    date = normalise_date(meta.pop("date", None)) or guess_date(
        document.title, *(str(meta.get(k, "")) for k in ("collection", "texte", "source"))
    )
    valid_as_of = normalise_date(meta.pop("valid_as_of", None))
    meta.pop("title", None)
    seen: Counter[tuple[str | None, str]] = Counter()
    chunks: list[Chunk] = []
    text = document.text
    for section in sections:
        start, end = _trim(text, section.start, section.end)
        if start >= end:
            continue
        # A section a little over the target stays whole: splitting it would cut an article in two.
        spans = [(start, end)] if end - start <= size * 1.25 else pack(units(text, start, end, size), size, overlap)
        for s, e in spans:
            body = text[s:e]
            occurrence = seen[(section.path, body)]
            seen[(section.path, body)] += 1
            page, page_end = document.page_at(s), document.page_at(e - 1)
            ocr = page is not None and any(p in document.ocr_pages for p in range(page, (page_end or page) + 1))
            chunks.append(
                Chunk(
                    id=chunk_id(f"{root}/{document.source}", document.record_id, section.path, body, occurrence),
                    text=body,
                    source=document.source,
                    root=root,
                    title=document.title,
                    section=section.path,
                    page=page,
                    page_end=page_end,
                    start=s,
                    end=e,
                    record_id=document.record_id,
                    date=date,
                    kind=str(kind) if kind else None,
                    valid_as_of=valid_as_of,
                    metadata={**meta, **section.metadata, **({"ocr": True} if ocr else {})},
                )
            )
    return chunks
