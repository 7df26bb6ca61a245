"""HTML pages (bs4, stdlib parser), and HTML fragments inside Markdown or JSONL texts (LEGI tables)."""

from __future__ import annotations

import re
import warnings
from typing import TYPE_CHECKING

from assistant.errors import LoadError
from assistant.types import Document
from ingest import limits
from ingest.loaders import Block, Loaded, assemble, first_line_title, meaningful_title, require_text

if TYPE_CHECKING:
    from collections.abc import Iterator

    from bs4 import BeautifulSoup, PageElement, Tag

# fmt: off
_DROP = frozenset({"script", "style", "nav", "noscript", "template", "svg", "head", "iframe", "button"})
_HEADINGS = {f"h{i}": i for i in range(1, 7)}
_BLOCKS = frozenset({
    "p", "div", "section", "article", "main", "header", "footer", "aside", "blockquote", "ul", "ol", "dl", "dt",
    "dd", "figure", "figcaption", "address", "form", "fieldset", "hr", "center", "body",
})
# fmt: on
_WS = re.compile(r"\s+")
# Tags that mark a text as HTML; a bare `<` (as in "a < b") does not.
HTML_TAG = re.compile(
    r"</?(?:table|tbody|thead|tr|td|th|p|br|div|span|sup|sub|b|i|em|strong|ul|ol|li|a|font|center)\b[^>]*>",
    re.IGNORECASE,
)

Out = list[str | Block]


def _soup(markup: str | bytes) -> BeautifulSoup:
    from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, XMLParsedAsHTMLWarning  # lazy: HTML only

    # XHTML pages and short fragments make bs4 warn on stderr; for indexing, html.parser is right anyway.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        return BeautifulSoup(markup, "html.parser")


def _collapse(text: str) -> str:
    return _WS.sub(" ", text).strip()


def table_text(table: Tag) -> str:
    """One line per row, cells separated by ` | `."""
    rows = []
    for tr in table.find_all("tr"):
        cells = [_collapse(cell.get_text(" ")) for cell in tr.find_all(["td", "th"], recursive=False)]
        if any(cells):
            rows.append(" | ".join(cells))
    return "\n".join(rows)


def _render(node: Tag, out: Out, keep_ws: bool) -> None:
    """Append the text of `node`'s children; headings as Blocks. `keep_ws` keeps the line breaks of
    the top-level text of a fragment (its Markdown paragraphs). A loop over an explicit stack, not
    recursion: a page nested 500 levels deep would overflow Python's stack (issue 12)."""
    from bs4.element import NavigableString, Tag

    # (children still to render, keep their whitespace, text to append once they are done)
    stack: list[tuple[Iterator[PageElement], bool, str]] = [(iter(node.children), keep_ws, "")]
    while stack:
        children, keep, after = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            out.append(after)
        elif isinstance(child, NavigableString):
            if type(child) is NavigableString:  # not a Comment, Doctype, CData…
                out.append(str(child) if keep else _WS.sub(" ", str(child)))
        elif isinstance(child, Tag):
            name = child.name
            if name in _DROP:
                continue
            if name == "br":
                out.append("\n")
            elif name in _HEADINGS:
                out.append(Block(_collapse(child.get_text(" ")), _HEADINGS[name]))
            elif name == "table":
                out.append(f"\n\n{table_text(child)}\n\n")
            elif name == "pre":
                out.append(f"\n\n{child.get_text()}\n\n")
            elif name == "li":
                out.append("\n- ")
                stack.append((iter(child.children), False, ""))
            elif name in _BLOCKS:
                out.append("\n\n")
                stack.append((iter(child.children), False, "\n\n"))
            else:
                stack.append((iter(child.children), False, ""))
        limits.check(blocks=len(out) // 4)  # a tag yields up to 4 pieces; the clock is checked too


def _blocks(out: Out) -> list[Block]:
    blocks: list[Block] = []
    buffer: list[str] = []
    for item in [*out, Block("", 0)]:
        if isinstance(item, str):
            buffer.append(item)
            continue
        blocks.append(Block("".join(buffer)))
        buffer = []
        blocks.append(item)
    return blocks[:-1]


def fragment_to_text(markup: str) -> str:
    """Plain text of a text with HTML tags: tables as ` | ` rows, entities decoded; the line breaks
    of text outside tags are kept (Markdown paragraphs around a LEGI table)."""
    out: Out = []
    _render(_soup(markup), out, True)
    return "".join(item if isinstance(item, str) else f"\n\n{item.text}\n\n" for item in out)


_CONTROL = bytes(b for b in range(32) if b not in b"\t\n\r\f") + b"\x7f"


def _binary(data: bytes) -> bool:
    """Random bytes named `.html` are no page: NUL bytes (without a UTF-16 mark), or control bytes, which no
    text encoding of a page uses, for more than 1 byte in 20 of the first 64 KB (random bytes: 1 in 9)."""
    head = data[:65536]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    return b"\x00" in head or len(head) - len(head.translate(None, _CONTROL)) > len(head) / 20


def load(data: bytes, source: str, stem: str, *, pdf_password: str | None = None) -> Loaded:
    if _binary(data):
        raise LoadError(source, "fichier binaire, pas une page HTML : vérifiez son format ou convertissez-le")
    soup = _soup(data)  # bs4 reads the charset from the BOM or <meta>, else guesses
    out: Out = []
    _render(soup.body or soup, out, False)
    blocks = _blocks(out)
    text, sections = assemble(blocks)
    require_text(text, source)
    head = soup.title.get_text() if soup.title else None
    h1 = next((b.text for b in blocks if b.level == 1 and b.text), None)
    title = meaningful_title(head) or meaningful_title(h1) or first_line_title(text, stem)
    return Loaded([Document(source=source, text=text, title=title, sections=sections)], [])
