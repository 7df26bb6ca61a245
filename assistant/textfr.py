"""French text analysis for keyword search: folding, elisions, stop words, Snowball stems, legal ids.

Measured on the PIAF Service-Public set (532 fiches, 105 questions, document level, `evals/bench_keyword_piaf.py`):
stemming then folding gives nDCG@10 0.902 on the questions as written and 0.876 on the same questions typed
without accents; folding then stemming gives 0.895 and 0.895; with the `-ite`/`-ee` re-accenting below, 0.896 and
0.896. Folding first makes a query typed without accents ("intercommunalite", "remplacees") tokenize exactly like
the accented text, which staff often type, for a 0.006 loss on perfectly accented questions: `fold="before"` with
re-accenting is the default.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

import Stemmer

# Bump when the tokens produced for the same text change: an index built by another version is rebuilt.
ANALYSIS_VERSION = 1

FoldOrder = Literal["before", "after", "none"]

# bm25s's French list (Snowball's), the elided forms, and common function words it lacks.
_STOP_WORDS = """
ai aie aient aies ait as au aura aurai auraient aurais aurait auras aurez auriez aurions aurons auront aux
avaient avais avait avec avez aviez avions avons ayant ayante ayantes ayants ayez ayons c ce ces d dans de des du
elle en es est et eu eue eues eurent eus eusse eussent eusses eussiez eussions eut eux eûmes eût eûtes furent fus
fusse fussent fusses fussiez fussions fut fûmes fût fûtes il ils j je l la le les leur lui m ma mais me mes moi mon
même n ne nos notre nous on ont ou par pas pour qu que qui s sa se sera serai seraient serais serait seras serez
seriez serions serons seront ses soient sois soit sommes son sont soyez soyons suis sur t ta te tes toi ton tu un
une vos votre vous y à étaient étais était étant étante étantes étants étiez étions été étée étées étés êtes
jusqu lorsqu puisqu quoiqu presqu
avoir être cet cette ceci cela ça celui celle celles ceux ci dont où quel quelle quels quelles lequel laquelle
lesquels lesquelles auquel auxquels auxquelles duquel desquels desquelles leurs elles si sans sous entre vers chez
car ni or donc puis ainsi alors aussi comme très tout tous toute toutes autre autres mêmes ici là voici voilà
""".split()
STOP_WORDS: frozenset[str] = frozenset(_STOP_WORDS)

# Apostrophes separate words, so elided articles and pronouns (l', d', qu', jusqu') fall out as stop words.
_APOSTROPHES = ("'", "’", "ʼ", "‘", "`", "´")
# Article numbers of the codes written with a dot or a space: "L. 5214-16", "R.2122-1", "L.O. 141", "L 5214-16"
# → "l5214-16", "r2122-1", "lo141". No lookbehind in these patterns: it would make the scan 2-3 times slower, so
# `_legal` and `_thousands` check the preceding character themselves.
_LEGAL = re.compile(r"(l\.?o|[lrda])(\. ?| )(\d+(?:-\d+)*)(?![\w-])")
# Thousands separated by a space (NBSP and narrow NBSP become spaces under NFKC): "1 500" → "1500".
_THOUSANDS = re.compile(r"\d{1,3}(?: \d{3})+(?!\d|,\d)")
# Words, numbers, and numbers or ids with inner dashes, dots or commas ("2014-173", "l5214-16", "1,5").
_TOKEN = re.compile(r"[^\W_]+(?:[-.,]\d+)*")
_ARTICLE = re.compile(r"[^\W\d_]{1,2}\d+(?:-\d+)+")  # l5214-16, r2122-1, lo141-1
_NUMBER = re.compile(r"\d+(?:-\d+)*|\d+[.,]\d+")
_PARTS = re.compile(r"[^\W_]+")
_YEAR = re.compile(r"(?:19|20)\d\d")
_COMBINING = re.compile(r"[\u0300-\u036f]")
# After folding, Snowball no longer sees "-ité" or "-ée" and keeps "intercommunalit" apart from
# "intercommunal"; restoring the accent on these near-unambiguous endings lets it strip them again.
_REACCENT = re.compile(r"(?<=it)e(?=s?$)|e(?=es?$)")


def _legal(m: re.Match[str]) -> str:
    start = m.start()
    if start and (m.string[start - 1].isalnum() or m.string[start - 1] in "._"):
        return m.group()  # "total. 2014": the l ends a word
    prefix, separator, number = m.groups()
    if separator == " " and ("-" not in number or prefix == "a"):
        return m.group()  # "il y a 3 ans": a bare space only before a dashed number, never after "a"
    return prefix.replace(".", "") + number


def _thousands(m: re.Match[str]) -> str:
    start = m.start()
    if start and (m.string[start - 1].isdigit() or m.string[start - 1] in ".,"):
        return m.group()  # "2014 200" or "1,5 000": not one number
    return m.group().replace(" ", "")


def fold(text: str) -> str:
    """NFKC, lower case, accents removed, œ → oe, æ → ae."""
    text = unicodedata.normalize("NFKC", text).lower().replace("œ", "oe").replace("æ", "ae")
    return unicodedata.normalize("NFC", _COMBINING.sub("", unicodedata.normalize("NFD", text)))


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("french")


# Stop words as typed, with and without accents ("ete", "etait").
_STOP_ANY = STOP_WORDS | {fold(w) for w in STOP_WORDS}


@dataclass(frozen=True)
class Analyzer:
    """Text → index tokens. `fold` places accent folding before or after stemming (or skips it)."""

    stem: bool = True
    fold: FoldOrder = "before"
    reaccent: bool = True
    stop_words: bool = True
    # raw word → its tokens; a corpus has tens of thousands of distinct words, not millions.
    _cache: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False, repr=False, hash=False)

    def __call__(self, text: str) -> list[str]:
        return self.tokenize(text)

    def tokenize(self, text: str) -> list[str]:
        text = unicodedata.normalize("NFKC", text).lower()
        for apostrophe in _APOSTROPHES:
            text = text.replace(apostrophe, " ")
        text = _THOUSANDS.sub(_thousands, _LEGAL.sub(_legal, text.replace("\u00ad", "")))
        raws = _TOKEN.findall(text)
        cache = self._cache
        if len(cache) > 500_000:
            cache.clear()
        for raw in set(raws).difference(cache):
            cache[raw] = self._analyse(raw)
        return [token for raw in raws for token in cache[raw]]

    def _analyse(self, raw: str) -> tuple[str, ...]:
        if raw.isalpha():
            token = self._word(raw)
            return () if token is None else (token,)
        if _NUMBER.fullmatch(raw):
            if "-" in raw:  # 2015-2020 also finds 2015 and 2020; 2014-173 finds 2014
                return (raw, *(part for part in raw.split("-") if _YEAR.fullmatch(part)))
            return (raw,)
        if _ARTICLE.fullmatch(raw):
            return (raw, raw.lstrip("lorda"))  # "article 5214-16" without its L still finds L5214-16
        parts = _PARTS.findall(raw)
        if len(parts) == 1:  # a1, f34355, covid19
            return (raw,)
        return tuple(token for part in parts for token in self._analyse(part))  # covid-19

    def _word(self, word: str) -> str | None:
        if self.stop_words and word in _STOP_ANY:
            return None
        if len(word) == 1 and not word.isdigit():
            return None
        if self.fold == "before":
            word = fold(word)
            if self.reaccent and self.stem:
                word = _REACCENT.sub("é", word)
        if self.stem:
            word = _stemmer().stemWord(word)
        if self.fold == "after":
            word = fold(word)
        return word

    def config(self) -> dict[str, object]:
        return {"stem": self.stem, "fold": self.fold, "reaccent": self.reaccent, "stop_words": self.stop_words}


DEFAULT_ANALYZER = Analyzer()


def tokenize(text: str) -> list[str]:
    """Keyword-search tokens of `text` with the default analysis."""
    return DEFAULT_ANALYZER.tokenize(text)


# Glossary: acronyms and short names → long forms, written as data in assistant/data/glossaire.json.
@dataclass(frozen=True)
class _Entry:
    key: str
    key_tokens: tuple[str, ...]
    stemmed_key: bool
    expansions: tuple[tuple[str, tuple[str, ...]], ...]


# A one-word key is compared unstemmed: stemmed, "PLUi" would match "pluie" and "REP" "repas".
_WORDS = Analyzer(stem=False)


@lru_cache(maxsize=1)
def _glossary() -> tuple[_Entry, ...]:
    import json
    from importlib.resources import files

    raw = json.loads(files("assistant").joinpath("data/glossaire.json").read_text(encoding="utf-8"))
    entries = []
    for key, forms in raw.items():
        if key.startswith("_"):  # "_comment"
            continue
        words = tuple(_WORDS.tokenize(key))
        stemmed = len(words) > 1
        expansions = tuple((form, tuple(tokenize(form))) for form in forms)
        entries.append(_Entry(key, tuple(tokenize(key)) if stemmed else words, stemmed, tuple(e for e in expansions if e[1])))
    return tuple(e for e in entries if e.key_tokens)


def _contains(tokens: Sequence[str], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return any(tuple(tokens[i : i + n]) == phrase for i in range(len(tokens) - n + 1))


def expand_query(query: str) -> str:
    """`query` followed by the glossary's long forms of the acronyms it contains ("QPV" → "quartier prioritaire
    de la politique de la ville"), and by the acronym of a long form it contains. Only whole words match, whatever
    their case and accents; long forms and keys of several words also match in the plural."""
    tokens = tokenize(query)
    words = _WORDS.tokenize(query)
    added: list[str] = []
    for entry in _glossary():
        if _contains(tokens if entry.stemmed_key else words, entry.key_tokens):
            added += [form for form, form_tokens in entry.expansions if not _contains(tokens, form_tokens)]
        elif any(_contains(tokens, form_tokens) for _, form_tokens in entry.expansions):
            added.append(entry.key)
    if not added:
        return query
    return f"{query} ; " + " ; ".join(dict.fromkeys(added))
