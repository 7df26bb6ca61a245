"""Bounds on the work one file may cost, so that a hostile or broken file fails alone, in French, quickly.

A loader calls `check` in its loops; the ingestion opens a `budget` around each file. The bounds are far above
real documents: the largest file of `../shared/corpus` (the CGCT, 4.6 MB of JSONL) gives 4.5 million characters
and 2,879 records, read in under 3 s; a 1,000-page Word report has some 30,000 paragraphs.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from assistant.errors import LoadError

MAX_BYTES = 200 * 1024 * 1024  # read in memory whole: 40 times the largest real file
MAX_CHARS = 20_000_000  # of text, after cleaning: ≈ 10,000 pages, 4 times the CGCT
MAX_BLOCKS = 200_000  # paragraphs, headings, table rows or records (an 80 KB DOCX held 5 million empty ones)
MAX_PAGES = 5_000  # of a PDF
MAX_SECONDS = 120.0  # to read, clean and split one file (not PDFs, whose OCR may take minutes)


@dataclass
class _Budget:
    source: str
    deadline: float | None


_current: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("carrefour_budget", default=None)


@contextmanager
def budget(source: str, seconds: float | None = MAX_SECONDS) -> Iterator[None]:
    """Limits for the file `source` while in this block (`seconds=None`: no time limit)."""
    token = _current.set(_Budget(source, None if seconds is None else time.monotonic() + seconds))
    try:
        yield
    finally:
        _current.reset(token)


def check(blocks: int = 0, chars: int = 0) -> None:
    """Raise a `LoadError` once the file being read went past a bound (outside a budget: the count bounds only)."""
    current = _current.get()
    source = current.source if current else "?"
    if blocks > MAX_BLOCKS:
        raise LoadError(source, f"plus de {MAX_BLOCKS:,} paragraphes".replace(",", " ") + " (ou lignes) : "
                        "fichier anormal ou trop gros, découpez-le en plusieurs documents")
    if chars > MAX_CHARS:
        raise LoadError(source, f"plus de {MAX_CHARS:,} caractères de texte".replace(",", " ") + " : "
                        "découpez-le en plusieurs documents")
    if current and current.deadline is not None and time.monotonic() > current.deadline:
        raise LoadError(source, f"lecture trop longue (plus de {MAX_SECONDS:.0f} s) : fichier anormal ou trop "
                        "gros, découpez-le ou réenregistrez-le")


def check_size(size: int, source: str) -> None:
    if size > MAX_BYTES:
        raise LoadError(source, f"fichier trop gros ({size / 1024 / 1024:.0f} Mo, {MAX_BYTES // 1024 // 1024} Mo au "
                        "plus) : découpez-le en plusieurs documents")


def check_pages(pages: int, source: str) -> None:
    if pages > MAX_PAGES:
        raise LoadError(source, f"{pages} pages ({MAX_PAGES} au plus) : découpez le PDF en plusieurs documents")
