"""The LEGI subset of ../shared/corpus on which answers are calibrated, small enough to embed in an hour here.

    python -m evals.subset --out eval-partage      # then: carrefour ingest eval-partage --data-dir data-partage

Kept: the laws and decrees in Markdown (not their JSONL copy, not the `00_README.md` tables of contents), the
other codes' articles, and of the CGCT the articles of the first part (participation, local democracy), the
communes' conseils de quartier (L2141, L2143), the intercommunalités (L52…), and every article a question set
cites. File names stay those of ../shared/corpus, so the gold references of evals/questions match.
"""

from __future__ import annotations

import argparse
import json
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path

LAWS = "legi-lois-non-codifiees"
CGCT = "legi-cgct-2015/cgct_partie_legislative.jsonl"
OTHER_CODES = "legi-cgct-2015/autres_codes_thematique_politique_de_la_ville.jsonl"
KEPT_ARTICLES = ("Article L1", "Article LO1", "Article L52", "Article L2143", "Article L2141")


def cited_records(question_files: Iterable[Path]) -> set[str]:
    """The record ids that the questions' gold references name."""
    ids: set[str] = set()
    for path in question_files:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                ids |= {g["record_id"] for g in json.loads(line).get("gold") or () if g.get("record_id")}
    return ids


def write_subset(shared: Path, out: Path, cited: set[str]) -> int:
    """Copy the subset into `out`; returns the number of CGCT records kept."""
    laws = out / LAWS
    shutil.copytree(shared / LAWS, laws, ignore=shutil.ignore_patterns("00_README.md", "*.jsonl"), dirs_exist_ok=True)
    (out / OTHER_CODES).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shared / OTHER_CODES, out / OTHER_CODES)
    kept = []
    for line in (shared / CGCT).read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            if record["id"] in cited or str(record.get("article", "")).startswith(KEPT_ARTICLES):
                kept.append(line + "\n")
    (out / CGCT).write_text("".join(kept), encoding="utf-8")
    return len(kept)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "corpus")
    args = parser.parse_args(argv)
    if not (args.shared / CGCT).is_file():
        print(f"Corpus partagé introuvable dans {args.shared} : indiquez-le avec --shared (../shared/corpus).")
        return 1
    questions = sorted((Path(__file__).resolve().parent / "questions").glob("*.jsonl"))
    kept = write_subset(args.shared, args.out, cited_records(questions))
    print(f"{args.out} : lois et décrets en Markdown, autres codes, {kept} articles du CGCT.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
