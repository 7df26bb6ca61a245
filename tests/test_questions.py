"""Checks the evaluation question sets (evals/questions/*.jsonl): format, counts, and that every gold
entry resolves to an existing passage containing the key facts. Standard library + pytest only."""

from __future__ import annotations

import json
import os
import re
import unicodedata
from functools import cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
QUESTIONS_DIR = REPO / "evals" / "questions"
PROJECT_CORPUS = REPO / "corpus"
SHARED_CORPUS = Path(os.environ.get("CARREFOUR_SHARED_DIR") or REPO.parent / "shared") / "corpus"
KEYS = {"id": str, "question": str, "answerable": bool, "gold": list, "key_facts": list, "notes": str}
GOLD_KEYS = {"source": (str,), "section": (str, type(None)), "record_id": (str, type(None))}
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")


def _load() -> list[tuple[str, str, object]]:
    """(label, raw line, parsed value or None) per non-blank line; label = question id when it parses."""
    out = []
    for path in sorted(QUESTIONS_DIR.glob("*.jsonl")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError:  # reported by test_line_format
                    obj = None
                label = obj.get("id") if isinstance(obj, dict) else None
                out.append((label if isinstance(label, str) else f"{path.name}:{n}", line, obj))
    return out


LINES = _load()
PARAMS = [pytest.param(line, id=label) for label, line, _ in LINES]
QUESTIONS = [obj for _, _, obj in LINES if isinstance(obj, dict)]


def norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return " ".join(text.casefold().split())


@cache
def _files(root: Path) -> tuple[tuple[str, Path], ...]:
    if not root.is_dir():
        return ()
    return tuple((p.relative_to(root).as_posix(), p) for p in sorted(root.rglob("*")) if p.is_file())


@cache
def _records(path: Path) -> tuple[dict, ...]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return tuple(json.loads(line) for line in lines if line.strip())


def _md_section(path: Path, section: str) -> str | None:
    """Body under the heading `section` (up to the next heading of the same or higher level)."""
    lines, start, level, fenced = path.read_text(encoding="utf-8").splitlines(), None, 0, False
    for i, line in enumerate(lines):
        if line.lstrip().startswith("```"):
            fenced = not fenced
        m = None if fenced else HEADING.match(line)
        if not m:
            continue
        if start is not None and len(m.group(1)) <= level:
            return "\n".join(lines[start:i])
        if start is None and m.group(2).strip() == section.strip():
            start, level = i + 1, len(m.group(1))
    return None if start is None else "\n".join(lines[start:])


def _section_matches(record: dict, section: str) -> bool:
    path = " > ".join(record.get("hierarchy") or [])
    title = record.get("title") or record.get("article")
    return section in (path, title) or path.endswith(" > " + section)


def _passage(gold: dict) -> str:
    """Resolve a gold entry to its passage text, failing (or skipping) with a useful message."""
    src = gold["source"]
    # corpus/textes-officiels mirrors part of ../shared/corpus: the project's copy is tried first, the
    # shared file next (a record the project's subset left out is found there).
    candidates = []
    for root in (PROJECT_CORPUS, SHARED_CORPUS):
        matches = [p for rel, p in _files(root) if rel.endswith(src)]
        assert len(matches) <= 1, f"source {src!r} matches {len(matches)} files: {[str(p) for p in matches]}"
        candidates += matches
    if not candidates and not SHARED_CORPUS.is_dir():
        pytest.skip(f"../shared/corpus absent: {src} not found under corpus/ ({SHARED_CORPUS})")
    assert candidates, f"source {src!r} matches no file"
    errors = []
    for path in candidates:
        try:
            return _passage_in(path, gold)
        except AssertionError as exc:
            errors.append(exc)
    if not SHARED_CORPUS.is_dir():
        pytest.skip(f"../shared/corpus absent: {errors[-1]}")
    raise errors[-1]  # the last candidate is the most complete file


def _passage_in(path: Path, gold: dict) -> str:
    src, section, record_id = gold["source"], gold["section"], gold["record_id"]
    if path.suffix == ".jsonl":
        records = _records(path)
        if record_id is not None:
            records = tuple(r for r in records if r.get("id") == record_id)
            assert records, f"record_id {record_id!r} not in {path}"
        if section is not None:
            records = tuple(r for r in records if _section_matches(r, section))
            assert records, f"section {section!r} not found for {record_id or src!r}"
        assert record_id is not None or section is not None, f"JSONL gold {src!r} needs a record_id or section"
        return "\n".join(r["text"] for r in records)
    assert record_id is None, f"record_id given for non-JSONL source {src!r}"
    assert path.suffix in {".md", ".markdown", ".txt"}, f"cannot read {path.suffix} source {src!r}"
    if section is None:
        return path.read_text(encoding="utf-8")
    assert path.suffix != ".txt", f"section given for plain-text source {src!r}"
    body = _md_section(path, section)
    assert body is not None, f"no heading {section!r} in {path}"
    return body


@pytest.mark.parametrize("line", PARAMS)
def test_line_format(line: str) -> None:
    q = json.loads(line)
    assert isinstance(q, dict) and set(q) == set(KEYS), f"keys must be exactly {sorted(KEYS)}"
    for key, typ in KEYS.items():
        assert type(q[key]) is typ, f"{key} must be {typ.__name__}"
    assert q["id"].strip() and q["question"].strip() and q["notes"].strip()
    for gold in q["gold"]:
        assert isinstance(gold, dict) and set(gold) == set(GOLD_KEYS), f"gold keys must be {sorted(GOLD_KEYS)}"
        for key, types in GOLD_KEYS.items():
            assert isinstance(gold[key], types), f"gold {key} has type {type(gold[key]).__name__}"
        assert gold["source"].strip()
    assert all(isinstance(f, str) and f.strip() for f in q["key_facts"]), "key_facts must be non-empty strings"
    if q["answerable"]:
        assert q["gold"] and q["key_facts"], "answerable question needs >= 1 gold and >= 1 key fact"
    else:
        assert not q["gold"] and not q["key_facts"], "unanswerable question must have no gold and no key fact"


def test_ids_unique() -> None:
    ids = [q.get("id") for q in QUESTIONS]
    dupes = sorted({str(i) for i in ids if ids.count(i) > 1})
    assert not dupes, f"duplicate ids: {dupes}"


def test_counts() -> None:
    assert len(LINES) >= 60, f"only {len(LINES)} questions in {QUESTIONS_DIR}"
    unanswerable = sum(1 for q in QUESTIONS if q.get("answerable") is False)
    assert unanswerable >= 10, f"only {unanswerable} unanswerable questions"


@pytest.mark.parametrize("line", PARAMS)
def test_gold_resolves_and_contains_key_facts(line: str) -> None:
    q = next(obj for _, raw, obj in LINES if raw == line)
    if not isinstance(q, dict) or not q.get("gold"):
        return  # malformed lines are reported by test_line_format
    passages = [norm(_passage(g)) for g in q["gold"]]
    missing = [f for f in q["key_facts"] if not any(norm(f) in p for p in passages)]
    assert not missing, f"key facts not found in any gold passage: {missing}"
