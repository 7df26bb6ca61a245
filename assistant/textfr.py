"""French text analysis for keyword search: folding, elisions, stop words, Snowball stems, legal ids.

Order of folding and stemming, measured on PIAF Service-Public (532 fiches, 105 questions, document level,
nDCG@10 with the questions as written / the same questions typed without accents; `evals/bench_keyword_piaf.py`):
no stemming 0.860 / 0.860; stemming, accents kept 0.898 / 0.835; stemming then folding 0.898 / 0.894; folding
then stemming 0.895 / 0.895; folding, re-accenting "-ite(s)"/"-ee(s)", then stemming 0.898 / 0.898 (the default).
Folding first makes a word typed without accents ("intercommunalite", "remplacees") give the same token as the
accented text; the re-accenting gives Snowball back the "-ité"/"-ée" suffixes that folding hides from it.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

import Stemmer

# Bump when the tokens produced for the same text change: an index built by another version is rebuilt.
ANALYSIS_VERSION = 3  # 2: « co-formation » also gives « coformation »; 3: « devant », « durant »… stop words

FoldOrder = Literal["before", "after", "none"]

# bm25s's French list (Snowball's), the elided forms, and common function words it lacks.
_STOP_WORDS_TEXT = """
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
devant derrière auprès envers parmi selon pendant durant malgré afin lorsque puisque dès outre chaque plusieurs
certains certaines beaucoup trop peu
"""
STOP_WORDS: frozenset[str] = frozenset(_STOP_WORDS_TEXT.split())

# Apostrophes separate words, so elided articles and pronouns (l', d', qu', jusqu') fall out as stop words.
_APOSTROPHES = ("'", "’", "ʼ", "‘", "`", "´")
# One scan finds words, numbers with inner dashes, dots or commas ("2014-173", "l5214-16", "1,5"), thousands
# separated by a space ("1 500": NBSP and narrow NBSP are spaces after NFKC), and article numbers written with a
# dot or a space ("L. 5214-16", "R.2122-1", "L.O. 141"); `Analyzer._analyse` then normalises each raw match.
# Scanning left to right keeps "total. 2014" a word and a number: the "l" is consumed with "total".
# Prefixes written with or without a hyphen (« co-construction », « coconstruction »): both spellings match.
_PREFIXES = ("co", "ré", "re", "pré", "inter", "intra", "auto", "anti", "multi", "pluri", "socio", "péri", "post",
             "micro", "semi", "extra", "sur", "sous", "non")
_COMPOUND = rf"\b(?:{'|'.join(_PREFIXES)})-[^\W\d_]+"
_TOKEN = re.compile(_COMPOUND + r"|(?:l\.?o|[lrda])(?:\. ?| )\d+(?:-\d+)*|\d{1,3}(?: \d{3})+(?:,\d+)?|\w+(?:[-.,]\d+)*")
_SPACED_ARTICLE = re.compile(r"(l\.?o|[lrda])(\. ?| )(\d+(?:-\d+)*)")
_ARTICLE = re.compile(r"[^\W\d_]{1,2}\d+(?:-\d+)+")  # l5214-16, r2122-1, lo141-1
_NUMBER = re.compile(r"\d+(?:-\d+)*|\d+[.,]\d+")
_PARTS = re.compile(r"[^\W_]+")
_YEAR = re.compile(r"(?:19|20)\d\d")
_COMBINING = re.compile(r"[\u0300-\u036f]")
# After folding, Snowball no longer sees "-ité" or "-ée" and keeps "intercommunalit" apart from
# "intercommunal"; restoring the accent on these near-unambiguous endings lets it strip them again.
_REACCENT = re.compile(r"(?<=it)e(?=s?$)|e(?=es?$)")


def fold(text: str) -> str:
    """NFKC, lower case, accents removed, œ → oe, æ → ae."""
    text = unicodedata.normalize("NFKC", text).lower().replace("œ", "oe").replace("æ", "ae")
    return unicodedata.normalize("NFC", _COMBINING.sub("", unicodedata.normalize("NFD", text)))


_local = threading.local()


def _stemmer() -> Stemmer.Stemmer:
    """One cached stemmer per thread: a PyStemmer object keeps internal state and must not be shared."""
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = Stemmer.Stemmer("french")
    return stemmer


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
        raws = _TOKEN.findall(text.replace("\u00ad", ""))
        cache = self._cache
        if len(cache) > 500_000:  # a new dict, not clear(): another thread may be reading this one
            cache = {}
            object.__setattr__(self, "_cache", cache)
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
        if spaced := _SPACED_ARTICLE.fullmatch(raw):
            prefix, separator, number = spaced.groups()
            if separator == " " and ("-" not in number or prefix == "a"):
                # "il y a 3 ans": a bare space makes an article only before a dashed number, never after "a"
                return tuple(token for part in (prefix, number) for token in self._analyse(part))
            return self._analyse(prefix.replace(".", "") + number)
        if " " in raw:  # 1 500
            return (raw.replace(" ", ""),)
        if _ARTICLE.fullmatch(raw):
            # "article 5214-16" without its L still finds L5214-16
            return (raw, raw[next(i for i, c in enumerate(raw) if c.isdigit()) :])
        parts = _PARTS.findall(raw)
        if len(parts) == 1 and parts[0] == raw:  # a1, f34355, covid19
            return (raw,)
        if len(parts) == 2 and raw == "-".join(parts) and parts[0] in _PREFIXES:  # co-formation
            return (*(token for part in parts for token in self._analyse(part)), *self._analyse("".join(parts)))
        return tuple(token for part in parts for token in self._analyse(part))  # covid-19, mot_clé

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
        key_tokens = tuple(tokenize(key)) if stemmed else words
        entries.append(_Entry(key, key_tokens, stemmed, tuple(e for e in expansions if e[1])))
    return tuple(e for e in entries if e.key_tokens)


def in_glossary(word: str) -> bool:
    """Is `word` an acronym or short name of the glossary ("interco", "QPV")?"""
    words = tuple(_WORDS.tokenize(word))
    return any(not e.stemmed_key and e.key_tokens == words for e in _glossary())


def contains(tokens: Sequence[str], phrase: tuple[str, ...], slack: int = 0) -> bool:
    """`phrase` in `tokens`, in order, with at most `slack` other words inserted: with 2, "établissement
    public national à caractère industriel" holds "établissement public à caractère industriel"."""
    n = len(phrase)
    for i, token in enumerate(tokens):
        if n and token == phrase[0]:
            j = 1
            for word in tokens[i + 1 : i + n + slack]:
                if j < n and word == phrase[j]:
                    j += 1
            if j == n:
                return True
    return False


def _found(query: str) -> Iterator[tuple[_Entry, bool, list[str]]]:
    """Glossary entries whose key (True) or else one of whose long forms (False) `query` contains,
    with the query's stemmed tokens."""
    tokens = tokenize(query)
    words = _WORDS.tokenize(query)
    for entry in _glossary():
        if contains(tokens if entry.stemmed_key else words, entry.key_tokens):
            yield entry, True, tokens
        elif any(contains(tokens, form_tokens) for _, form_tokens in entry.expansions):
            yield entry, False, tokens


# Stemmed words of a way of saying something, and the stemmed phrases of the other ways of saying it.
Equivalent = tuple[frozenset[str], tuple[tuple[str, ...], ...]]


def equivalents(query: str) -> list[Equivalent]:
    """For each glossary key or long form found in `query`: its stemmed words, and the stemmed phrases of
    the other ways of saying it. "ANRU" → ({anru}, ((agenc, national, renov, urbain),))."""
    out: list[Equivalent] = []
    for entry, by_key, tokens in _found(query):
        key = tuple(tokenize(entry.key))
        forms = [form_tokens for _, form_tokens in entry.expansions]
        if by_key:
            out.append((frozenset(key), tuple(forms)))
        else:
            out += [(frozenset(form), (key,)) for form in forms if contains(tokens, form)]
    return out


def expand_query(query: str) -> str:
    """`query` followed by the glossary's long forms of the acronyms it contains ("QPV" → "quartier prioritaire
    de la politique de la ville"), and by the acronym of a long form it contains. Only whole words match, whatever
    their case and accents; long forms and keys of several words also match in the plural."""
    added: list[str] = []
    for entry, by_key, tokens in _found(query):
        if by_key:
            added += [form for form, form_tokens in entry.expansions if not contains(tokens, form_tokens)]
        else:
            added.append(entry.key)
    if not added:
        return query
    return f"{query} ; " + " ; ".join(dict.fromkeys(added))
