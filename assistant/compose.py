"""The extractive answer: whole blocks (paragraph, list with all its items) of the best units, each introduced
by where it comes from, so that no sentence can be read as speaking of another subject.

One unit alone when a block of it answers well (it covers the question's words and gives the kind of answer
asked for: a number of what the question counts, a list, a date, a who); else at most `MAX_QUOTES` units,
never one on a sibling subject the question did not name. Of each unit, up to `UNIT_BLOCKS` blocks, in the
unit's order under one label; a short article of an official text whole. Questions, headings, bibliographies
and the premises of the questions of a document of questions are never quoted; a question the corpus only
restates (the 2017 national day) is said to have been raised, not given as its own answer. The names of the question that no
quoted unit mentions (« Lille ») are returned, for the refusal or the note that says so.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache, partial

from assistant.evidence import covered, has_amount, never_mentioned, rarity
from assistant.keyword import KeywordIndex
from assistant.query import Expect, Query
from assistant.references import in_text
from assistant.sentences import sentences
from assistant.textfr import contains, expand_query, fold, tokenize
from assistant.types import Chunk, Hit
from assistant.units import Block, blocks, heading, is_bibliography, unit_key, unit_text

MAX_QUOTES = 3
# Words quoted at most, lists included: measured on the practitioner sets, the longest useful answers (the
# contents of a contrat de ville, the missions of the CGET) are lists of 150 to 220 words.
MAX_WORDS = 260
# A list longer than this shows every item cut to its first words, says so and points to the source.
MAX_LIST_WORDS = 260
# A paragraph longer than this is quoted from its best sentences, the cut marked « (…) ».
MAX_PARAGRAPH_WORDS = 180
UNITS = 5  # units read, best first
# Blocks quoted from one unit at most, in the unit's order: a list and the paragraph after it (« 15 à 50
# membres »), the three piliers and the axes that follow — a two-part question is often one section.
UNIT_BLOCKS = 3
# One block answers alone when it covers this share of the question's words and gives the expected kind.
STRONG = 0.75
# Other blocks must score this share of the best one to be quoted beside it.
RELATIVE = 0.6
RANK_DECAY = 0.15  # a block of the unit at rank r weighs 1 / (1 + RANK_DECAY · r)
HEADING_BONUS = 0.5  # weight added when the unit's heading is made of the question's words
TYPE_BONUS = 1.25  # weight of a block that gives the kind of answer asked for (a number, a list…)
# A question of the corpus covering this share of the question's words is the same question.
RAISED = 0.5
# A unit where this share of the blocks are questions is a document of questions (the 2017 day's programme):
# its statements set up the questions, they answer none.
QUESTION_SHARE = 0.4
# Two blocks sharing this share of their words say the same thing: quoted once, both sources cited.
NEAR_DUPLICATE = 0.7
# An article of an official text this short is quoted whole: its alinéas lean on each other (the rule, then
# its exception or its procedure).
WHOLE_ARTICLE = 200

# A quantity, not any digit: the texts are full of dates, article and decree numbers (« décret n° 2014-767 du
# 3 juillet 2014 ») that answer no « combien ». Not « un », « une »: articles first.
_NUMBER = re.compile(r"\b(au moins|plus de|moins de|jusqu'à|entre|de|à) \d|\d\s?(%|pour cent)|"
                     r"\d[\d \u00a0\u202f.,]*\s?(habitants?|ans|années?|mois|jours|semaines|heures|fois|membres|"
                     r"personnes|électeurs|communes|quartiers|logements|euros|€|milliards?|millions?|points|sièges|"
                     r"élus|délégués|conseillers|signatures|groupes|compétences|vice-présidents|agents|postes)\b|"
                     r"\b(deux|trois|quatre|cinq|six|sept|huit|neuf|dix|douze|quinze|vingt|trente|quarante|cinquante|"
                     r"cent|mille|moitié|tiers|quart|dixième|vingtième)\b", re.IGNORECASE)
_QUANTITY = re.compile(r"\d[\d \u00a0\u202f.,]*\d|\d|\b(deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|"
                       r"quinze|vingt|trente|quarante|cinquante|cent|mille|moitié|tiers|quart|\w+ièmes?)\b", re.IGNORECASE)
_EUROS = re.compile(r"\d[\d \u00a0\u202f.,]*\s*(€|euros?\b|(millions?|milliards?) d'euros|M€|Md€)", re.IGNORECASE)
_DATE = re.compile(r"\b(1[89]|20)\d\d\b|\b(janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|"
                   r"novembre|décembre)\b", re.IGNORECASE)
_WHO = re.compile(r"\b(préfet|maire|président|conseil|commission|agence|ministre|[ÉE]tat|établissement|"
                  r"commune|EPCI|habitants|représentants|membres|associations|délégué|directeur|commissaire|"
                  r"collectivités?|département|région|élus|gouvernement|comité|organisme|assemblée|acteurs|"
                  r"partenaires|signataires|bailleurs|services)\b", re.IGNORECASE)
_ENUMERATION = re.compile(r";|d'une part|\bainsi que\b|(,[^,]+){3,}")

# Subjects that sit side by side in the texts, where a sentence on one is wrong about the other.
SIBLINGS: tuple[tuple[str, ...], ...] = (
    ("communauté de communes", "communauté d'agglomération", "communauté urbaine", "métropole"),
    ("conseil citoyen", "conseil de quartier", "conseil de développement"),
    ("contrat de ville", "contrat de plan", "contrat de ruralité"),
    ("quartier prioritaire", "zone urbaine sensible", "zone de redynamisation urbaine", "zone franche urbaine"),
)
WHAT = {"number": "le nombre ou la durée", "amount": "le montant", "date": "la date",
         "person": "qui est concerné", "list": "la liste complète"}


@dataclass(frozen=True)
class Quote:
    """One block quoted in an answer, with where it comes from."""

    label: str
    block: Block
    hits: tuple[Hit, ...]  # the unit's best hit first; a near-duplicate block of another unit adds its own
    score: float = 0.0
    summarised: bool = False  # a list too long to quote whole: its items cut to their first words, the cut said
    unit: str = ""  # the whole text of the unit quoted from, for the sources panel and the evidence
    context: str = ""  # its collection, title and headings


@dataclass(frozen=True)
class Composition:
    quotes: tuple[Quote, ...] = ()
    raised_in: Hit | None = None  # a document that only asks the question (a list of questions of a day)
    missing: Expect | None = None  # the kind of answer asked for that the quotes do not give
    strength: float = 0.0  # coverage of the best quoted block, its unit's headings counting half
    unnamed: tuple[str, ...] = ()  # names of the question ("Lille") that no quoted unit mentions

    @property
    def partial(self) -> bool:
        """The kind of answer asked for (a number, a list…) is not in what is quoted."""
        return self.missing is not None


@dataclass(frozen=True)
class _Unit:
    hit: Hit
    chunks: tuple[Chunk, ...]
    text: str
    context: str  # collection, title and heading path: what the unit is about


def quote_label(chunk: Chunk) -> str:
    """ "Fiche « Conseils citoyens » — Composition", "Code général des collectivités territoriales — Article
    L5214-16", "Journée nationale … (actes), p. 2"."""
    section = heading(chunk)
    speaker = chunk.metadata.get("speaker")
    if speaker:  # proceedings: who said it, where
        organisation = chunk.metadata.get("organisation")
        who = f"{speaker} ({organisation})" if organisation else str(speaker)
        text = f"{who}, « {chunk.title} »"
        return f"{text}, p. {chunk.page}" if chunk.page else text
    if chunk.kind == "fiche":
        head = f"Fiche « {chunk.title} »"
    elif chunk.kind in ("actes", "compte rendu", "rapport"):
        head = f"« {chunk.title} » ({chunk.kind})"
    else:
        head = " — ".join(dict.fromkeys(p for p in (chunk.collection, chunk.title) if p))
    text = f"{head} — {section}" if section and section not in head else head
    return f"{text}, p. {chunk.page}" if chunk.page else text


def satisfies(block: Block, expects: Expect | None, counted: str | None = None) -> bool:
    """Does the block give the kind of answer the question asks for? A number of what the question counts,
    when it says (« combien d'habitants » : « 1 000 habitants », not « deux éléments »)."""
    text = block.text
    if expects == "number" and counted:
        return any(_counts(text[m.end():], counted) for m in _QUANTITY.finditer(text))
    if expects == "number":
        return bool(_NUMBER.search(text))
    if expects == "amount":  # « combien en euros » : a rate is no answer
        return has_amount(text) and (counted != "euro" or bool(_EUROS.search(text)))
    if expects == "date":
        return bool(_DATE.search(text))
    if expects == "person":
        return bool(_WHO.search(text))
    if expects == "list":
        return block.kind == "list" or bool(_ENUMERATION.search(text))
    return True


def _counts(after: str, counted: str) -> bool:
    """A number is followed, within three words, by what the question counts."""
    return any(t == counted or (len(t) >= 5 and len(counted) >= 5 and t[:5] == counted[:5])
               for t in tokenize(" ".join(after.split()[:3])))


# « (pas une agglo) », « hors métropole »: a subject named to be set aside.
_NEGATED = re.compile(r"\((pas|non|hors|sauf)\b[^)]*\)|\b(pas|hors|sauf)\s+(une?|la|le|les|des|du|de|d')\s*"
                      r"[\w'’-]+(\s+(de|d'|des)?\s*[\w'’-]+)?", re.IGNORECASE)


def _subjects(query: Query, keyword: KeywordIndex | None) -> tuple[set[tuple[str, ...]], set[tuple[str, ...]]]:
    """Sibling subjects the question names (« com com », « agglo » read through the glossary; not those it
    sets aside: « pas une agglo »), and those it does not name beside them."""
    named: set[tuple[str, ...]] = set()
    others: set[tuple[str, ...]] = set()
    tokens = tokenize(expand_query(_NEGATED.sub(" ", query.standalone)))
    tokens = keyword.correct(tokens) if keyword is not None else tokens
    for family in SIBLINGS:
        phrases = [tuple(tokenize(p)) for p in family]
        hit = [p for p in phrases if contains(tokens, p)]
        if hit:
            named |= set(hit)
            others |= {p for p in phrases if p not in hit}
    return named, others


def off_subject(text: str, named: Collection[tuple[str, ...]], others: Collection[tuple[str, ...]]) -> bool:
    """A text about a sibling subject the question did not name, and not about the one it named."""
    tokens = tokenize(text)
    return any(contains(tokens, p) for p in others) and not any(contains(tokens, p) for p in named)


def _trim(block: Block, score_text: Callable[[str], float]) -> Block:
    """A long paragraph cut to the run of sentences that scores best (`score_text`: covers most of the
    question and gives the kind of answer asked for), within MAX_PARAGRAPH_WORDS; a run never opens on a
    sentence that leans on the one before it. The cuts are marked « (…) »."""
    said = sentences(block.text)
    if len(said) < 2:
        return block
    best: tuple[float, int, int] | None = None
    for start in range(len(said)):
        if start and _leans(said[start]):
            continue
        end = start + 1
        while end < len(said) and len(" ".join(said[start : end + 1]).split()) <= MAX_PARAGRAPH_WORDS:
            end += 1
        text = " ".join(said[start:end])
        score = score_text(text)
        if best is None or score > best[0] + 1e-9:
            best = (score, start, end)
    assert best is not None
    _, start, end = best
    text = " ".join(said[start:end])
    text = ("(…) " if start > 0 else "") + text + (" (…)" if end < len(said) else "")
    return Block("paragraph", text)


_ANAPHORA = re.compile(r"^(il|elle|ils|elles|celui-ci|celle-ci|ceux-ci|celles-ci|ce dernier|cette dernière|"
                       r"ces derniers|ces dernières|son|sa|ses|leur|leurs|à cet effet|dans ce cas|de plus|"
                       r"en outre|cette|ces|ce|cet|lui)\b", re.IGNORECASE)


def _leans(sentence: str) -> bool:
    return bool(_ANAPHORA.match(sentence.strip())) or sentence.strip()[:1].islower()


def _with_antecedents(found: list[Block]) -> list[Block]:
    """A paragraph that opens on a pronoun ("Elle s'inscrit…") is quoted with the paragraph before it."""
    out: list[Block] = []
    for block in found:
        if block.kind == "paragraph" and out and out[-1].kind == "paragraph" and _leans(block.text):
            out[-1] = Block("paragraph", f"{out[-1].text}\n{block.text}")
        else:
            out.append(block)
    return out


def _read_units(hits: Sequence[Hit],
                unit_chunks: Callable[[Sequence[Chunk]], list[Chunk]] | None) -> list[_Unit]:
    best: dict[str, Hit] = {}
    for hit in hits:
        key = unit_key(hit.chunk)
        if key not in best and len(best) < UNITS:
            best[key] = hit
    by_unit: dict[str, list[Chunk]] = {}
    for c in unit_chunks([h.chunk for h in best.values()]) if unit_chunks else []:
        by_unit.setdefault(unit_key(c), []).append(c)
    units = []
    for key, hit in best.items():
        chunks = by_unit.get(key) or [hit.chunk, *hit.passages]
        c = hit.chunk
        context = " ".join(p for p in (c.collection, c.title, c.section) if p)
        units.append(_Unit(hit, tuple(chunks), unit_text(chunks), context))
    return units


def compose(query: Query, hits: Sequence[Hit], keyword: KeywordIndex | None = None,
            unit_chunks: Callable[[Sequence[Chunk]], list[Chunk]] | None = None) -> Composition:
    """Choose the blocks to quote (see the module docstring). `unit_chunks` gives every passage of a unit
    (`Store.unit_chunks`), so that a list or a paragraph cut by the splitter is quoted whole."""
    wanted = query.wanted or frozenset(query.tokens)
    weight = rarity(wanted, keyword)
    total = sum(weight.values()) or 1.0
    named, others = _subjects(query, keyword)

    tokens_of = lru_cache(maxsize=None)(tokenize)  # a block is scored as found, then as it will be read

    def coverage(text: str, context: set[str] = frozenset()) -> float:  # type: ignore[assignment]
        found = covered(wanted, tokens_of(text), query.synonyms)
        return sum(weight[t] * (1.0 if t in found else 0.5 if t in context else 0.0) for t in wanted) / total

    def gives(block: Block) -> bool:
        return satisfies(block, query.expects, query.counted)

    def bonus(block: Block) -> float:
        return TYPE_BONUS if query.expects in WHAT and gives(block) else 1.0

    units = _read_units(hits, unit_chunks)
    scored: list[tuple[float, float, int, int, Block, _Unit]] = []
    raised: tuple[float, Hit] | None = None
    leads: dict[tuple[int, int], Block] = {}  # a list that leans on the paragraph before it
    for rank, unit in enumerate(units):
        if is_bibliography(unit.hit.chunk):
            continue
        prior = 1.0 / (1.0 + RANK_DECAY * rank)
        context = covered(wanted, tokenize(unit.context), query.synonyms)
        title = heading(unit.hit.chunk)
        # A section headed by the sibling the question did not name (« Conseils de quartier » for a question on
        # the conseil citoyen) speaks of it, whatever else its text mentions.
        aside = bool(named and title and off_subject(title, named, others))
        # A heading made of the question's words ("Critères", "Composition") says what the unit is about; not
        # the document's own title over its introduction (« Les conseils citoyens » for « qui siège dans un
        # conseil citoyen ? » put the fiche's general opening before its « Composition »).
        head = set(tokenize(title if title and title != unit.hit.chunk.title else ""))
        share = len(covered(head, list(query.tokens), query.synonyms)) / len(head) if head else 0.0
        # A section or chapter headed by the subject the question names (« Communauté de communes » for « com
        # com »; the CGCT's « CHAPITRE VI : Communauté d'agglomération ») is about it, whatever its last heading.
        path = tokenize(" ".join((unit.hit.chunk.section or "").split(" > ")[1:]))
        if len(named) == 1 and any(contains(path, p) for p in named):
            share = 1.0
        prior *= 1.0 + HEADING_BONUS * share
        found = [b for b in _with_antecedents(blocks(unit.text)) if b.kind != "heading"]
        premises = _premises(found)
        for position, block in enumerate(found):
            cov = coverage(block.text, context)
            if block.kind == "question":
                # with the statement it follows in a document of questions (« … l'ingénierie territoriale se
                # resserre sur la fonction publique. » then « Partagez-vous ? »)
                if position - 1 in premises:
                    cov = coverage(f"{found[position - 1].text}\n{block.text}", context)
                if raised is None or cov > raised[0]:
                    raised = (cov, unit.hit)
                continue
            if position in premises:  # the premise of a question is not its answer
                continue
            if len(block.text) < 25 or (named and (off_subject(block.text, named, others) or aside)):
                continue
            # scored as it will be read: a long paragraph by the run of sentences that would be quoted
            block = _fit(block, partial(_typed, coverage=partial(coverage, context=context), bonus=bonus))
            cov = coverage(block.text, context)
            scored.append((cov * bonus(block) * prior, cov, rank, position, block, unit))
            if block.kind == "list" and _leans(block.text) and position and found[position - 1].kind == "paragraph":
                leads[(rank, position)] = found[position - 1]  # « Elle vise… : » needs the paragraph before
    scored.sort(key=lambda s: -s[0])
    # The question stands in a document of questions when one of them covers it about as well as any answer.
    raised_in = raised[1] if raised and raised[0] >= RAISED and (not scored or raised[0] >= 0.8 * scored[0][1]) else None
    if not scored:
        return Composition(raised_in=raised_in)
    best, best_cov = scored[0][0], scored[0][1]
    alone = best_cov >= STRONG and gives(scored[0][4])
    chosen: list[tuple[int, int, Quote]] = []  # (rank, position, quote)
    words = 0
    merged: set[int] = set()  # units whose text stands in another unit's quote

    def take(score: float, rank: int, position: int, block: Block, unit: _Unit, summarised: bool = False) -> None:
        chosen.append((rank, position, Quote(quote_label(unit.hit.chunk), block, (unit.hit,), round(score, 4),
                                             summarised, unit.text, unit.context)))

    for score, cov, rank, position, block, unit in scored:
        if chosen and score < RELATIVE * best:
            break
        if rank in merged or any(c[0] == rank and c[1] == position for c in chosen):
            continue
        from_unit = [c for c in chosen if c[0] == rank]
        same = None if from_unit else _near_duplicate(block, [c[2] for c in chosen])
        if same is not None:  # the same rule in two documents: quoted once, both cited
            chosen[same] = (*chosen[same][:2], _with_source(chosen[same][2], unit.hit))
            merged.add(rank)
            continue
        # one unit alone when it answers; else at most MAX_QUOTES units
        if not from_unit and chosen and (alone or len({c[0] for c in chosen}) >= MAX_QUOTES):
            continue
        if len(from_unit) >= UNIT_BLOCKS:
            continue
        summarised = block.kind == "list" and block.words > MAX_LIST_WORDS
        size = sum(len(h.split()) for h in block.heads()) if summarised else block.words
        if chosen and words + size > MAX_WORDS:
            continue
        lead = leads.get((rank, position))
        if lead is not None and not any(c[0] == rank and c[1] == position - 1 for c in chosen):
            if words + size + lead.words > MAX_WORDS:
                continue
            take(score, rank, position - 1, lead, unit)
            words += lead.words
        take(score, rank, position, block, unit, summarised)
        words += size
        # a short article is quoted whole, before any other unit takes the room
        taken = {c[1] for c in chosen if c[0] == rank}
        rest = [s for s in scored if s[2] == rank and s[3] not in taken]
        more = sum(s[4].words for s in rest)
        if not from_unit and unit.hit.chunk.kind == "texte officiel" and rest \
                and more + size <= WHOLE_ARTICLE and words + more <= MAX_WORDS:
            for other in rest:
                take(other[0], rank, other[3], other[4], unit)
            words += more
    # Units by relevance, the blocks of one unit in its own order (a list, then the paragraph after it).
    first: dict[int, int] = {}
    for rank, _position, _quote in chosen:
        first.setdefault(rank, len(first))
    chosen.sort(key=lambda c: (first[c[0]], c[1]))
    quotes = [c[2] for c in chosen]
    given = [q.block for q in quotes]
    missing = None
    if query.expects in WHAT and not any(gives(b) for b in given):
        missing = query.expects
    said = [tokenize(f"{q.context}\n{q.unit}") for q in quotes]
    unnamed = tuple(n for n in query.names
                    if not any(covered(set(tokenize(n)), t, query.synonyms) == set(tokenize(n)) for t in said)
                    and not _of_named_text(n, query, quotes))
    return Composition(tuple(quotes), raised_in, missing, round(best_cov, 4), unnamed)


def _premises(found: Sequence[Block]) -> set[int]:
    """In a document of questions (QUESTION_SHARE of its blocks ask), the paragraphs that set up the question
    just after them: a day's programme states a premise, then asks about it."""
    asked = [i for i, b in enumerate(found) if b.kind == "question"]
    if not found or len(asked) < QUESTION_SHARE * len(found):
        return set()
    return {i - 1 for i in asked if i and found[i - 1].kind == "paragraph"}


def _typed(text: str, coverage: Callable[[str], float], bonus: Callable[[Block], float]) -> float:
    return coverage(text) * bonus(Block("paragraph", text))


def _fit(block: Block, score_text: Callable[[str], float]) -> Block:
    if block.kind == "paragraph" and block.words > MAX_PARAGRAPH_WORDS:
        return _trim(block, score_text)
    return block


def _of_named_text(name: str, query: Query, quotes: Sequence[Quote]) -> bool:
    """« Lamy » of « la loi Lamy » is mentioned by a quote of the law n° 2014-173, which never says « Lamy »."""
    return any(fold(name) in ref.texts and any(in_text(h.chunk, t) for q in quotes for h in q.hits for t in ref.texts)
               for ref in query.references)


def _near_duplicate(block: Block, quotes: Sequence[Quote]) -> int | None:
    words = set(tokenize(block.text))
    for i, q in enumerate(quotes):
        other = set(tokenize(q.block.text))
        if words and other and len(words & other) / len(words | other) >= NEAR_DUPLICATE:
            return i
    return None


def elsewhere(query: Query, composition: Composition, keyword: KeywordIndex | None) -> bool:
    """Do the names nothing quoted mentions make the answer beside the point? Yes when the corpus never mentions
    them (« les Minguettes », « programme 147 ») or when the question asks a fact about them (who, how many,
    when, how much: « combien de QPV en Seine-Saint-Denis »); otherwise the quotes give the general rule
    (« le seuil de revenu en Île-de-France »), and the answer says they do not name the place."""
    if not composition.unnamed:
        return False
    if query.expects in ("person", "number", "amount", "date") or keyword is None or not len(keyword):
        return True
    return any(never_mentioned(n, keyword) for n in composition.unnamed)


def follows(quote: Quote, before: Quote | None) -> bool:
    """Another block of the unit just quoted: shown under the same label."""
    return before is not None and before.label == quote.label and before.unit == quote.unit


def _with_source(quote: Quote, hit: Hit) -> Quote:
    return replace(quote, hits=(*quote.hits, hit))
