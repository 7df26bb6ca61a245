"""Word .docx (python-docx): paragraphs and tables in order, `Heading N` / `Titre N` styles → sections."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from assistant.errors import LoadError
from assistant.types import Document
from ingest import limits
from ingest.loaders import Block, Loaded, assemble, meaningful_title, require_text

if TYPE_CHECKING:
    from docx.document import Document as WordDocument
    from docx.table import Table
    from docx.text.paragraph import Paragraph

# English and French built-in style names and ids: "Heading 2", "Titre 2", "heading2", "Titre2".
_HEADING_STYLE = re.compile(r"^(?:heading|titre)\s*([1-9])$", re.IGNORECASE)
_TITLE_STYLE = frozenset({"title", "titre"})


def _level(paragraph: Paragraph) -> int | None:
    style = paragraph.style
    for name in (style.name, style.style_id) if style is not None else ():
        if not name:
            continue
        m = _HEADING_STYLE.match(name.strip())
        if m:
            return int(m.group(1))
        if name.strip().lower() in _TITLE_STYLE:
            return 1
    return None


def _table_text(table: Table) -> str:
    """Rows on lines, cells joined by ` | `; a merged cell is repeated by python-docx, keep it once."""
    rows = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            cells.append(" ".join(cell.text.split()))
        if any(cells):
            rows.append(" | ".join(cells))
    return "\n".join(rows)


def _blocks(document: WordDocument) -> Iterator[Block]:
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    for number, element in enumerate(document.element.body.iterchildren(), 1):
        if number % 1000 == 0:
            limits.check(blocks=number)
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "p":
            paragraph = Paragraph(element, document)
            yield Block(paragraph.text, _level(paragraph))
        elif tag == "tbl":
            yield Block(_table_text(Table(element, document)))


def _check_size(data: bytes, source: str) -> None:
    """Bounds checked on the compressed stream, before python-docx builds one object per paragraph: an 80 KB
    file can hold 5 million empty paragraphs (12 minutes and 790 MB to open), or a body of gigabytes."""
    import zipfile

    count, tail = 0, b""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            limits.check_size(archive.getinfo("word/document.xml").file_size, source)
            with archive.open("word/document.xml") as xml:
                while block := xml.read(1 << 20):
                    block = tail + block
                    count += block.count(b"<w:p>") + block.count(b"<w:p ") + block.count(b"<w:p/>")
                    tail = block[-4:]  # shorter than a tag: one cut between two reads is counted, never twice
                    limits.check(blocks=count)
    except LoadError:
        raise
    except Exception:  # noqa: BLE001 — a damaged archive: python-docx reports it in French below
        return


def _open(data: bytes, source: str) -> WordDocument:
    import docx

    _check_size(data, source)
    try:
        return docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises zip, XML and key errors alike on a damaged file
        raise LoadError(
            source,
            "document Word illisible ou endommagé : ouvrez-le dans Word ou LibreOffice et réenregistrez-le en .docx",
        ) from exc


def load(data: bytes, source: str, stem: str, *, pdf_password: str | None = None) -> Loaded:
    document = _open(data, source)
    blocks = list(_blocks(document))
    text, sections = assemble(blocks)
    require_text(text, source)
    first_heading = next((b.text for b in blocks if b.level is not None and b.text.strip()), None)
    title = meaningful_title(document.core_properties.title) or meaningful_title(first_heading) or stem
    return Loaded([Document(source=source, text=text, title=title, sections=sections)], [])
