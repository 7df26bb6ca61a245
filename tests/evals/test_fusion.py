"""Choosing the fusion by cross-validation over evaluation runs."""

from __future__ import annotations

import json
from pathlib import Path

from evals.fusion import cross_validate, main, read


def _run(directory: Path, ranks: list[int | None]) -> Path:
    questions = [{"id": f"q{i}", "answerable": True, "gold": [{"source": "f.md"}],
                  "results": {"hybrid": {"first_relevant_rank": r}}} for i, r in enumerate(ranks)]
    questions.append({"id": "u", "answerable": False, "gold": [], "results": {"hybrid": {"first_relevant_rank": None}}})
    directory.mkdir()
    (directory / "results.json").write_text(json.dumps({"questions": questions}), encoding="utf-8")
    return directory


def test_the_setting_that_ranks_better_is_chosen_on_every_fold(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    good = read([_run(tmp_path / "good", [1, 1, 2, 1, 3, 1, 1, 2, 1, 1])])
    bad = read([_run(tmp_path / "bad", [4, None, 6, 2, 11, 3, 1, 9, 5, 2])])
    assert len(good) == 10 and good["0:q4"] == (1 / 3, 1.0) and bad["0:q1"] == (0.0, 0.0)
    chosen, mrr, hit = cross_validate({"good": good, "bad": bad}, folds=5)
    assert chosen == ["good"] * 5 and hit == 1.0 and round(mrr, 3) == round(sum(v[0] for v in good.values()) / 10, 3)
    assert main(["--run", f"good={tmp_path / 'good'}", "--run", f"bad={tmp_path / 'bad'}"]) == 0
    assert "| good | 0.833 | 1.000 |" in capsys.readouterr().out
