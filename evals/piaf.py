"""PIAF Service-Public (SQuAD format) → fiches as Markdown files and questions in the project's format.

The set (etalab-ia/piaf-ml, MIT): 532 fiches of service-public.fr, each one SQuAD article with a single
paragraph; 105 of them carry one question each. The SQuAD title is the fiche number (`F34355`).

    python -m evals.piaf --out DIR     # writes DIR/corpus/<fiche>.md and DIR/questions.jsonl
"""

from __future__ import annotations

import argparse
import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_PATH = (
    Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "piaf-service-public" / "spf_qr_test_532docs_105q.squad.json"
)


@dataclass(frozen=True)
class PiafDoc:
    id: str  # the fiche number, e.g. "F34355"
    title: str
    text: str

    @property
    def file_name(self) -> str:
        """The Markdown file written for this fiche, which is also the gold `source` of its questions."""
        return f"{slug(self.id)}.md"


def slug(value: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "sans-titre"


def load_piaf(path: Path = DEFAULT_PATH) -> tuple[list[PiafDoc], list[dict[str, Any]]]:
    """The fiches, and one question dict per SQuAD question with the fiche's file name as gold source."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))["data"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path} : fichier SQuAD PIAF illisible ({exc})") from exc
    docs: list[PiafDoc] = []
    questions: list[dict[str, Any]] = []
    for article in data:
        fiche = str(article["title"]).strip()
        text = "\n".join(p["context"] for p in article["paragraphs"]).strip()
        doc = PiafDoc(id=fiche, title=fiche, text=text)
        docs.append(doc)
        for paragraph in article["paragraphs"]:
            for qa in paragraph.get("qas", []):
                answers = list(dict.fromkeys(a["text"].strip() for a in qa.get("answers", []) if a["text"].strip()))
                questions.append({
                    "id": f"piaf-{len(questions) + 1:03d}",
                    "question": qa["question"].strip(),
                    "answerable": True,
                    "gold": [{"source": doc.file_name, "section": None, "record_id": None}],
                    "key_facts": answers,
                    "notes": "",
                })
    names = [d.file_name for d in docs]
    if len(set(names)) != len(names):
        raise ValueError(f"{path} : deux fiches donnent le même nom de fichier")
    return docs, questions


def to_markdown(doc: PiafDoc) -> str:
    """`# title`, then the text with one paragraph per line of the fiche (blank lines between them)."""
    paragraphs = [line.strip() for line in doc.text.split("\n") if line.strip()]
    # A line that would read as a Markdown heading is escaped, so it stays body text.
    paragraphs = ["\\" + p if p.startswith("#") else p for p in paragraphs]
    return f"# {doc.title}\n\n" + "\n\n".join(paragraphs) + "\n"


def write_corpus(docs: Sequence[PiafDoc], out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for doc in docs:
        path = out_dir / doc.file_name
        path.write_text(to_markdown(doc), encoding="utf-8")
        paths.append(path)
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.piaf", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="dossier de sortie (corpus/ et questions.jsonl)")
    parser.add_argument("--squad", type=Path, default=DEFAULT_PATH, help="fichier SQuAD PIAF")
    args = parser.parse_args(argv)
    docs, questions = load_piaf(args.squad)
    write_corpus(docs, args.out / "corpus")
    with (args.out / "questions.jsonl").open("w", encoding="utf-8") as f:
        for q in questions:
            f.write(json.dumps(q, ensure_ascii=False) + "\n")
    print(f"{len(docs)} fiches dans {args.out / 'corpus'}, {len(questions)} questions dans {args.out / 'questions.jsonl'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
