"""Metadata set by staff: folder `.carrefour.toml`, file sidecar `<file>.meta.toml`, and dates guessed from titles."""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from assistant.types import Scalar
from ingest.walk import SIDECAR_SUFFIX

FOLDER_FILE = ".carrefour.toml"
# A folder's index file titles the documents in it (e.g. one Markdown file per article of a law).
INDEX_FILES = ("00_README.md", "index.md", "_index.md")
_H1 = re.compile(r"^#\s+(.+?)\s*$")

MONTHS = {
    "janvier": 1, "février": 2, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7,
    "août": 8, "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11, "décembre": 12, "decembre": 12,
}
_FULL_DATE = re.compile(r"\b(1er|\d{1,2})\s+(" + "|".join(MONTHS) + r")\s+((?:19|20)\d\d)\b", re.IGNORECASE)
_MONTH_YEAR = re.compile(r"\b(" + "|".join(MONTHS) + r")\s+((?:19|20)\d\d)\b", re.IGNORECASE)
_ISO = re.compile(r"^\d{4}(-\d\d(-\d\d)?)?$")


def guess_date(*texts: str) -> str | None:
    """`du 21 février 2014` → 2014-02-21; `mai 2015` → 2015-05; first match wins."""
    for text in texts:
        if not text:
            continue
        m = _FULL_DATE.search(text)
        if m:
            day = 1 if m.group(1).lower() == "1er" else int(m.group(1))
            return f"{m.group(3)}-{MONTHS[m.group(2).lower()]:02d}-{day:02d}"
        m = _MONTH_YEAR.search(text)
        if m:
            return f"{m.group(2)}-{MONTHS[m.group(1).lower()]:02d}"
    return None


def normalise_date(value: Scalar | None) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text if _ISO.match(text) else guess_date(text)


@dataclass
class MetaResolver:
    """Folder files (nearer wins) < the document's own front matter < the file's sidecar."""

    root: Path
    warnings: list[tuple[str, str]] = field(default_factory=list)
    _cache: dict[Path, dict[str, Scalar]] = field(default_factory=dict)

    def _read(self, path: Path) -> dict[str, Scalar]:
        if not path.is_file():
            return {}
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            rel = path.relative_to(self.root).as_posix()
            self.warnings.append((rel, f"métadonnées ignorées, TOML invalide ({exc}) : corrigez ce fichier"))
            return {}
        return {k: v for k, v in data.items() if isinstance(v, (str, int, float, bool))}

    def _folder(self, folder: Path) -> dict[str, Scalar]:
        if folder not in self._cache:
            parent = {} if folder == self.root else self._folder(folder.parent)
            own = {k: v for k, v in parent.items() if k != "collection"}
            title = _index_title(folder)
            if title:
                own["collection"] = title
            self._cache[folder] = {**own, **self._read(folder / FOLDER_FILE)}
        return self._cache[folder]

    def for_file(self, path: Path) -> tuple[dict[str, Scalar], dict[str, Scalar]]:
        """(folder values, sidecar values): the document's own metadata (front matter) goes between."""
        return self._folder(path.parent), self._read(path.with_name(path.name + SIDECAR_SUFFIX))


def _index_title(folder: Path) -> str | None:
    for name in INDEX_FILES:
        path = folder / name
        if path.is_file():
            with path.open(encoding="utf-8", errors="replace") as f:
                m = _H1.match(f.readline())
            if m:
                return m.group(1)
    return None


def infer_kind(document_title: str, metadata: Mapping[str, Scalar]) -> str | None:
    """Legal records and article files are official texts; otherwise the kind stays unknown."""
    if any(k in metadata for k in ("code", "texte")) or re.match(r"(article|loi|décret|arrêté)\b", document_title, re.IGNORECASE):
        return "texte officiel"
    collection = str(metadata.get("collection", ""))
    if re.match(r"(loi|décret|arrêté|ordonnance|code)\b", collection, re.IGNORECASE):
        return "texte officiel"
    return None


def meta_hash(meta: Mapping[str, Scalar]) -> str:
    return hashlib.sha256(json.dumps(dict(meta), sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]
