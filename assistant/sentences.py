"""French sentence boundaries, shared by the splitter and the answer builder."""

from __future__ import annotations

import re
from collections.abc import Iterator

_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+(?=[«\"(\-–•A-ZÀ-Ý0-9])|\n+(?=\s*[-–•*]\s)")
# "art. L. 5211-1", "n° 2014-173", "M. le maire": a full stop after these does not end a sentence.
_ABBREVIATIONS = {"art", "l", "r", "d", "m", "mme", "mm", "n", "no", "al", "cf", "p", "etc", "ex", "chap", "lo"}
_LAST_WORD = re.compile(r"(\w+)\W*$")


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int]]:
    """Spans [start, end) of the sentences of text[start:end], boundaries included as-is."""
    end = len(text) if end is None else end
    last = start
    for m in _SENTENCE_END.finditer(text, start, end):
        word = _LAST_WORD.search(text, last, m.start())
        if word and word.group(1).lower() in _ABBREVIATIONS:
            continue
        yield last, m.start()
        last = m.end()
    yield last, end


def sentences(text: str) -> list[str]:
    return [s for a, b in sentence_spans(text) if (s := text[a:b].strip())]
