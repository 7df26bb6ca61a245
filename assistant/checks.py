"""Checks on an answer, whichever mode wrote it: citation markers, support of each sentence, and the
defects a practitioner would stumble on (echoed questions, cut lists, orphan sentences, repeats, quoted
bibliographies, mixed subjects)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.answer import AnswerSentence, Citation
from assistant.compose import SIBLINGS, off_subject
from assistant.sentences import sentences
from assistant.textfr import contains, fold, tokenize
from assistant.types import Chunk
from assistant.units import blocks, heading, is_bibliography

MARKER = re.compile(r"\s*\[(\d+)\]")
DEFECTS = ("echo", "cut_list", "orphan_start", "duplicate", "bibliography", "mixed_subject")
_LABEL = re.compile(r"^[^\n]*\[\d+\]\s*:\s*\n", re.MULTILINE)  # "Fiche « … » — Composition [1] :" on its own line
_PRONOUN = re.compile(r"^(il|elle|ils|elles|celui-ci|celle-ci|ceux-ci|celles-ci|ce dernier|cette dernière|"
                      r"ces derniers|ces dernières|lui|leur|leurs|son|sa|ses)\b", re.IGNORECASE)


def terms(text: str) -> set[str]:
    """Stemmed content words (French stop words out, accents folded)."""
    return set(tokenize(text))


def support(sentence: str, passages: Sequence[str]) -> float:
    """Share of the sentence's content words present in the passage(s) it cites."""
    words = terms(sentence)
    if not words:
        return 1.0
    found: set[str] = set()
    for p in passages:
        found |= words & terms(p)
    return len(found) / len(words)


def check(text: str, given: Sequence[Citation], threshold: float = 0.5) -> tuple[str, list[AnswerSentence], list[int]]:
    """Every [n] must point to a given passage (others are removed and reported); each sentence gets a
    support score against the passages it cites and is marked unsupported below `threshold`. A sentence that
    asks a question (a model echoing the question or a passage) or repeats an earlier one is dropped."""
    by_n = {c.n: c for c in given}
    removed: list[int] = []
    checked: list[AnswerSentence] = []
    seen: set[str] = set()
    for sentence in sentences(text):
        key = _norm(MARKER.sub("", sentence))
        if MARKER.sub("", sentence).rstrip(" »\")").endswith("?") or key in seen:
            continue
        seen.add(key)
        cited = [int(m) for m in MARKER.findall(sentence)]
        removed += [n for n in cited if n not in by_n]
        valid = tuple(dict.fromkeys(n for n in cited if n in by_n))
        bare = MARKER.sub("", sentence).strip()
        score = support(bare, [by_n[n].hit.chunk.text for n in valid]) if valid else 0.0
        checked.append(AnswerSentence(bare, valid, bool(valid) and score >= threshold, round(score, 3)))
    clean = " ".join(s.text + "".join(f" [{n}]" for n in s.citations) for s in checked)
    return clean, checked, removed


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", fold(text)).split())


def bare_text(answer: str) -> str:
    """The answer as read, without citation markers."""
    return MARKER.sub("", answer)


def _quoted(answer: str) -> list[str]:
    """The pieces the answer quotes or says, without their labels: the quotes of an extractive answer (one
    piece each, however many sentences), the sentences of a generated one."""
    labelled = bool(_LABEL.search(answer))
    body = _LABEL.sub("", answer)
    pieces = [p.strip().strip("«»").strip() for p in re.split(r"\n\s*\n", body) if p.strip()]
    return [s for p in pieces for s in ([p] if labelled or "\n" in p else sentences(bare_text(p)))]


def echo(answer: str, cited: Sequence[Chunk]) -> bool:
    """An answer sentence that is a question, or that copies a question of a cited passage."""
    said = sentences(bare_text(answer).replace("\n", " "))
    if any(s.rstrip(" »\")").endswith("?") for s in said):
        return True
    text = _norm(answer)
    asked = {_norm(s) for c in cited for s in sentences(c.text) if s.rstrip(" »\")").endswith("?")}
    return any(len(q.split()) >= 3 and q in text for q in asked)


def cut_list(answer: str, cited: Sequence[Chunk]) -> bool:
    """Some but not all items of a list of a cited passage are quoted, or a list's introduction without
    any of its items. A list announced with its number of items ("liste de 9 éléments") is not cut."""
    text = _norm(answer)
    for chunk in cited:
        for block in blocks(chunk.text):
            if block.kind != "list" or len(block.items) < 2:
                continue
            keys = [_norm(item)[:60] for item in block.items]
            found = sum(1 for k in keys if k and k in text)
            intro = block.intro and len(_norm(block.intro)) > 20 and _norm(block.intro)[:60] in text
            summarised = "liste de" in text and "elements" in text
            if 0 < found < len(keys) or (intro and found == 0 and not summarised):
                return True
    return False


# "Il est créé un établissement…", "Il y a lieu…": the law's impersonal « il » stands for nothing before it.
_IMPERSONAL = re.compile(r"^il (y a|existe|appartient|incombe|convient|faut|importe|"
                         r"(est|sont|peut être|doit être) \w+ (un|une|des|du|au|aux|à|auprès|dans|en|par le présent)\b)",
                         re.IGNORECASE)


def orphan_start(answer: str, cited: Sequence[Chunk] = ()) -> bool:
    """A quoted paragraph or a sentence opening on a pronoun or a lower-case fragment, unless the piece
    quoted just before it is the text that precedes it in a cited passage (its antecedent is quoted)."""
    pieces = _quoted(answer)
    for i, piece in enumerate(pieces):
        first = piece.split("\n")[0].strip()
        if first.startswith(("(…)", "- ")) or _IMPERSONAL.match(first):
            continue
        if (_PRONOUN.match(first) or first[:1].islower()) and not (i and _follows(pieces[i - 1], first, cited)):
            return True
    return False


def _follows(before: str, first: str, cited: Sequence[Chunk]) -> bool:
    joined = f"{_norm(before)[-60:]} {_norm(first)[:60]}"
    return any(joined in _norm(c.text) for c in cited)


def duplicate(answer: str) -> bool:
    """The same sentence (six words or more) twice."""
    seen: set[str] = set()
    for s in sentences(bare_text(answer).replace("\n", " ")):
        key = _norm(s)
        if len(key.split()) < 6:
            continue
        if key in seen:
            return True
        seen.add(key)
    return False


def bibliography(answer: str, cited: Sequence[Chunk]) -> bool:
    """Text quoted from a Sources / Bibliographie / Références section."""
    text = _norm(answer)
    for chunk in cited:
        lines = re.split(r"[\n;]", chunk.text) if is_bibliography(chunk) else []
        if any(len(k := _norm(s)) > 30 and k[:80] in text for s in lines):
            return True
    return False


def _siblings(cited: Sequence[Chunk]) -> list[tuple[tuple[str, ...], ...]]:
    """Families of subjects that stand side by side: the known ones, and headings of one document that
    share their first word ("Communauté de communes", "Communauté d'agglomération")."""
    families = [tuple(tuple(tokenize(p)) for p in family) for family in SIBLINGS]
    by_doc: dict[str, set[tuple[str, ...]]] = {}
    for c in cited:
        h = heading(c)
        if h:
            by_doc.setdefault(c.source, set()).add(tuple(tokenize(h)))
    for heads in by_doc.values():
        for first in {h[0] for h in heads if h}:
            group = tuple(h for h in heads if h and h[0] == first)
            if len(group) > 1:
                families.append(group)
    return families


def mixed_subject(question: str, answer: str, cited: Sequence[Chunk]) -> bool:
    """The question names one of two sibling subjects, and the answer quotes a piece about the other one
    (and not about the one named), or a section headed by the other one."""
    asked = tokenize(question)
    for family in _siblings(cited):
        named = [p for p in family if contains(asked, p)]
        if not named:
            continue
        others = [p for p in family if p not in named]
        if any(off_subject(piece, named, others) for piece in _quoted(answer)):
            return True
        for c in cited:
            h = heading(c)
            if h and tuple(tokenize(h)) in others and _norm(c.text)[:80] in _norm(answer):
                return True
    return False


def defects(question: str, answer: str, cited: Sequence[Chunk]) -> dict[str, bool]:
    """Every defect check on one answer."""
    return {
        "echo": echo(answer, cited),
        "cut_list": cut_list(answer, cited),
        "orphan_start": orphan_start(answer, cited),
        "duplicate": duplicate(answer),
        "bibliography": bibliography(answer, cited),
        "mixed_subject": mixed_subject(question, answer, cited),
    }
