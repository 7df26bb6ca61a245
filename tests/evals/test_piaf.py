"""PIAF Service-Public importer: question format, Markdown fiches, CLI; the real set when ../shared is there."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.piaf import DEFAULT_PATH, PiafDoc, load_piaf, main, to_markdown, write_corpus
from tests.conftest import SHARED

PIAF = SHARED / "benchmarks" / "piaf-service-public" / DEFAULT_PATH.name

SQUAD = {
    "data": [
        {"title": "F34355", "paragraphs": [{
            "context": "La médiation familiale est une autre voie.\nQui est concerné ?\n# Parents",
            "qas": [{"question": "Qu'est-ce que la médiation familiale ?",
                     "answers": [{"answer_start": 28, "text": "une autre voie"},
                                 {"answer_start": 28, "text": "une autre voie"}]}],
        }]},
        {"title": "F1364", "paragraphs": [{"context": "Une fiche sans question."}]},
    ]
}


@pytest.fixture
def squad(tmp_path: Path) -> Path:
    path = tmp_path / "piaf.squad.json"
    path.write_text(json.dumps(SQUAD, ensure_ascii=False), encoding="utf-8")
    return path


def test_load_small_file(squad: Path) -> None:
    docs, questions = load_piaf(squad)
    assert docs == [
        PiafDoc("F34355", "F34355", "La médiation familiale est une autre voie.\nQui est concerné ?\n# Parents"),
        PiafDoc("F1364", "F1364", "Une fiche sans question."),
    ]
    assert questions == [{
        "id": "piaf-001",
        "question": "Qu'est-ce que la médiation familiale ?",
        "answerable": True,
        "gold": [{"source": "f34355.md", "section": None, "record_id": None}],
        "key_facts": ["une autre voie"],
        "notes": "",
    }]


def test_markdown_fiche() -> None:
    doc = PiafDoc("F34355", "F34355", "Première ligne.\n\nQui est concerné ?\n# Parents")
    assert to_markdown(doc) == "# F34355\n\nPremière ligne.\n\nQui est concerné ?\n\n\\# Parents\n"


def test_write_corpus_and_cli(squad: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    docs, _ = load_piaf(squad)
    assert [p.name for p in write_corpus(docs, tmp_path / "c")] == ["f34355.md", "f1364.md"]
    assert main(["--out", str(tmp_path / "out"), "--squad", str(squad)]) == 0
    assert sorted(p.name for p in (tmp_path / "out" / "corpus").iterdir()) == ["f1364.md", "f34355.md"]
    lines = (tmp_path / "out" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["gold"][0]["source"] for line in lines] == ["f34355.md"]
    assert "2 fiches" in capsys.readouterr().out


def test_unreadable_file(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ValueError, match="bad.json"):
        load_piaf(tmp_path / "bad.json")


def test_real_set() -> None:
    if not PIAF.exists():
        pytest.skip(f"{PIAF} absent : le jeu PIAF partagé (../shared/benchmarks) n'est pas à côté du dépôt")
    docs, questions = load_piaf(PIAF)
    assert len(docs) == 532 and len(questions) == 105
    names = {d.file_name for d in docs}
    assert len(names) == 532
    assert all(g["source"] in names for q in questions for g in q["gold"])
    assert all(q["question"] and q["key_facts"] for q in questions)
    assert len({q["id"] for q in questions}) == 105
