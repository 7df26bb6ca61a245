"""Question sets and the matching rule of evals/README.md: which retrieved passage is a gold passage.

A relevant item is a *gold group*: the gold entries of a question whose passages share a text in the store
(the same article as a Markdown file and as a JSONL record) form one group, so duplicates count once.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from assistant.errors import ConfigError
from assistant.retrieve import dedupe_key
from assistant.types import Chunk, Hit

SECTION_SEPARATOR = " > "


@dataclass(frozen=True)
class Gold:
    source: str  # a path suffix, e.g. "loi-2014-173-lamy/titre-ier_article-1.md"
    section: str | None = None
    record_id: str | None = None

    def to_json(self) -> dict[str, str | None]:
        return {"source": self.source, "section": self.section, "record_id": self.record_id}

    def label(self) -> str:
        return " — ".join(p for p in (self.source, self.section, self.record_id) if p)


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    answerable: bool
    gold: tuple[Gold, ...] = ()
    key_facts: tuple[str, ...] = ()
    notes: str = ""
    file: str = ""
    groups: tuple[int, ...] = ()  # gold index → group number (0, 1, …; -1: not in the store); see `assign_groups`
    present: tuple[bool, ...] = ()  # gold index → some passage of the store matches it

    @property
    def relevant(self) -> int:
        """Number of relevant items: the gold groups found in the store (all gold entries before grouping)."""
        return len({g for g in self.groups if g >= 0}) if self.groups else len(self.gold)

    def group_of(self, gold_index: int) -> int:
        return self.groups[gold_index] if self.groups else gold_index


def parse_question(obj: Any, where: str) -> Question:
    try:
        gold = tuple(Gold(str(g["source"]), g.get("section"), g.get("record_id")) for g in obj.get("gold") or ())
        return Question(
            id=str(obj["id"]), question=str(obj["question"]), answerable=bool(obj["answerable"]), gold=gold,
            key_facts=tuple(str(f) for f in obj.get("key_facts") or ()), notes=str(obj.get("notes") or ""),
            file=where.rsplit(":", 1)[0],
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(
            f"{where} : question mal formée ({exc!r}) ; le format est décrit dans evals/README.md."
        ) from exc


def read_jsonl(path: Path) -> list[Question]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"{path} : fichier de questions illisible ({exc.strerror}).") from exc
    out: list[Question] = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}:{n} : JSON invalide ({exc.msg}).") from exc
        out.append(parse_question(obj, f"{path}:{n}"))
    return out


def load_questions(specs: Sequence[str]) -> list[Question]:
    """Each spec: a JSONL file, a folder written by `python -m evals.piaf --out DIR` (its questions.jsonl),
    or `piaf` (the PIAF set read straight from ../shared/benchmarks)."""
    questions: list[Question] = []
    for spec in specs:
        path = Path(spec)
        if spec == "piaf" and not path.exists():
            from evals.piaf import DEFAULT_PATH, load_piaf

            try:
                _, raw = load_piaf()
            except ValueError as exc:
                raise ConfigError(f"{exc} : fichier attendu {DEFAULT_PATH}.") from exc
            questions += [parse_question(q, f"piaf:{i}") for i, q in enumerate(raw, 1)]
        elif path.is_dir():
            questions += read_jsonl(path / "questions.jsonl")
        else:
            questions += read_jsonl(path)
    ids = [q.id for q in questions]
    doubles = sorted({i for i in ids if ids.count(i) > 1})
    if doubles:
        raise ConfigError(f"Identifiants de question en double : {', '.join(doubles[:5])}.")
    return questions


# ---- the matching rule ----------------------------------------------------------------------------------


def full_path(chunk: Chunk) -> str:
    """The passage's file as root/source: a gold source may name folders above the ingested root."""
    root = chunk.root.rstrip("/")
    return f"{root}/{chunk.source}" if root else chunk.source


def path_ends_with(path: str, suffix: str) -> bool:
    suffix = suffix.strip("/")
    return path == suffix or path.endswith("/" + suffix)


def section_matches(chunk: Chunk, section: str) -> bool:
    section = section.strip()
    own = (chunk.section or "").strip()
    return own == section or own.endswith(SECTION_SEPARATOR + section) or chunk.title.strip() == section


def chunk_matches(chunk: Chunk, gold: Gold) -> bool:
    if not path_ends_with(full_path(chunk), gold.source):
        return False
    if gold.section and not section_matches(chunk, gold.section):
        return False
    return not gold.record_id or chunk.record_id == gold.record_id


def hit_gold(hit: Hit, question: Question) -> set[int]:
    """Indices of the gold entries that the hit, or one of its duplicates, matches."""
    chunks = (hit.chunk, *hit.duplicates)
    return {i for i, g in enumerate(question.gold) if any(chunk_matches(c, g) for c in chunks)}


def hit_groups(hit: Hit, question: Question) -> list[int]:
    return sorted({g for i in hit_gold(hit, question) if (g := question.group_of(i)) >= 0})


# ---- gold groups, from one pass over the store ------------------------------------------------------------


def _basename(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]


def assign_groups(questions: Sequence[Question], chunks: Iterable[Chunk]) -> list[Question]:
    """Fill `groups` and `present` of every question from the passages of the store. A gold entry that no
    passage matches cannot be retrieved: it is left out of the relevant items (group -1) and reported."""
    by_name: dict[str, list[tuple[int, int]]] = {}
    for qi, q in enumerate(questions):
        for gi, g in enumerate(q.gold):
            by_name.setdefault(_basename(g.source), []).append((qi, gi))
    texts: dict[tuple[int, int], set[str]] = {}
    for chunk in chunks:
        for qi, gi in by_name.get(_basename(chunk.source), ()):
            if chunk_matches(chunk, questions[qi].gold[gi]):
                texts.setdefault((qi, gi), set()).add(dedupe_key(chunk.text))
    out: list[Question] = []
    for qi, q in enumerate(questions):
        present = [gi for gi in range(len(q.gold)) if (qi, gi) in texts]
        links = [(a, b) for a, i in enumerate(present) for b, j in enumerate(present[a + 1 :], a + 1)
                 if texts[(qi, i)] & texts[(qi, j)]]
        number = dict(zip(present, _components(len(present), links)))
        out.append(replace(q, groups=tuple(number.get(gi, -1) for gi in range(len(q.gold))),
                           present=tuple(gi in number for gi in range(len(q.gold)))))
    return out


def _components(n: int, links: Sequence[tuple[int, int]]) -> tuple[int, ...]:
    """Connected components of n items, numbered 0, 1, … in order of first appearance."""
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for a, b in links:
        parent[find(b)] = find(a)
    roots = [find(i) for i in range(n)]
    numbers = {r: k for k, r in enumerate(dict.fromkeys(roots))}
    return tuple(numbers[r] for r in roots)


# ---- key facts -------------------------------------------------------------------------------------------


def norm(text: str) -> str:
    """NFKC, accents and case folded, spaces collapsed: the comparison of evals/README.md."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return " ".join(text.casefold().split())


def facts_in(facts: Iterable[str], texts: Iterable[str]) -> list[str]:
    """The facts found in at least one of the texts."""
    haystack = [norm(t) for t in texts]
    return [f for f in facts if any(norm(f) in h for h in haystack)]

