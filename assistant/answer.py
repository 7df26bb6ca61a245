"""Answers from passages: extractive selection, citation checks and abstention, shared by both modes."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from assistant.keyword import KeywordIndex
from assistant.sentences import sentences
from assistant.textfr import Equivalent, contains, equivalents, in_glossary, tokenize
from assistant.types import Hit

MAX_WORDS = 120
NOT_FOUND = "Je n'ai rien trouvé de fiable dans le corpus pour répondre à cette question."
_MARKER = re.compile(r"\s*\[(\d+)\]")


@dataclass(frozen=True)
class Citation:
    n: int
    hit: Hit


@dataclass(frozen=True)
class AnswerSentence:
    text: str
    citations: tuple[int, ...]
    supported: bool
    support: float = 0.0


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    abstained: bool
    mode: str
    citations: tuple[Citation, ...]
    sentences: tuple[AnswerSentence, ...]
    timings: dict[str, float] = field(default_factory=dict)
    removed_markers: tuple[int, ...] = ()  # markers that pointed to no given passage
    evidence: float = 0.0


# How a practitioner asks, not what about: these words say nothing of whether the corpus answers.
_ASKING = frozenset(tokenize("combien temps quoi comment faut peut veut dire exactement concrètement genre "
                             "savoir quel quelle quels quelles fait faire doit"))


def terms(text: str) -> set[str]:
    """Stemmed content words (French stop words out, accents folded)."""
    return set(tokenize(text))


def covered(wanted: set[str], tokens: Sequence[str], synonyms: Sequence[Equivalent] = ()) -> set[str]:
    """Question words present in a passage's `tokens` (from `tokenize`), a shared stem of 5 letters or
    more counting too: "compose" / "composition", "intercommunal" / "intercommunalité"; and the words of
    an acronym or long form (`synonyms`, from `equivalents`) when the passage says it the other way, as a
    whole phrase: "EPIC" / "établissement public à caractère industriel et commercial"."""
    found = set(tokens)
    hit = wanted & found
    for t in wanted - hit:
        if len(t) >= 5 and any(len(f) >= 5 and (f.startswith(t) or t.startswith(f)) for f in found):
            hit.add(t)
    for words, others in synonyms:
        if any(contains(tokens, other, slack=2) for other in others):
            hit |= words & wanted
    return hit


_WORD = re.compile(r"[\w'’-]+")
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_NOW = re.compile(r"\b(prochaine?s?|en ce moment|actuel(le)?s?|actuellement|aujourd'hui|cette année|à venir)\b",
                  re.IGNORECASE)
# Words that ask for an amount; not "budget" nor "indemnité": "le budget participatif", "les indemnités
# sont-elles imposables" ask something else.
_MONEY = re.compile(r"\b(montants?|salaires?|gagnen?t?|gagner|euros?|co[uû]ts?|co[uû]tent|co[uû]te|taux)\b|€",
                    re.IGNORECASE)
_AMOUNT = re.compile(r"\d[\d\s.,]*\s*(€|euros?\b|%|pour cent)", re.IGNORECASE)


def salient_words(question: str) -> list[str]:
    """Names, numbers and acronyms: "Sarcelles", "2024", "3DS" (not the question's first word)."""
    words = _WORD.findall(question)
    return [w for i, w in enumerate(words)
            if any(ch.isdigit() for ch in w) or (len(w) > 1 and w.isupper()) or (i > 0 and w[:1].isupper())]


def evidence(
    question: str,
    hits: Sequence[Hit],
    keyword: KeywordIndex | None = None,
    similarity_range: tuple[float, float] | None = None,
    dense_weight: float = 0.5,
    top: int = 3,
) -> float:
    """How well the best passages answer the question, from 0 to 1. Words: share of its content words
    (weighted by rarity when the keyword index is given) found in one of them, halved for each name,
    number or acronym that the corpus never mentions ("Sarcelles", "loi 3DS"), for each year asked about
    that they never mention, for an amount asked for that none of them gives, and for a question about
    the present or the future when they are all older than last year. Meaning: the best
    cosine, scaled on the embedder's calibrated `similarity_range`, mixed in with `dense_weight`."""
    lexical = _word_evidence(question, hits, keyword, top)
    cosines = [h.dense_score for h in hits if h.dense_score is not None]
    if similarity_range is None or not cosines or dense_weight == 0:
        return lexical
    low, high = similarity_range
    semantic = min(1.0, max(0.0, (max(cosines) - low) / (high - low)))
    return (1 - dense_weight) * lexical + dense_weight * semantic


def rarity(words: set[str], keyword: KeywordIndex | None) -> dict[str, float]:
    """Weight of each word: its inverse document frequency in the index, or 1 without one."""
    if keyword is None or not len(keyword):
        return {t: 1.0 for t in words}
    n = len(keyword)
    return {t: math.log(1 + n / max(1, keyword.doc_freq(t))) for t in words}


def _word_evidence(question: str, hits: Sequence[Hit], keyword: KeywordIndex | None, top: int) -> float:
    wanted = terms(question) - _ASKING
    if not wanted or not hits:
        return 0.0
    weight = rarity(wanted, keyword)
    unknown = 0
    if keyword is not None and len(keyword):
        for word in salient_words(question):
            tokens = keyword.correct(tokenize(word))
            if tokens and not any(keyword.doc_freq(t) for t in tokens) and not in_glossary(word):
                unknown += 1
    total = sum(weight.values())
    synonyms = equivalents(question)
    passages = hits[:top]
    best = max(sum(weight[t] for t in covered(wanted, tokenize(h.chunk.indexed_text), synonyms)) / total
               for h in passages)
    # A year asked about ("en 2024") that none of the passages mentions: they speak of another time.
    shown = " ".join(f"{h.chunk.indexed_text} {h.chunk.date or ''}" for h in passages)
    unknown += sum(1 for year in set(_YEAR.findall(question)) if year not in shown)
    # The present or the future asked about ("en ce moment", "les prochaines élections") from passages
    # all dated before last year: they cannot say it (an undated passage might).
    years = [int(h.chunk.date[:4]) for h in passages if h.chunk.date and h.chunk.date[:4].isdigit()]
    if _NOW.search(question) and len(years) == len(passages) and max(years) < dt.date.today().year - 1:
        unknown += 1
    # An amount or a rate asked for ("quel salaire", "taux de subvention") that no passage gives.
    if _MONEY.search(question) and not any(_AMOUNT.search(h.chunk.text) for h in passages):
        unknown += 1
    return best * 0.5**unknown


def support(sentence: str, passages: Sequence[str]) -> float:
    """Share of the sentence's content words present in the passage(s) it cites."""
    words = terms(sentence)
    if not words:
        return 1.0
    found: set[str] = set()
    for p in passages:
        found |= words & terms(p)
    return len(found) / len(words)


def date_note(cited: Sequence[Hit]) -> str:
    years = sorted({h.chunk.date[:4] for h in cited if h.chunk.date and h.chunk.kind == "texte officiel"})
    if not years:
        return ""
    span = years[0] if len(years) == 1 else f"{years[0]} à {years[-1]}"
    return f"(Textes officiels datés de {span} dans le corpus : vérifiez la version en vigueur.)"


_QUANTITY = re.compile(r"^\s*(combien|quand|depuis quand|à partir de quand|quel(le)?s? (est|sont) (le|la|les) "
                       r"(durée|délai|seuil|nombre|montant|taux|date)|quel(le)?s? (durée|délai|seuil|nombre|date))",
                       re.IGNORECASE)
_NUMBER = re.compile(r"\d|\b(un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|douze|quinze|vingt|trente|"
                     r"quarante|cinquante|cent|mille|million|moitié|tiers|quart)\b", re.IGNORECASE)


_PARAGRAPH = re.compile(r"\n[ \t]*\n")
# A sentence opening on one of these words needs the one before it to be understood.
_ANAPHORA = re.compile(r"^(il|elle|ils|elles|celui-ci|celle-ci|ceux-ci|celles-ci|ce dernier|cette dernière|"
                       r"ces derniers|ces dernières|son|sa|ses|leur|leurs|à cet effet|dans ce cas|de plus|"
                       r"en outre)\b", re.IGNORECASE)


def _is_heading(text: str) -> bool:
    """A title in capitals ("RÈGLEMENT GÉNÉRAL DE L'AGENCE…") says what follows, it answers nothing."""
    letters = [c for c in text if c.isalpha()]
    return sum(c.isupper() for c in letters) > 0.6 * len(letters)


def units(text: str) -> list[str]:
    """Sentences, a list's introduction ("… :") kept with its items and a sentence that opens on a pronoun
    ("Elle passe avec eux…") with the one before it, so that none is quoted where it means nothing."""
    out: list[str] = []
    # a blank line ends a sentence too: a heading ("Préambule") is not the start of the paragraph below
    for sentence in (s for paragraph in _PARAGRAPH.split(text) for s in sentences(paragraph)):
        joined = len(out[-1]) + len(sentence) if out else 0
        if out and (out[-1].endswith(":") and joined < 500 or _ANAPHORA.match(sentence) and joined < 300):
            out[-1] = f"{out[-1]} {sentence}"
        else:
            out.append(sentence)
    return out


def extractive(
    question: str, hits: Sequence[Hit], keyword: KeywordIndex | None = None, passages: int = 4
) -> tuple[str, list[Citation], list[AnswerSentence]]:
    """The few sentences of the top passages that best cover the question (words weighted by rarity),
    in reading order; a question of quantity or date prefers sentences that hold a number."""
    wanted = terms(question)
    weight = rarity(wanted, keyword)
    synonyms = equivalents(question)
    total = sum(weight.values()) or 1.0
    wants_number = bool(_QUANTITY.search(question))
    scored: list[tuple[float, int, int, str]] = []
    for rank, hit in enumerate(hits[:passages]):
        prior = 1.0 / (1.0 + 0.25 * rank)
        context = covered(wanted, tokenize(f"{hit.chunk.title} {hit.chunk.section or ''}"), synonyms)
        for pos, sentence in enumerate(units(hit.chunk.text)):
            tokens = tokenize(sentence)
            if len(sentence) < 25 or not tokens or _is_heading(sentence):
                continue
            found = covered(wanted, tokens, synonyms)
            # words of the heading count half: "Article 7" already says what the sentence is about
            score = sum(weight[t] * (1.0 if t in found else 0.5 if t in context else 0.0) for t in wanted) / total
            if wants_number and _NUMBER.search(sentence):
                score *= 1.3
            scored.append((score * prior, rank, pos, sentence))
    if not scored:
        return "", [], []
    best = max(s[0] for s in scored)
    chosen: list[tuple[float, int, int, str]] = []
    words = 0
    for item in sorted(scored, key=lambda s: -s[0]):
        n_words = len(item[3].split())
        if item[0] < 0.5 * best or (chosen and words + n_words > MAX_WORDS) or len(chosen) == 4:
            continue
        chosen.append(item)
        words += n_words
    chosen.sort(key=lambda s: (s[1], s[2]))
    numbers: dict[int, int] = {}
    out: list[AnswerSentence] = []
    for _, rank, _, sentence in chosen:
        n = numbers.setdefault(rank, len(numbers) + 1)
        out.append(AnswerSentence(sentence.lstrip("-–•* "), (n,), True, 1.0))  # a list item reads as a sentence
    citations = [Citation(n, hits[rank]) for rank, n in numbers.items()]
    text = " ".join(f"{s.text} [{s.citations[0]}]" for s in out)
    note = date_note([c.hit for c in citations])
    return (f"{text} {note}" if note else text), citations, out


def check(text: str, given: Sequence[Citation], threshold: float = 0.5) -> tuple[str, list[AnswerSentence], list[int]]:
    """Every [n] must point to a given passage (others are removed and reported); each sentence gets a
    support score against the passages it cites and is marked unsupported below `threshold`."""
    by_n = {c.n: c for c in given}
    removed: list[int] = []
    checked: list[AnswerSentence] = []
    for sentence in sentences(text):
        cited = [int(m) for m in _MARKER.findall(sentence)]
        removed += [n for n in cited if n not in by_n]
        valid = tuple(dict.fromkeys(n for n in cited if n in by_n))
        bare = _MARKER.sub("", sentence).strip()
        score = support(bare, [by_n[n].hit.chunk.text for n in valid]) if valid else 0.0
        checked.append(AnswerSentence(bare, valid, bool(valid) and score >= threshold, round(score, 3)))
    clean = " ".join(s.text + "".join(f" [{n}]" for n in s.citations) for s in checked)
    return clean, checked, removed


def leads(hits: Sequence[Hit]) -> tuple[str, list[Citation]]:
    citations = [Citation(i, h) for i, h in enumerate(hits[:3], start=1)]
    if not citations:
        return NOT_FOUND + " Le corpus ne contient aucun passage proche.", []
    listed = " ; ".join(f"[{c.n}] {label(c.hit)}" for c in citations)
    return f"{NOT_FOUND} Passages les plus proches, à consulter comme pistes : {listed}.", citations


def label(hit: Hit) -> str:
    c = hit.chunk
    parts = [c.collection, c.title, c.section.split(" > ")[-1] if c.section else None]
    text = " — ".join(dict.fromkeys(p for p in parts if p))
    return f"{text}, p. {c.page}" if c.page else text
