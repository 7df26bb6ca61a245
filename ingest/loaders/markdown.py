"""Markdown: front matter → metadata, `#` headings → section paths, Markdown syntax stripped to text."""

from __future__ import annotations

import re

from assistant.types import Document, Scalar
from ingest.loaders import Block, Loaded, assemble, decode_text, meaningful_title, require_text
from ingest.loaders.html import HTML_TAG, fragment_to_text

_NEWLINE = re.compile(r"\r\n?")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
# Up to 9 `#`: the CGCT focus files go one level deeper than Markdown's 6 (`####### Paragraphe 1 bis`).
_HEADING = re.compile(r"^ {0,3}(#{1,9})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_BLOCKQUOTE = re.compile(r"^[ \t]*(?:>[ \t]?)+", re.MULTILINE)
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_KEY_VALUE = re.compile(r"^([A-Za-z_][\w-]*)[ \t]*:[ \t]*(.*?)[ \t]*$")
_INT = re.compile(r"^-?(?:0|[1-9]\d*)$")
_FLOAT = re.compile(r"^-?\d+\.\d+$")


def _scalar(raw: str) -> Scalar | None:
    value = raw.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    if not value:
        return None
    if _INT.match(value):
        return int(value)
    if _FLOAT.match(value):
        return float(value)
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def front_matter(text: str) -> tuple[dict[str, Scalar], str]:
    """`key: value` lines between leading `---` lines; other YAML (lists, nesting) is ignored."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return {}, text
    for end in range(1, len(lines)):
        if lines[end].strip() in ("---", "..."):
            break
    else:
        return {}, text
    metadata: dict[str, Scalar] = {}
    for line in lines[1:end]:
        m = _KEY_VALUE.match(line)
        if m and (value := _scalar(m.group(2))) is not None:
            metadata[m.group(1)] = value
    return metadata, "\n".join(lines[end + 1 :])


def inline_text(text: str) -> str:
    """Markdown body → plain text: blockquote markers, links and bold markers removed, HTML (LEGI
    tables) converted. Shared with JSONL records, whose `text` is Markdown too."""
    # The `in` tests skip the regexes on the many texts that need none (2,879 CGCT records).
    if "<!--" in text:
        text = _COMMENT.sub("", text)
    if ">" in text:
        text = _BLOCKQUOTE.sub("", text)
    if "<" in text and HTML_TAG.search(text):
        text = fragment_to_text(text)
    if "](" in text:
        text = _LINK.sub(r"\1", text)
    if "**" in text or "__" in text:
        text = _STRONG.sub(r"\2", text)
    return text


def blocks(text: str) -> list[Block]:
    out: list[Block] = []
    body: list[str] = []
    fenced = False
    for line in text.split("\n"):
        if _FENCE.match(line):
            fenced = not fenced
        m = None if fenced else _HEADING.match(line)
        if m is None:
            body.append(line)
            continue
        out.append(Block(inline_text("\n".join(body))))
        out.append(Block(inline_text(m.group(2)), len(m.group(1))))
        body = []
    out.append(Block(inline_text("\n".join(body))))
    return out


def load(data: bytes, source: str, stem: str, *, pdf_password: str | None = None) -> Loaded:
    raw, warnings = decode_text(data, source)
    metadata, body = front_matter(_NEWLINE.sub("\n", raw).lstrip("\ufeff"))
    parts = blocks(_COMMENT.sub("", body))
    text, sections = assemble(parts)
    require_text(text, source)
    first_h1 = next((b.text for b in parts if b.level == 1), None)
    title = meaningful_title(metadata.get("title")) or meaningful_title(first_h1) or stem
    document = Document(source=source, text=text, title=title, sections=sections, metadata=metadata)
    return Loaded([document], warnings)
