"""Proceedings (actes): speaker turns become sections carrying `speaker`, `organisation` (when known),
`role` and the `question` they answer, so that no passage spans two speakers; a list of questions
without answers is recognised (its passages get `role = "question"`).

Conventions read at the start of a line: « Sébastien Jallet : … », « Sébastien Jallet (CGET) : … »,
« M. Cauret. — … », a name in capitals (« LOÏC CAURET. — … », or alone on its line), a bold name in
Markdown (the loader has dropped the asterisks: « Denis Vallance. … » once the name is known), and the
moderator (« Question : … », « L'animatrice : … », or the person named after « Animation : »). A list of
participants at the top (« - Sébastien Jallet, Commissaire général délégué, …, CGET ») gives full names
and organisations to turns that only say « M. Jallet ».
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from itertools import pairwise

from assistant.types import Document, Scalar, Section

# Metadata keys read by the answer composer: keep these names.
SPEAKER, ORGANISATION, ROLE, QUESTION = "speaker", "organisation", "role", "question"
ROLE_QUESTION, ROLE_ANSWER, ROLE_INTERVENTION = "question", "answer", "intervention"
PATH_SEPARATOR = " > "
MAX_QUESTION = 300  # characters of the moderator's question kept with each answer

_UP = "A-ZÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸÆŒ"
_LOW = "a-zàâäçéèêëîïôöùûüÿæœ"
_TOKEN = rf"[{_UP}][{_LOW}{_UP}'’\-]*"
_NAME = rf"{_TOKEN}(?:(?: +(?:de|du|des|van|von|le|la) +| +d['’]| +){_TOKEN}){{0,3}}"
_CIVILITY = r"(?:M\.|MM\.|Mme|Mmes|Mlle|Monsieur|Madame|Dr|Pr|Me)"
_MODERATOR = (
    r"(?:Questions?(?: de la salle| du public)?|Q|(?:Le |La |L['’])?(?:[Mm]odérat(?:eur|rice)|[Aa]nimat(?:eur|rice)"
    r"|[Pp]résidente? de séance)|(?:La )?[Ss]alle|(?:Un|Une) (?:participant|participante|intervenant|intervenante)"
    r"(?: dans la salle| de la salle)?)"
)
_ORG = r"(?: *\((?P<org>[^()]{1,80})\))?"
_END = r"(?P<end> *(?::|\.? *[—–]|\.)(?: +|$)| *$)"
_MARKER = re.compile(
    rf"^(?:\*\*)?(?P<label>(?P<moderator>{_MODERATOR})|(?:{_CIVILITY} *)?{_NAME})(?:\*\*)?{_ORG}"
    rf"(?: *, *(?P<org2>[^:,.]{{1,80}}))?(?:\*\*)?{_END}"
)
_ROSTER = re.compile(rf"^[-•*–] *(?P<name>{_NAME}) *[,(:–—-] *(?P<rest>.+)$")
_ANIMATION = re.compile(
    rf"^(?:Animation|Animée? par|Modération|Modérée? par|Animat(?:eur|rice)|Modérat(?:eur|rice)) *:? *"
    rf"(?P<name>{_NAME})(?: *[,(–—-] *(?P<rest>.+))?$"
)
# Capital words of a heading, not of a name (« POLITIQUE DE LA VILLE »).
_CAPS_WORDS = frozenset({"LE", "LA", "LES", "DES", "DU", "DE", "ET", "EN", "AU", "AUX", "À", "POUR", "SUR", "DANS"})
_ACRONYM = re.compile(r"\b[A-Z][A-Za-z]*[A-Z][A-Za-z]*\b")
_QUESTION_END = re.compile(r"\?[\s»\")]*$")
# First words that open a « Xxx Yyy : » line without being a person.
_NOT_NAMES = frozenset({
    "article", "titre", "chapitre", "section", "sous-section", "livre", "loi", "lois", "decret", "arrete", "code",
    "annexe", "note", "notes", "nb", "source", "sources", "objet", "exemple", "exemples", "definition", "remarque",
    "reponse", "reponses", "contact", "contacts", "date", "dates", "lieu", "theme", "themes", "programme",
    "introduction", "conclusion", "synthese", "atelier", "ateliers", "table", "premiere", "deuxieme", "troisieme",
    "partie", "point", "points", "enjeux", "objectifs", "contexte", "cf", "attention", "important", "rappel",
    "journee", "version", "animation", "moderation", "intervenants", "participants", "public", "cible", "acteurs",
    "etape", "etapes", "phase", "mission", "missions", "role", "roles", "competences", "pour", "les", "la", "le",
    "des", "un", "une", "en", "dans", "sur", "et", "ou"
})


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn").lower()


def _display(label: str) -> str:
    """A name in capitals as written in running text (« LOÏC CAURET » → « Loïc Cauret »)."""
    def word(w: str) -> str:
        if len(w) < 2 or not w.isupper() or w.endswith("."):
            return w
        return "-".join(part.capitalize() for part in w.split("-"))

    return " ".join(word(w) for w in label.split())


def _surname(name: str) -> str:
    return _fold(re.sub(rf"^{_CIVILITY} *", "", name).split()[-1]) if name.split() else ""


@dataclass(frozen=True)
class Person:
    name: str
    organisation: str | None = None
    moderator: bool = False


@dataclass(frozen=True)
class Turn:
    start: int  # offset of the marker line in the document text
    speaker: str | None
    organisation: str | None
    moderator: bool
    strong: bool
    body_start: int  # where the words said begin (after the label)


def _organisation(rest: str) -> str | None:
    acronyms = _ACRONYM.findall(rest)
    if acronyms:
        return acronyms[0]
    rest = rest.strip(" .;")
    return rest if 0 < len(rest) <= 60 and "," not in rest else None


def roster(text: str) -> dict[str, Person]:
    """Participants listed in the document (« - Nom, fonction, ORGANISATION »), by folded surname."""
    people: dict[str, Person] = {}
    for line in text.split("\n"):
        line = line.strip()
        m = _ANIMATION.match(line)
        if m:
            people[_surname(m.group("name"))] = Person(m.group("name"), _organisation(m.group("rest") or ""), True)
            continue
        m = _ROSTER.match(line)
        if m and len(m.group("name").split()) >= 2 and _fold(m.group("name").split()[0]) not in _NOT_NAMES:
            people.setdefault(_surname(m.group("name")), Person(m.group("name"), _organisation(m.group("rest"))))
    return people


def _lines(text: str, start: int, end: int) -> list[tuple[int, str]]:
    out, offset = [], start
    for line in text[start:end].split("\n"):
        out.append((offset, line))
        offset += len(line) + 1
    return out


def _turn(offset: int, line: str, people: dict[str, Person], known: dict[str, Person] | None) -> Turn | None:
    stripped = line.lstrip()
    lead = len(line) - len(stripped)
    m = _MARKER.match(stripped)
    if m is None:
        return None
    label, end = m.group("label"), m.group("end")
    org = (m.group("org") or m.group("org2") or "").strip() or None
    body = offset + lead + m.end()
    alone = not stripped[m.end():].strip()
    if m.group("moderator"):
        if ":" not in end and "—" not in end and "–" not in end:
            return None
        if re.match(r"(?i)(?:questions?|q)\b|(?:la )?salle|une? ", label):
            return Turn(offset, None, org, True, True, body)
        # « L'animatrice : » is the moderator named in the list of participants, when there is one.
        moderators = [p for p in people.values() if p.moderator]
        chair = moderators[0] if len(moderators) == 1 else Person(_display(label), None, True)
        return Turn(offset, chair.name, org or chair.organisation, True, True, body)
    words = re.sub(rf"^{_CIVILITY} *", "", label).split()
    civility = words != label.split()
    if not words or (not civility and _fold(words[0]) in _NOT_NAMES) or len((m.group("org2") or "").split()) > 6:
        return None
    person = people.get(_surname(label))
    capitals = (all(w.isupper() for w in words if len(w) > 1) and len(words) >= 2
                and not _CAPS_WORDS.intersection(words))
    if known is not None:  # second pass: a known name followed by « . » or « : » (a bold name lost in loading)
        if not (person or _surname(label) in known) or end.strip() == "" and not alone:
            return None
        person = person or known[_surname(label)]
    elif end.strip() == "" or end.strip() == ".":
        # A name alone on its line, or followed by a full stop: only in capitals (« LOÏC CAURET »).
        if not capitals or (end.strip() == "" and not alone):
            return None
    elif not (civility or capitals or person or len(words) >= 2):
        return None
    if all(w.isupper() for w in words) and len(words) == 1 and not (civility or person):
        return None  # « CGET : » is an organisation, not a person
    strong = civility or capitals or person is not None or known is not None
    name = person.name if person else _display(label)
    organisation = org or (person.organisation if person else None)
    return Turn(offset, name, organisation, bool(person and person.moderator), strong, body)


def find_turns(text: str, sections: tuple[Section, ...], people: dict[str, Person]) -> list[Turn]:
    turns = [t for s in sections for o, line in _lines(text, s.start, s.end) if (t := _turn(o, line, people, None))]
    known = {_surname(t.speaker): Person(t.speaker, t.organisation, t.moderator) for t in turns if t.speaker}
    if known:
        starts = {t.start for t in turns}
        for s in sections:
            for o, line in _lines(text, s.start, s.end):
                if o not in starts and (t := _turn(o, line, people, known)):
                    turns.append(t)
    return sorted(turns, key=lambda t: t.start)


def _is_proceedings(turns: list[Turn], kind: str | None) -> bool:
    speakers = {t.speaker for t in turns if not t.moderator}
    if kind == "actes":
        return bool(turns)
    return len(speakers) >= 2 and len(turns) >= 3 and sum(t.strong for t in turns) >= 2


def _is_question_list(text: str, kind: str | None) -> bool:
    """Many questions, several in a row: a FAQ, whose questions each come before an answer, is not one."""
    paragraphs = [line.strip() for line in text.split("\n") if len(line.strip()) > 3]
    asked = [bool(_QUESTION_END.search(p)) for p in paragraphs]
    questions, in_a_row = sum(asked), sum(a and b for a, b in pairwise(asked))
    share = questions / max(1, len(paragraphs))
    return share >= 0.25 and ((kind == "actes" and questions >= 3) or (questions >= 5 and in_a_row >= 3))


def _label(turn: Turn) -> str:
    name = turn.speaker or "Question"
    return f"{name} ({turn.organisation})" if turn.organisation else name


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_QUESTION else text[: MAX_QUESTION - 1].rsplit(" ", 1)[0] + " …"


def structure(document: Document, kind: str | None = None) -> Document:
    """The document with one section per speaker turn (within its own sections), or with its
    sections marked as questions when it is a list of questions; unchanged otherwise."""
    text = document.text
    sections = document.sections or (Section(0, len(text), None),)
    kind = kind or _kind(document)
    people = roster(text)
    turns = find_turns(text, sections, people)
    if not _is_proceedings(turns, kind):
        if _is_question_list(text, kind):
            sections = tuple(replace(s, metadata={**s.metadata, ROLE: ROLE_QUESTION}) for s in sections)
            return replace(document, sections=sections)
        return document
    out: list[Section] = []
    question: str | None = None
    for section in sections:
        inside = [t for t in turns if section.start <= t.start < section.end]
        bounds = [section.start, *(t.start for t in inside), section.end]
        for i, (start, end) in enumerate(pairwise(bounds)):
            if start >= end:
                continue
            if i == 0:  # before the first turn: the document's own words (title, programme, participants)
                out.append(replace(section, start=start, end=end))
                continue
            turn = inside[i - 1]
            said = text[turn.body_start : end]
            meta: dict[str, Scalar] = {}
            if turn.speaker:
                meta[SPEAKER] = turn.speaker
            if turn.organisation:
                meta[ORGANISATION] = turn.organisation
            if turn.moderator or (turn.speaker is None):
                meta[ROLE] = ROLE_QUESTION
                question = _short(said) if "?" in said else question
            else:
                meta[ROLE] = ROLE_ANSWER if question else ROLE_INTERVENTION
                if question:
                    meta[QUESTION] = question
            path = PATH_SEPARATOR.join(p for p in (section.path, _label(turn)) if p)
            out.append(Section(start, end, path, {**section.metadata, **meta}))
    return replace(document, sections=tuple(out))


def _kind(document: Document) -> str | None:
    value = document.metadata.get("kind")
    return str(value) if value else None
