"""Users' feedback on answers, in SQLite, and its export as evaluation questions to be checked by evaluators."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Mapping
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import ConfigError, StoreError

RATINGS = {"up": "👍", "down": "👎"}
SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT, created_at REAL NOT NULL, question TEXT NOT NULL,
    history TEXT NOT NULL, answer TEXT NOT NULL, rating TEXT NOT NULL, comment TEXT NOT NULL,
    wrong_source INTEGER NOT NULL, filters TEXT NOT NULL, settings TEXT NOT NULL, versions TEXT NOT NULL);
"""
MAX_COMMENT = 4000
# Bounds on what an anonymous client may store (55 MB used to go in in 1.1 s): a real answer's JSON is 5-20 KB.
MAX_QUESTION = 1000
MAX_ANSWER = 100_000  # characters of JSON
MAX_HISTORY = 20
MAX_DATABASE = 200 * 1024 * 1024  # then new feedback is refused until the base is exported and emptied


@dataclass(frozen=True)
class Feedback:
    id: int
    created_at: float
    question: str
    history: list[str]
    answer: dict[str, Any]  # `assistant.service.answer_json` of the answer judged
    rating: str  # "up" or "down"
    comment: str
    wrong_source: bool
    filters: dict[str, Any]
    settings: dict[str, Any]
    versions: dict[str, str]


def _dict(text: str) -> dict[str, Any]:
    """A stored JSON object, or {} for anything else (a record forged through the API must not break export)."""
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _list(text: str) -> list[str]:
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return []
    return [str(v) for v in value] if isinstance(value, list) else []


def normalise_rating(rating: str) -> str:
    for key, emoji in RATINGS.items():
        if rating.strip().lower() in (key, emoji):
            return key
    raise ConfigError(f"Avis inconnu « {rating} » : utilisez up (👍) ou down (👎).")


class FeedbackStore:
    """One connection per call: the chat's handlers run in several threads."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _connect(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=30)
            db.executescript(SCHEMA)
        except (OSError, sqlite3.DatabaseError) as exc:
            raise StoreError(f"Base des avis illisible ({self.path}) : {exc}. Vérifiez le dossier de données.") from exc
        return db

    def add(self, question: str, answer: Mapping[str, Any], rating: str, comment: str = "",
            wrong_source: bool = False, history: Iterable[str] = (), filters: Mapping[str, Any] | None = None,
            settings: Mapping[str, Any] | None = None, versions: Mapping[str, str] | None = None) -> int:
        if not isinstance(answer, Mapping) or not isinstance(answer.get("citations", []), list):
            raise ConfigError("Avis refusé : « answer » doit être la réponse JSON renvoyée par l'API ask.")
        answer_text = json.dumps(dict(answer), ensure_ascii=False)
        if len(answer_text) > MAX_ANSWER:
            raise ConfigError(f"Avis refusé : réponse jointe trop longue ({MAX_ANSWER} caractères de JSON au plus).")
        if self.path.exists() and self.path.stat().st_size > MAX_DATABASE:
            raise StoreError("Base des avis pleine : l'équipe doit l'exporter (carrefour feedback export) puis "
                             "la vider avant d'en recevoir d'autres.")
        history = [str(h)[:MAX_QUESTION] for h in list(history)[-MAX_HISTORY:]]
        row = (time.time(), str(question)[:MAX_QUESTION], json.dumps(history, ensure_ascii=False),
               answer_text, normalise_rating(rating), str(comment or "")[:MAX_COMMENT],
               int(bool(wrong_source)), json.dumps(dict(filters or {}), ensure_ascii=False),
               json.dumps(dict(settings or {}), ensure_ascii=False), json.dumps(dict(versions or {})))
        with closing(self._connect()) as db, db:
            cur = db.execute(
                "INSERT INTO feedback (created_at, question, history, answer, rating, comment, wrong_source, "
                "filters, settings, versions) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
            return int(cur.lastrowid or 0)

    def all(self) -> list[Feedback]:
        if not self.path.exists():
            return []
        with closing(self._connect()) as db:
            rows = db.execute("SELECT * FROM feedback ORDER BY id").fetchall()
        return [Feedback(r[0], r[1], str(r[2]), _list(r[3]), _dict(r[4]), str(r[5]), str(r[6] or ""), bool(r[7]),
                         _dict(r[8]), _dict(r[9]), _dict(r[10])) for r in rows]

    def export(self) -> list[dict[str, Any]]:
        return [to_question(f) for f in self.all()]


def _citations(answer: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The citations of a stored answer, ignoring anything else a forged record may hold there."""
    citations = answer.get("citations") if isinstance(answer, Mapping) else None
    return [c for c in citations if isinstance(c, Mapping)] if isinstance(citations, list) else []


def _gold(answer: Mapping[str, Any]) -> list[dict[str, str | None]]:
    gold: list[dict[str, str | None]] = []
    for c in _citations(answer):
        section = c.get("section")
        entry = {"source": c.get("source"), "section": None if c.get("record_id") or not section
                 else str(section).split(" > ")[-1], "record_id": c.get("record_id")}
        if entry not in gold:
            gold.append(entry)
    return gold


def to_question(f: Feedback) -> dict[str, Any]:
    """One evaluation question (`evals/questions` format) per feedback, for an evaluator to check and fix:
    a 👎 flagged "source erronée" keeps no gold, an abstention neither."""
    abstained = bool(f.answer.get("abstained"))
    gold = [] if f.wrong_source or abstained else _gold(f.answer)
    day = time.strftime("%Y-%m-%d", time.localtime(f.created_at))
    notes = [f"Retour utilisateur du {day} : {RATINGS[f.rating]}."]
    if f.wrong_source:
        notes.append("Signalé « source erronée » : les sources citées ne conviennent pas, gold laissé vide "
                     "à compléter par un évaluateur.")
    if abstained:
        notes.append("L'assistant n'a rien trouvé" + (" et l'utilisateur attendait une réponse : gold à compléter."
                                                      if f.rating == "down" else " ; l'utilisateur l'approuve."))
    elif f.rating == "down" and not f.wrong_source:
        notes.append("Réponse jugée insatisfaisante : gold repris des sources citées, à vérifier.")
    if f.comment.strip():
        notes.append(f"Commentaire : « {' '.join(f.comment.split())} ».")
    if f.history:
        notes.append(f"Questions précédentes : {' | '.join(f.history)}.")
    cited = ", ".join(str(c.get("source")) for c in _citations(f.answer))
    notes.append(f"Réponse donnée : « {' '.join(str(f.answer.get('answer', '')).split())[:500]} »"
                 + (f" (sources citées : {cited})." if cited else "."))
    return {
        "id": f"retour-{f.id:04d}",
        "question": f.question,
        "answerable": not (abstained and f.rating == "up"),
        "gold": gold,
        "key_facts": [],
        "notes": " ".join(notes),
    }
