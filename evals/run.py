"""`carrefour eval`: every question under every configuration on one store, one table, optional reports.

    carrefour eval --questions evals/questions/*.jsonl --configs bm25,dense,hybrid,naive --out reports/eval
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.answer import Answer
from assistant.errors import ConfigError, StoreError
from assistant.service import Assistant
from assistant.types import Hit
from evals.matching import Question, assign_groups, load_questions
from evals.scoring import aggregate, score_question

CONFIGS = ("bm25", "dense", "hybrid", "naive")  # the retrieval modes of assistant.retrieve, and the recipe


@dataclass(frozen=True)
class Config:
    """One way of answering: how it retrieves (for the ranking metrics) and how it answers."""

    name: str
    search: Callable[[str, int], list[Hit]]
    ask: Callable[[str, str], Answer]


def parse_configs(value: str) -> list[str]:
    names = list(dict.fromkeys(n.strip() for n in value.split(",") if n.strip()))
    unknown = [n for n in names if n not in CONFIGS]
    if unknown or not names:
        raise ConfigError(
            f"Configuration inconnue « {', '.join(unknown) or value} » : choisissez parmi {', '.join(CONFIGS)}."
        )
    return names


def make_configs(assistant: Assistant, names: Sequence[str], quiet: bool = True) -> tuple[list[Config], dict[str, Any]]:
    """The configurations, and what was built for them (the naive index's state)."""
    configs: list[Config] = []
    built: dict[str, Any] = {}
    for name in names:
        if name == "naive":
            from evals.naive import NaiveAssistant, NaiveIndex

            index = NaiveIndex(assistant.settings, assistant.embedder, quiet=quiet)
            built["naive"] = index.ensure()
            naive = NaiveAssistant(assistant, index)
            configs.append(Config(name, index.search, naive.ask))
        else:
            configs.append(Config(
                name,
                lambda q, k, m=name: assistant.search(q, k, mode=m),  # type: ignore[misc]
                lambda q, mode, m=name: assistant.ask(q, mode, retrieval=m),  # type: ignore[misc]
            ))
    return configs, built


def select(questions: Sequence[Question], assistant: Assistant) -> tuple[list[Question], list[dict[str, str]]]:
    """Gold groups from the store; answerable questions whose gold is nowhere in it are set aside."""
    grouped = assign_groups(questions, assistant.store.chunks())
    kept: list[Question] = []
    skipped: list[dict[str, str]] = []
    for q in grouped:
        if q.answerable and q.gold and not any(q.present):
            skipped.append({"id": q.id, "reason": "aucun passage de référence dans l'index : "
                            + " ; ".join(g.label() for g in q.gold)})
        else:
            kept.append(q)
    return kept, skipped


def question_json(q: Question) -> dict[str, Any]:
    return {"id": q.id, "file": q.file, "question": q.question, "answerable": q.answerable,
            "gold": [{**g.to_json(), "group": q.group_of(i), "in_store": q.present[i] if q.present else None}
                     for i, g in enumerate(q.gold)],
            "key_facts": list(q.key_facts), "notes": q.notes, "relevant": q.relevant, "results": {}}


def evaluate(assistant: Assistant, questions: Sequence[Question], names: Sequence[str], *, k: int = 10,
             mode: str = "extractive", quiet: bool = True, sources: Sequence[str] = ()) -> dict[str, Any]:
    """The whole run as the JSON of results.json."""
    from tqdm import tqdm

    if k < 10:
        raise ConfigError(f"--k doit valoir au moins 10 (les métriques vont jusqu'à @10), reçu {k}.")
    if assistant.store.count() == 0:
        raise StoreError(
            f"L'index de {assistant.settings.data_dir} est vide : lancez « carrefour ingest » avant l'évaluation."
        )
    kept, skipped = select(questions, assistant)
    if not kept:
        raise StoreError(
            f"Aucune question évaluable sur l'index de {assistant.settings.data_dir} : leurs passages de référence "
            "n'y sont pas. Ingérez le corpus des questions (voir evals/README.md) ou choisissez --data-dir."
        )
    configs, built = make_configs(assistant, names, quiet)
    rows = [question_json(q) for q in kept]
    for config in configs:
        bar = tqdm(total=len(kept), desc=config.name, unit="question", file=sys.stderr,
                   disable=quiet or not sys.stderr.isatty())
        with bar:
            for q, row in zip(kept, rows):
                hits = config.search(q.question, k)
                row["results"][config.name] = score_question(q, hits, config.ask(q.question, mode))
                bar.update(1)
    aggregates = {c.name: aggregate(rows, c.name) for c in configs}
    meta = {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "embedder": assistant.embedder.id,
        "data_dir": str(assistant.settings.data_dir),
        "store_chunks": assistant.store.count(),
        "question_files": list(sources),
        "configs": list(names),
        "k": k,
        "mode": mode,
        "questions": len(kept),
        "skipped": skipped,
        "naive": built.get("naive"),
    }
    return {"aggregates": aggregates, "questions": rows, "meta": meta}


def load_results(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path} : résultats de référence illisibles ({exc}).") from exc
    if not isinstance(data, dict) or "aggregates" not in data or "questions" not in data:
        raise ConfigError(f"{path} : ce n'est pas un results.json de « carrefour eval ».")
    return data


def run(args: argparse.Namespace, assistant: Assistant) -> int:
    from evals.compare import compare, diff_markdown
    from evals.report import markdown_table, write_reports

    names = parse_configs(args.configs)
    baseline = load_results(args.baseline) if args.baseline else None
    questions = load_questions(args.questions)
    if args.limit is not None:
        questions = questions[: max(0, args.limit)]
    results = evaluate(assistant, questions, names, k=args.k, mode=args.mode, quiet=args.quiet,
                       sources=args.questions)
    diff = compare(baseline, results) if baseline else None
    print(markdown_table(results))
    skipped = results["meta"]["skipped"]
    if skipped:
        print(f"\n{len(skipped)} question(s) écartée(s), sans passage de référence dans l'index "
              f"({', '.join(s['id'] for s in skipped[:8])}{'…' if len(skipped) > 8 else ''}).")
    if diff is not None:
        print("\n" + diff_markdown(diff))
    if args.out:
        paths = write_reports(results, args.out, diff)
        print("\nRapports : " + ", ".join(str(p) for p in paths))
    return 0
