"""A run against a baseline run (`--baseline OLD/results.json`): what got worse, what got better, per question."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from evals.scoring import AGGREGATE_KEYS

EPSILON = 1e-6


def _rank(value: int | None) -> float:
    return math.inf if value is None else float(value)


def _rank_label(value: int | None) -> str:
    return "absent" if value is None else f"rang {value}"


def _changes(q: Mapping[str, Any], old: Mapping[str, Any], new: Mapping[str, Any]) -> list[tuple[int, str]]:
    """(+1 better / -1 worse, what) for one question under one configuration."""
    out: list[tuple[int, str]] = []
    if q["answerable"]:
        a, b = old.get("first_relevant_rank"), new.get("first_relevant_rank")
        if _rank(a) != _rank(b):
            out.append((1 if _rank(b) < _rank(a) else -1,
                        f"premier passage de référence : {_rank_label(a)} → {_rank_label(b)}"))
        for key, label in (("answer_key_fact_coverage", "faits dans la réponse"), ("key_fact_coverage", "faits clés"),
                           ("citation_precision", "précision des citations")):
            a, b = old.get(key), new.get(key)
            if a is not None and b is not None and abs(a - b) > EPSILON:
                out.append((1 if b > a else -1, f"{label} : {a:.2f} → {b:.2f}"))
        if old.get("abstained") != new.get("abstained"):
            out.append((-1, "s'abstient désormais à tort") if new.get("abstained") else (1, "ne s'abstient plus à tort"))
    elif old.get("abstained") != new.get("abstained"):
        out.append((1, "s'abstient désormais") if new.get("abstained") else (-1, "répond au lieu de s'abstenir"))
    return out


def compare(baseline: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    """Per-question regressions and improvements, and aggregate deltas, on the configurations and questions
    present in both runs."""
    old_questions = {q["id"]: q for q in baseline.get("questions", [])}
    regressions: list[dict[str, Any]] = []
    improvements: list[dict[str, Any]] = []
    for q in current.get("questions", []):
        before = old_questions.get(q["id"])
        if before is None:
            continue
        for config, new in q["results"].items():
            old = before.get("results", {}).get(config)
            if old is None:
                continue
            for sign, what in _changes(q, old, new):
                item = {"id": q["id"], "config": config, "question": q["question"], "change": what}
                (improvements if sign > 0 else regressions).append(item)
    deltas: dict[str, dict[str, dict[str, float | None]]] = {}
    for config, new_agg in current.get("aggregates", {}).items():
        old_agg = baseline.get("aggregates", {}).get(config)
        if old_agg is None:
            continue
        deltas[config] = {}
        for key in AGGREGATE_KEYS:
            a, b = old_agg.get(key), new_agg.get(key)
            deltas[config][key] = {"old": a, "new": b, "delta": None if a is None or b is None else round(b - a, 4)}
    return {
        "regressions": regressions,
        "improvements": improvements,
        "aggregates": deltas,
        "baseline_date": (baseline.get("meta") or {}).get("date"),
    }


def diff_markdown(diff: Mapping[str, Any]) -> str:
    """The comparison as Markdown: aggregate deltas, then one line per regression and per improvement."""
    when = f" (référence du {diff['baseline_date']})" if diff.get("baseline_date") else ""
    lines = [f"## Comparaison avec la référence{when}", ""]
    changed = [(c, k, d) for c, ds in diff["aggregates"].items() for k, d in ds.items() if d["delta"]]
    if changed:
        lines += ["| configuration | métrique | avant | après | écart |", "| --- | --- | --- | --- | --- |"]
        lines += [f"| {c} | {k} | {d['old']} | {d['new']} | {d['delta']:+} |" for c, k, d in changed]
    else:
        lines.append("Agrégats inchangés.")
    for title, items in (("Régressions", diff["regressions"]), ("Améliorations", diff["improvements"])):
        lines += ["", f"### {title} ({len(items)})", ""]
        lines += [f"- `{i['id']}` [{i['config']}] {i['change']} — {i['question']}" for i in items] or ["Aucune."]
    return "\n".join(lines)
