"""JSONL: one document per record line (`text` required); bad lines are skipped with a warning."""

from __future__ import annotations

import json
from typing import Any

from assistant.errors import LoadError
from assistant.types import Document, Scalar, Section
from ingest import limits
from ingest.clean import clean_text
from ingest.loaders import PATH_SEPARATOR, Loaded, decode_text
from ingest.loaders.markdown import inline_text

_RESERVED = frozenset({"text", "id", "hierarchy"})
MAX_LINE_WARNINGS = 20  # beyond this, one summary line: a broken file should not flood the screen


def _record(line: str) -> tuple[dict[str, Any] | None, str]:
    """The record of a line, or None and why it is skipped."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        return None, "JSON invalide"
    except RecursionError:  # json's parser recurses: a line of 100,000 nested "[" overflows the stack
        return None, "JSON imbriqué sur trop de niveaux"
    if not isinstance(record, dict):
        return None, "ce n'est pas un objet JSON"
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        return None, "champ « text » absent ou vide"
    return record, ""


def _metadata(record: dict[str, Any]) -> dict[str, Scalar]:
    """Scalar fields; a list of scalars (e.g. `matched` keywords) becomes one comma-separated string."""
    metadata: dict[str, Scalar] = {}
    for key, value in record.items():
        if key in _RESERVED or value is None:
            continue
        if isinstance(value, (str, int, float, bool)):
            metadata[key] = value
        elif isinstance(value, list) and all(isinstance(v, (str, int, float, bool)) for v in value):
            metadata[key] = ", ".join(str(v) for v in value)
    return metadata


def _section_path(hierarchy: object) -> str | None:
    if isinstance(hierarchy, str):
        return hierarchy.strip() or None
    if isinstance(hierarchy, list):
        parts = [" ".join(str(p).split()) for p in hierarchy if str(p).strip()]
        return PATH_SEPARATOR.join(parts) or None
    return None


def _document(record: dict[str, Any], source: str, stem: str) -> Document | None:
    text = clean_text(inline_text(record["text"]), dehyphenate=False)
    if not text:
        return None
    raw_id = record.get("id")
    record_id = str(raw_id) if isinstance(raw_id, (str, int)) and str(raw_id).strip() else None
    title = next(
        (v.strip() for v in (record.get("title"), record.get("article")) if isinstance(v, str) and v.strip()),
        record_id or stem,
    )
    path = _section_path(record.get("hierarchy"))
    sections = (Section(0, len(text), path),) if path else ()
    return Document(
        source=source, text=text, title=title, record_id=record_id, sections=sections, metadata=_metadata(record)
    )


def load(data: bytes, source: str, stem: str, *, pdf_password: str | None = None) -> Loaded:
    raw, warnings = decode_text(data, source)
    documents: list[Document] = []
    skipped: list[str] = []
    for number, line in enumerate(raw.split("\n"), 1):
        if not line.strip():
            continue
        limits.check(blocks=number)
        record, problem = _record(line)
        document = _document(record, source, stem) if record is not None else None
        if document is None:
            skipped.append(f"ligne {number} ignorée : {problem or 'texte vide après nettoyage'}")
        else:
            documents.append(document)
    if not documents:
        first = f" ({skipped[0]})" if skipped else ""
        raise LoadError(
            source,
            f"aucun enregistrement utilisable{first} : chaque ligne doit être un objet JSON avec un champ "
            "« text » non vide",
        )
    warnings += skipped[:MAX_LINE_WARNINGS]
    if len(skipped) > MAX_LINE_WARNINGS:
        warnings.append(f"… et {len(skipped) - MAX_LINE_WARNINGS} autres lignes ignorées")
    return Loaded(documents, warnings)
