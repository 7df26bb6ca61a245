"""Follow-up questions ("et pour les métropoles ?") completed from the previous turn before retrieval."""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.textfr import tokenize

_FOLLOW_UP = re.compile(
    r"^\s*(et|mais|aussi|pareil|idem|dans ce cas|et si|ou|sinon|alors)\b"
    r"|\b(il|elle|ils|elles|celui|celle|ceux|celles|cela|ça|ce dernier|cette derni[eè]re|leur|leurs|y|en)\b\s*\??\s*$",
    re.IGNORECASE,
)


def is_follow_up(question: str) -> bool:
    """One content word at most ("qui la préside ?"), a continuation ("et pour…"), or ending on a
    pronoun: it leans on the previous turn."""
    return len(tokenize(question)) <= 1 or bool(_FOLLOW_UP.search(question))


def anchor(history: Sequence[str]) -> str | None:
    """The question the conversation is about: the latest one that stands alone, else the oldest."""
    found = None
    for previous in reversed(history):
        if previous.strip():
            found = previous
            if not is_follow_up(previous):
                break
    return found


def condense(question: str, history: Sequence[str]) -> str:
    """The question made standalone: the anchor question's words come first, the new ones after, so that
    "et pour les métropoles ?" after a question on EPCI competences searches both. A third turn ("et pour
    les communautés urbaines ?") leans on that same anchor, not on the follow-up before it, which alone
    no longer says what the conversation is about."""
    previous = anchor(history)
    if previous is None or not is_follow_up(question):
        return question
    return f"{previous.strip()} {question.strip()}"
