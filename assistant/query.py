"""The question analysed once: standalone text, words, corrections, glossary equivalents, expected answer.

Retrieval, evidence and the composer all read the same `Query`, so a question is condensed, tokenised,
corrected and expanded in one place.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from assistant.conversation import condense
from assistant.references import Reference, references
from assistant.textfr import Equivalent, equivalents, expand_query, tokenize

if TYPE_CHECKING:
    from assistant.keyword import KeywordIndex

Expect = Literal["number", "amount", "date", "person", "list", "definition"]

# How a practitioner asks, not what about: these words say nothing of whether the corpus answers.
ASKING = frozenset(tokenize("combien temps quoi comment faut peut veut dire exactement concrètement genre "
                            "savoir quel quelle quels quelles fait faire doit depuis quand encore maintenant "
                            "toujours vraiment existe existent exister définition signifie signification sert servent "
                            "servir"))

_WORD = re.compile(r"[\w'’-]+")
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_NOW = re.compile(r"\b(prochaine?s?|en ce moment|actuel(le)?s?|actuellement|aujourd'hui|cette année|à venir)\b",
                  re.IGNORECASE)
# Words that ask for an amount; not "budget" nor "indemnité": "le budget participatif", "les indemnités
# sont-elles imposables" ask something else.
# « Combien gagne… » asks a pay; « un locataire qui gagne plus de deux fois le plafond » does not.
_MONEY = re.compile(r"\b(montants?|salaires?|combien (\S+ ){0,3}gagn\w*|gagn\w* combien|euros?|co[uû]ts?|"
                    r"co[uû]tent|co[uû]te|taux|"
                    r"combien d'argent|enveloppe|financement de combien|quel budget|"
                    r"budget (du|de la|de l'|des|total|global|alloué|prévu|consacré))\b|€", re.IGNORECASE)
# The expected kind of answer, tried in this order: the first that matches wins.
_EXPECT: tuple[tuple[Expect, re.Pattern[str]], ...] = (
    ("amount", _MONEY),
    ("date", re.compile(r"\b(quand|depuis quand|jusqu'à quand|à partir de quand|quelle date|en quelle année|"
                        r"quelle année|dates? d[e'])", re.IGNORECASE)),
    ("number", re.compile(r"\b(combien|quel(le)?s? (est|sont) (le|la|les) (durée|délai|seuil|nombre|âge|taux|"
                          r"population|minimum|maximum)|quel(le)?s? (durée|délai|seuil|nombre|âge|population)|"
                          r"nombre (de|d')|seuils?|minimum|maximum|âge minimum|pour combien de temps)\b",
                          re.IGNORECASE)),
    ("list", re.compile(r"\b(quel(le)?s (sont|critères|missions|compétences|contenus|conditions|acteurs|membres|"
                        r"documents|signataires|instances|objectifs|outils|dispositifs|étapes|éléments|"
                        r"catégories|types|moyens|thèmes|piliers|axes|engagements|pièces)|lesquel(le)?s|"
                        r"liste|qui (peut|peuvent) (être|faire|siéger|participer|en faire)|"
                        r"que (doit|doivent) (contenir|comprendre|prévoir|fixer)|quoi dedans|"
                        r"(contient|comprend|prévoit|fixe)[- ]t?[- ]?(il|elle)|"
                        r"(ils|elles) (font|s'occupent) (de )?quoi)\b", re.IGNORECASE)),
    # « qui » asks who at the start of a clause or after a preposition; after a noun it is relative
    # (« la note qui porte… », « un agent qui travaille en QPV »).
    ("person", re.compile(r"((^|[,;:?]\s*|\b(et|ou|mais|par|à|de|auprès de|avec|pour|chez|c'est)\s+)qui|"
                          r"\bquel(le)? (organisme|instance|autorité|service|acteur|élu))\b", re.IGNORECASE)),
    ("definition", re.compile(r"\b(qu'est[- ]ce qu[e']|c'est quoi|définition|que (veut dire|signifie)|"
                              r"à quoi sert)\b", re.IGNORECASE)),
)


@dataclass(frozen=True)
class Query:
    """A question as the assistant understands it. `text` is what was asked; `standalone` adds the previous
    turn to a follow-up; `keyword_tokens` are the corrected, glossary-expanded tokens of BM25."""

    text: str
    standalone: str
    tokens: tuple[str, ...]
    wanted: frozenset[str]
    synonyms: tuple[Equivalent, ...]
    keyword_tokens: tuple[str, ...]
    salient: tuple[str, ...]
    names: tuple[str, ...]  # proper names of the question itself ("Lille"), not of the turn before
    expects: Expect | None
    years: tuple[str, ...]
    asks_now: bool
    asks_amount: bool
    references: tuple[Reference, ...] = ()  # articles and texts named (« L. 5214-16 », « loi Lamy »)
    counted: str | None = None  # what a number asked for counts: « combien d'habitants » → "habit"

    def __str__(self) -> str:
        return self.standalone


def salient_words(question: str) -> list[str]:
    """Names, numbers and acronyms: "Sarcelles", "2024", "3DS" (not the question's first word)."""
    words = _WORD.findall(question)
    return [w for i, w in enumerate(words)
            if any(ch.isdigit() for ch in w) or (len(w) > 1 and w.isupper()) or (i > 0 and w[:1].isupper())]


_SENTENCE_START = re.compile(r"(^|[.?!:;«(]\s*)$")
# « une unité urbaine comme Paris », « par exemple Lille »: an example, not the place asked about.
_EXAMPLE = re.compile(r"\b(comme|par exemple|tel(le)?s? que|ex\.)\s*$", re.IGNORECASE)


# The number that names a text or a budget line: « programme 147 », « article L5214-16 », « décret 2023-1314 ».
_REFERENCE = re.compile(r"\b(programme|article|art\.|décret|loi|circulaire|arrêté|action)\s+(n°\s*)?"
                        r"([A-Z]?\d[\w-]*)", re.IGNORECASE)


def names(question: str) -> list[str]:
    """Proper names the question asks about ("Lille", "Val-Fourré", "Jallet"): capitalised words that do not
    open a sentence, not acronyms (the glossary's business), not numbers, not stop words; and the numbers that
    name a text or a budget line (« programme 147 »)."""
    out = [m.group(3) for m in _REFERENCE.finditer(question)]
    for m in _WORD.finditer(question):
        w = m.group()
        if (w[:1].isupper() and not w.isupper() and not any(ch.isdigit() for ch in w) and tokenize(w)
                and not _SENTENCE_START.search(question[: m.start()]) and not _EXAMPLE.search(question[: m.start()])):
            out.append(w)
    return out


# « combien faut-il d'habitants », « le nombre de membres », « combien de compétences »
_COUNTED = re.compile(r"\b(combien|nombre|minimum|maximum)\s+((?!de\b|d')\S+\s+){0,2}(de|d')\s*([\w-]+)",
                      re.IGNORECASE)


def counted(question: str) -> str | None:
    """The stem of what a number asked for counts, if the question says it; "euro" for an amount in euros."""
    if re.search(r"\beuros?\b|€", question, re.IGNORECASE):
        return "euro"
    for m in _COUNTED.finditer(question):
        stems = tokenize(m.group(4))
        if stems and stems[0] not in ASKING:
            return stems[0]
    return None


def expected(question: str) -> Expect | None:
    return next((kind for kind, pattern in _EXPECT if pattern.search(question)), None)


def analyse(question: str, history: Sequence[str] = (), keyword: KeywordIndex | None = None) -> Query:
    """Everything the later steps need from the question, computed once. With the keyword index, typos are
    corrected from its vocabulary ("habitans" → "habit")."""
    standalone = condense(question, history)
    tokens = tokenize(standalone)
    expanded = tokenize(expand_query(standalone))
    # Asking words go before typos are corrected: corrected, « combien » would become « combinaison ».
    content = [t for t in tokens if t not in ASKING]
    if keyword is not None:
        tokens = keyword.correct(tokens)
        expanded = keyword.correct(expanded)
        content = keyword.correct(content)
    return Query(
        text=question,
        standalone=standalone,
        tokens=tuple(tokens),
        wanted=frozenset(content) - ASKING,
        synonyms=tuple(equivalents(standalone)),
        keyword_tokens=tuple(expanded),
        salient=tuple(salient_words(standalone)),
        names=tuple(names(question)),
        # the kind of answer is asked by the new question, not by the turn it follows
        expects=expected(question),
        years=tuple(sorted(set(_YEAR.findall(standalone)))),
        asks_now=bool(_NOW.search(standalone)),
        asks_amount=bool(_MONEY.search(standalone)),
        references=references(standalone),
        counted=counted(question),
    )
