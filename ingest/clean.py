"""French text clean-up: Unicode normalisation, spaces, de-hyphenation and unwrapping of PDF lines.

Choices worth knowing:
- NFKC is applied, so ligatures (ﬁ → fi) and also NBSP / narrow NBSP (U+00A0, U+202F) become plain
  spaces: French typography puts them before `:` `;` `»` and inside numbers (`3 500`); a plain space
  keeps "3 500" findable by keyword search, and nothing downstream needs the non-breaking property.
- The typographic apostrophe (’) becomes `'`, as typed by users and as used by the LEGI corpus.
- Line-end hyphens are decided with the document itself as dictionary (see `_keep_hyphen`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from statistics import median

# Soft hyphen, zero-width characters, BOM and C0/C1 controls other than tab and newline.
_INVISIBLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u200b-\u200d\u2060\ufeff]")
_REPLACE = (("\u2019", "'"), ("\u02bc", "'"), ("\u2010", "-"), ("\u2011", "-"))
_NEWLINES = re.compile(r"\r\n?|[\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_ODD_NEWLINE = re.compile(r"[\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_SPACES = re.compile(r" {2,}")

# Parts of real French compounds, used when the document itself does not settle a line-end hyphen.
# Fragments that automatic hyphenation also produces are left out on purpose: `entre-prise`,
# `mi-nistre`, `beau-coup`, `ci-té`, `ad-joint`, `ren-contre`, `mau-dire`; the document's own words
# decide those (see `_keep_hyphen`).
# fmt: off
COMPOUND_LEFT = frozenset({
    "vice", "celle", "celles", "celui", "ceux", "là", "à", "quasi", "demi", "peut", "avant", "arrière", "après",
    "chef", "nord", "sud",
})
COMPOUND_RIGHT = frozenset({
    "ci", "là", "même", "mêmes", "être", "elle", "elles", "il", "ils", "on", "t", "je", "nous", "vous", "delà",
    "dessus", "dessous", "dedans", "après", "clé", "clés",
})
# fmt: on

_LINE_END_HYPHEN = re.compile(r"(\S*?)(\w+)-$")
_LEADING_WORD = re.compile(r"\w+")
_BREAK_SITE = re.compile(r"[\w-]*\w-\n\w[\w-]*")
_WORD = re.compile(r"\w+")
_COMPOUND = re.compile(r"\w+(?:-\w+)+")
_URL_LIKE = re.compile(r"[/@_.:]|www", re.IGNORECASE)

# A line ending a sentence, before a line opening a new paragraph or list item, keeps its line break.
_SENTENCE_END = re.compile(r"[.:;!?…][\s»\")’']*$")
_PARAGRAPH_START = re.compile(r"[A-ZÀ-ÖØ-Þ«\-–—•·▪◦*]|\d+\s?°|\d+[.)]\s|[a-z]\)\s|[IVX]+\.")


def normalise(text: str) -> str:
    """NFKC, invisible characters dropped, ’ as ', runs of spaces and tabs collapsed. Works on a
    whole text or a line: nothing here crosses a line break."""
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE.sub("", text)
    for old, new in _REPLACE:
        if old in text:
            text = text.replace(old, new)
    if "\t" in text:
        text = text.replace("\t", " ")
    # `in` tests first: a regex scan of every text costs more than the clean-up itself.
    return _SPACES.sub(" ", text) if "  " in text else text


def normalise_line(line: str) -> str:
    return normalise(line).strip()


def split_lines(text: str) -> list[str]:
    """Lines, whatever the line separators (CRLF, CR, form feed, U+2028…)."""
    if _ODD_NEWLINE.search(text):
        text = _NEWLINES.sub("\n", text)
    return text.split("\n")


@dataclass(frozen=True)
class Vocabulary:
    """Words and hyphenated pairs of a document, with the line-end break sites masked out."""

    words: frozenset[str]
    compounds: frozenset[str]

    @classmethod
    def of(cls, text: str) -> Vocabulary:
        masked = _BREAK_SITE.sub(" ", text.lower())
        pairs: set[str] = set()
        for compound in _COMPOUND.findall(masked):
            parts = compound.split("-")
            pairs.update(f"{a}-{b}" for a, b in pairwise(parts))
        return cls(frozenset(_WORD.findall(masked)), frozenset(pairs))


def _keep_hyphen(token: str, left: str, right: str, vocab: Vocabulary) -> bool:
    """True when `left-⏎right` is a real hyphen (compound, number, identifier), False for a
    typesetting break to join."""
    if left[-1].isdigit() or right[0].isdigit():  # L. 5711-⏎1, 2123-⏎11-2
        return True
    if _URL_LIKE.search(token):  # etalab/codes-⏎juridiques-francais
        return True
    low_left, low_right = left.lower(), right.lower()
    if low_left + low_right in vocab.words:
        return False
    if f"{low_left}-{low_right}" in vocab.compounds:
        return True
    if right[0].isupper():  # Saint-⏎Denis, RMUC-⏎UU
        return True
    return low_left in COMPOUND_LEFT or low_right in COMPOUND_RIGHT


def _hyphen_join(prev: str, nxt: str, vocab: Vocabulary) -> str | None:
    """The joined text when `prev` ends with a word hyphen and `nxt` starts a word, else None."""
    m = _LINE_END_HYPHEN.search(prev)
    w = _LEADING_WORD.match(nxt)
    if not m or not w:
        return None
    token = m.group(1) + m.group(2)
    if _keep_hyphen(token, m.group(2), w.group(0), vocab):
        return prev + nxt
    return prev[:-1] + nxt


def _keeps_break(prev: str, nxt: str, width: float) -> bool:
    """A wrapped line becomes a space, unless it ends a sentence (or is short) before a line that
    opens a paragraph or a list item."""
    if not _PARAGRAPH_START.match(nxt):
        return False
    return bool(_SENTENCE_END.search(prev)) or len(prev) < 0.6 * width


def _typical_width(lines: Sequence[str]) -> float:
    lengths = [len(line) for line in lines if len(line) > 20]
    return median(lengths) if lengths else 0.0


def clean_lines(
    lines: Sequence[str], *, dehyphenate: bool = True, unwrap: bool = False
) -> tuple[str, list[int | None]]:
    """Clean a sequence of lines; also return where each input line starts in the result (None for
    lines that are blank). An empty line is a paragraph break; at most one blank line is kept.
    A line joined to the previous one inside a word (de-hyphenation) starts mid-word."""
    return _join([normalise_line(line) for line in lines], dehyphenate, unwrap)


def _join(normal: list[str], dehyphenate: bool, unwrap: bool) -> tuple[str, list[int | None]]:
    vocab = Vocabulary.of("\n".join(normal)) if dehyphenate and _has_break(normal) else None
    width = _typical_width(normal) if unwrap else 0.0
    out: list[str] = []  # lines and separators; out[-1] is the last line, still open for a hyphen join
    size = 0
    starts: list[int | None] = []
    blank = False
    for line in normal:
        if not line:
            starts.append(None)
            blank = bool(out)
            continue
        joined = _hyphen_join(out[-1], line, vocab) if out and not blank and vocab is not None else None
        if joined is not None:
            size += len(joined) - len(out[-1])
            out[-1] = joined
        else:
            if out:
                out.append(_separator(out[-1], line, blank, unwrap, width))
                size += len(out[-1])
            out.append(line)
            size += len(line)
            blank = False
        starts.append(size - len(line))
    return "".join(out), starts


def _separator(prev: str, line: str, blank: bool, unwrap: bool, width: float) -> str:
    if blank:
        return "\n\n"
    return " " if unwrap and not _keeps_break(prev, line, width) else "\n"


def _has_break(lines: Sequence[str]) -> bool:
    return any(line.endswith("-") for line in lines)


def clean_text(text: str, *, dehyphenate: bool = True, unwrap: bool = False) -> str:
    """French clean-up of a loaded text: NFKC (ligatures), invisible characters and soft hyphens
    dropped, NBSP as space, spaces collapsed, lines stripped, at most one blank line between
    paragraphs, accents and case kept. `dehyphenate` joins typesetting breaks (`amélio-⏎rer`) but
    keeps real hyphens (`L. 5711-⏎1` → `L. 5711-1`, `vice-⏎présidents`); `unwrap` turns the line
    breaks of wrapped text (PDF) into spaces inside paragraphs."""
    lines = [line.strip() for line in normalise("\n".join(split_lines(text))).split("\n")]
    return _join(lines, dehyphenate, unwrap)[0]
