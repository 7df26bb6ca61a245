"""May we answer? How well passages cover the question's words, and how close they are in meaning."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Sequence

from assistant.keyword import KeywordIndex
from assistant.query import Query
from assistant.textfr import Equivalent, contains, in_glossary, tokenize
from assistant.types import Hit

_QUANTITY = re.compile(r"\d[\d\s.,]*")
_YEAR = re.compile(r"(19|20)\d\d")
_AMOUNT = re.compile(r"\d[\d\s.,]*\s*(€|euros?\b|%|pour cent|millions?|milliards?|Md€|M€)", re.IGNORECASE)


def covered(wanted: Iterable[str], tokens: Sequence[str], synonyms: Sequence[Equivalent] = ()) -> set[str]:
    """Question words present in a passage's `tokens` (from `tokenize`), a shared stem of 5 letters or
    more counting too: "compose" / "composition", "intercommunal" / "intercommunalité"; and the words of
    an acronym or long form (`synonyms`, from `equivalents`) when the passage says it the other way, as a
    whole phrase: "EPIC" / "établissement public à caractère industriel et commercial"."""
    wanted = set(wanted)
    found = set(tokens)
    hit = wanted & found
    rest = [t for t in wanted - hit if len(t) >= 5]
    if rest:  # two stems of 5 letters or more, one the start of the other, share their first 5 letters
        by_start: dict[str, list[str]] = {}
        for f in found:
            if len(f) >= 5:
                by_start.setdefault(f[:5], []).append(f)
        hit.update(t for t in rest if any(f.startswith(t) or t.startswith(f) for f in by_start.get(t[:5], ())))
    for words, others in synonyms:
        if any(contains(tokens, other, slack=2) for other in others):
            hit |= words & wanted
    return hit


def rarity(words: Iterable[str], keyword: KeywordIndex | None) -> dict[str, float]:
    """Weight of each word: its inverse document frequency in the index, or 1 without one."""
    if keyword is None or not len(keyword):
        return {t: 1.0 for t in words}
    n = len(keyword)
    return {t: math.log(1 + n / max(1, keyword.doc_freq(t))) for t in words}


def never_mentioned(word: str, keyword: KeywordIndex) -> bool:
    """No passage of the index holds `word` (« Sarcelles », « Minguettes »), its typos corrected first."""
    tokens = keyword.correct(tokenize(word))
    return bool(tokens) and not any(keyword.doc_freq(t) for t in tokens)


def has_amount(text: str) -> bool:
    return bool(_AMOUNT.search(text))


def word_evidence(query: Query, texts: Sequence[str], dates: Sequence[str | None], keyword: KeywordIndex | None,
                  today: dt.date) -> float:
    """Share of the question's content words (weighted by rarity) found in the best of `texts`, halved for
    each name, number or acronym that the corpus never mentions ("Sarcelles", "loi 3DS"), for each year
    asked about that the texts never mention, for an amount asked for that none of them gives, and for a
    question about the present or the future when the texts are all older than last year."""
    wanted = query.wanted
    if not wanted or not texts:
        return 0.0
    weight = rarity(wanted, keyword)
    # A word no passage holds (« disparu », « refaire », « morceaux ») is how the asker says it, not what a
    # text could say: it counts only where a text covers it otherwise (an acronym by its long form). Measured:
    # false refusals 0.056 -> 0.028 (default corpus), 0.158 -> 0.079 (LEGI subset), 0.136 -> 0 on the 30
    # questions held out, abstention unchanged (0.800, 0.900). Counted as missing, as before, they refused
    # « l'ACSE a disparu quand ? » for want of « disparu ».
    unseen = {t for t in wanted if keyword is not None and len(keyword) and not keyword.doc_freq(t)}
    seen = sum(w for t, w in weight.items() if t not in unseen)

    def share(found: set[str]) -> float:
        return sum(weight[t] for t in found) / ((seen + sum(weight[t] for t in found & unseen)) or 1.0)

    best = max(share(covered(wanted, tokenize(text), query.synonyms)) for text in texts)
    unknown = 0
    # a word of a glossary phrase of the question (« Lamy » of « loi Lamy ») is known by its long form
    glossed = set().union(*(words for words, _ in query.synonyms))
    if keyword is not None and len(keyword):
        for word in query.salient:
            # a quantity of the asker's own case (« 1500 habitants », « 38 000 ») is compared to a threshold,
            # not looked up; years are weighed below
            if _QUANTITY.fullmatch(word) and not _YEAR.fullmatch(word):
                continue
            if never_mentioned(word, keyword) and not in_glossary(word) and not set(tokenize(word)) <= glossed:
                unknown += 1
    # A year asked about ("en 2024") that none of the texts mentions: they speak of another time.
    shown = " ".join([*texts, *(d or "" for d in dates)])
    unknown += sum(1 for year in query.years if year not in shown)
    # The present or the future asked about ("en ce moment", "les prochaines élections") from texts all
    # dated before last year: they cannot say it (an undated text might).
    years = [int(d[:4]) for d in dates if d and d[:4].isdigit()]
    if query.asks_now and len(years) == len(dates) and max(years) < today.year - 1:
        unknown += 1
    # An amount or a rate asked for ("quel salaire", "taux de subvention") that no text gives.
    if query.asks_amount and not any(has_amount(t) for t in texts):
        unknown += 1
    return best * 0.5**unknown


def evidence(
    query: Query,
    hits: Sequence[Hit],
    keyword: KeywordIndex | None = None,
    similarity_range: tuple[float, float] | None = None,
    dense_weight: float = 0.5,
    top: int = 3,
    today: dt.date | None = None,
    units: Sequence[tuple[str, str | None]] = (),
) -> float:
    """How well the answer's material answers the question, from 0 to 1: the words (`word_evidence` over the
    `top` passages and the `units` the answer would quote, as (text with its headings, date)) and the
    meaning (the best cosine, scaled on the embedder's calibrated `similarity_range`, mixed in with
    `dense_weight`)."""
    passages = hits[:top]
    texts = [h.chunk.indexed_text for h in passages] + [t for t, _ in units]
    dates = [h.chunk.date for h in passages] + [d for _, d in units]
    lexical = word_evidence(query, texts, dates, keyword, today or dt.date.today())
    cosines = [h.dense_score for h in hits if h.dense_score is not None]
    if similarity_range is None or not cosines or dense_weight == 0:
        return lexical
    low, high = similarity_range
    semantic = min(1.0, max(0.0, (max(cosines) - low) / (high - low)))
    return (1 - dense_weight) * lexical + dense_weight * semantic
