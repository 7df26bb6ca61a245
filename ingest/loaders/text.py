"""Plain text (.txt): UTF-8, or Windows-1252 / Latin-1 with a warning; no sections."""

from __future__ import annotations

from assistant.types import Document
from ingest.clean import clean_text
from ingest.loaders import EMPTY, MAX_TITLE, Loaded, decode_text, require_text


def load(data: bytes, source: str, stem: str, *, pdf_password: str | None = None) -> Loaded:
    raw, warnings = decode_text(data, source)
    text = clean_text(raw)
    require_text(text, source, EMPTY)
    first = text.split("\n", 1)[0]
    title = first if len(first) < MAX_TITLE else stem
    return Loaded([Document(source=source, text=text, title=title)], warnings)
