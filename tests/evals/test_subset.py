"""The LEGI subset used to calibrate answers on ../shared/corpus: what it keeps, under the same file names."""

from __future__ import annotations

import json
from pathlib import Path

from evals.subset import CGCT, LAWS, OTHER_CODES, cited_records, write_subset


def test_the_subset_keeps_the_laws_the_chosen_articles_and_those_the_questions_cite(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    (shared / LAWS / "loi").mkdir(parents=True)
    (shared / LAWS / "loi" / "00_README.md").write_text("# Sommaire", encoding="utf-8")
    (shared / LAWS / "loi" / "article-1.md").write_text("# Article 1\n\nTexte.", encoding="utf-8")
    (shared / LAWS / "extraits.jsonl").write_text("{}", encoding="utf-8")
    (shared / OTHER_CODES).parent.mkdir(parents=True)
    (shared / OTHER_CODES).write_text('{"id": "ct:L5134-100", "text": "x"}\n', encoding="utf-8")
    records = [{"id": f"cgct:{a}", "article": a, "text": "t"} for a in
               ("Article L1112-16", "Article L2121-1", "Article L5214-16", "Article L2334-40")]
    (shared / CGCT).write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    questions = tmp_path / "q.jsonl"
    questions.write_text(json.dumps({"gold": [{"source": "cgct_partie_legislative.jsonl",
                                               "record_id": "cgct:Article L2334-40"}]}) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    assert write_subset(shared, out, cited_records([questions])) == 3
    kept = [json.loads(line)["article"] for line in (out / CGCT).read_text(encoding="utf-8").splitlines()]
    assert kept == ["Article L1112-16", "Article L5214-16", "Article L2334-40"]
    assert sorted(p.name for p in (out / LAWS).rglob("*") if p.is_file()) == ["article-1.md"]
    assert (out / OTHER_CODES).read_text(encoding="utf-8").startswith('{"id": "ct:L5134-100"')
