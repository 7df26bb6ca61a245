"""OCR benchmark: character error rate (CER) and throughput of the Tesseract reader on scans of known text.

    python -m evals.bench_ocr [--shared ../shared/corpus] [--pages 8] [--workers 2] [--json out.json]
    python -m evals.bench_ocr --retrieval [--data-dir DIR]   # domain questions on OCR'd copies of the law texts

Scans are made here (evals/scans.py) from text whose exact characters are known:
- the shared law PDF (`pdf/loi-2014-173-…pdf`): each page rendered at 300 dpi, clean, then degraded
  (skew 0.8°, blur, speckles, grey paper, JPEG 65); the reference is the page's own text layer;
- the shared scan `pdf/scan-sans-couche-texte.pdf` (150 dpi, skewed, noisy; made outside the project),
  against the text layer of pages 1–2 of the same law;
- the seed proceedings (`../shared/seeds/…2017-12-11.txt`) drawn in DejaVu Serif 11 pt, clean and degraded.
CER = edit distance / reference length after NFKC, typographic apostrophes, line-end hyphens joined and
whitespace collapsed (`evals.scans.comparable`). Throughput counts rendering + OCR, without the cache.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from evals.scans import (
    CLEAN,
    NOISY,
    Degradation,
    comparable,
    degrade,
    edit_distance,
    image_pdf,
    scanned_copy,
    text_pages,
)
from ingest.ocr import TesseractReader

LOI = "pdf/loi-2014-173-programmation-ville-cohesion-urbaine.pdf"
SCAN = "pdf/scan-sans-couche-texte.pdf"
SEED = "journee-nationale-carrefour-des-metiers-2017-12-11.txt"


def _layer(pdf: bytes) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def _score(name: str, pdf: bytes, references: Sequence[str], pages: Sequence[int], workers: int) -> dict[str, object]:
    """OCR `pages` of `pdf`; references[i] is the text of pages[i] (one reference for all pages when
    there is a single one: the pages' OCR texts are then joined)."""
    reader = TesseractReader(None, workers=workers)
    if reason := reader.unavailable():
        sys.exit(reason)
    started = time.perf_counter()
    texts = reader.read(pdf, list(pages))
    seconds = time.perf_counter() - started
    if len(references) == 1:
        hypotheses = ["\n".join(texts.get(p, "") for p in pages)]
    else:
        hypotheses = [texts.get(p, "") for p in pages]
    edits = chars = 0
    for reference, hypothesis in zip(references, hypotheses, strict=True):
        ref = comparable(reference)
        edits += edit_distance(ref, comparable(hypothesis))
        chars += len(ref)
    row = {"scan": name, "pages": len(pages), "characters": chars, "cer": round(edits / max(1, chars), 4),
           "seconds": round(seconds, 1), "pages_per_minute": round(60 * len(pages) / seconds, 1)}
    print(f"| {name} | {len(pages)} | {chars:,} | {100 * edits / max(1, chars):.2f} % | "
          f"{row['pages_per_minute']} |", flush=True)
    return row


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "corpus")
    parser.add_argument("--pages", type=int, default=8, help="pages of the law PDF to scan (1 to 8)")
    parser.add_argument("--workers", type=int, default=2, help="pages read at once (one Tesseract each)")
    parser.add_argument("--json", type=Path, help="also write the rows here")
    parser.add_argument("--retrieval", action="store_true",
                        help="only the retrieval comparison: domain questions on OCR'd copies of the law texts")
    parser.add_argument("--data-dir", type=Path, help="where the two indexes and the OCR cache go (default: temporary)")
    args = parser.parse_args(argv)
    if args.retrieval:
        rows = retrieval(args.shared, args.data_dir, args.workers)
        if args.json:
            args.json.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
        return 0

    loi = (args.shared / LOI).read_bytes()
    layer = _layer(loi)
    pages = list(range(1, min(args.pages, len(layer)) + 1))
    seed = (args.shared.parent / "seeds" / SEED).read_text(encoding="utf-8")
    seed_pages = text_pages(seed)

    def degraded(how: Degradation) -> bytes:
        return image_pdf([degrade(img, how, seed=i) for i, img in enumerate(seed_pages, 1)])

    print("| scan | pages | characters | CER | pages/min |")
    print("| --- | --- | --- | --- | --- |")
    rows = [
        _score("loi 2014-173, 300 dpi, propre", scanned_copy(loi, pages, CLEAN), [layer[p - 1] for p in pages],
               pages, args.workers),
        _score("loi 2014-173, 300 dpi, bruit + inclinaison 0,8°", scanned_copy(loi, pages, NOISY),
               [layer[p - 1] for p in pages], pages, args.workers),
        _score("scan partagé (150 dpi, bruit, inclinaison)", (args.shared / SCAN).read_bytes(), layer[:2], [1, 2],
               args.workers),
        _score("actes 2017 (graine), 300 dpi, propre", degraded(CLEAN), [seed],
               list(range(1, len(seed_pages) + 1)), args.workers),
        _score("actes 2017 (graine), 300 dpi, bruit + inclinaison 0,8°", degraded(NOISY), [seed],
               list(range(1, len(seed_pages) + 1)), args.workers),
    ]
    if args.json:
        args.json.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


# ---- retrieval on OCR'd copies ------------------------------------------------------------------

LAWS = "legi-lois-non-codifiees"
QUESTIONS = Path(__file__).resolve().parent / "questions" / "domain.jsonl"


def _ocr_copy(source: Path, target: Path, reader: TesseractReader) -> int:
    """`source` (Markdown) printed, scanned with noise and skew, read back by OCR into `target`; pages read."""
    text = source.read_text(encoding="utf-8")
    images = [degrade(img, NOISY, seed=i) for i, img in enumerate(text_pages(text), 1)]
    pages = list(range(1, len(images) + 1))
    read = reader.read(image_pdf(images), pages)
    # OCR keeps the printed line breaks: a paragraph is what lies between blank lines, as in the source, and
    # a `#` heading stands alone (Tesseract does not always leave a blank line under it).
    paragraphs: list[list[str]] = [[]]
    for line in "\n".join(read.get(p, "") for p in pages).split("\n"):
        if line.lstrip().startswith("#"):
            paragraphs += [[line], []]
        elif not line.strip():
            paragraphs.append([])
        else:
            paragraphs[-1].append(line)
    target.write_text("\n\n".join(" ".join(" ".join(p).split()) for p in paragraphs if p) + "\n", encoding="utf-8")
    return len(pages)


def _metrics(data_dir: Path, root: Path, questions: list) -> dict[str, float]:  # type: ignore[type-arg]
    from assistant.service import Assistant
    from assistant.settings import Settings
    from evals.matching import assign_groups, hit_groups
    from ingest.pipeline import Ingestor

    settings = Settings(data_dir=data_dir)
    assistant = Assistant(settings)
    Ingestor(settings, assistant.embedder, assistant.store, quiet=True).run([root])
    assistant = Assistant(settings)
    hit5 = mrr = 0.0
    grouped = assign_groups(questions, assistant.store.chunks())
    for q in grouped:
        first = next((rank for rank, hit in enumerate(assistant.search(q.question, 10), 1) if hit_groups(hit, q)),
                     None)
        hit5 += first is not None and first <= 5
        mrr += 1 / first if first else 0.0
    return {"hit@5": round(hit5 / len(grouped), 3), "mrr@10": round(mrr / len(grouped), 3)}


def retrieval(shared: Path, data_dir: Path | None, workers: int) -> list[dict[str, object]]:
    """hit@5 and MRR@10 of the domain questions whose gold passages are all in the Markdown law texts,
    on the texts as they are and on OCR'd copies of them (printed, degraded like NOISY, read back)."""
    import shutil
    import tempfile

    from evals.matching import load_questions

    base = data_dir or Path(tempfile.mkdtemp(prefix="carrefour-ocr-"))
    laws = shared / LAWS
    questions = [q for q in load_questions([str(QUESTIONS)]) if q.answerable and q.gold
                 and all((laws / g.source).is_file() for g in q.gold)]
    reader = TesseractReader(base / "ocr-cache", workers=workers, progress=True)
    if reason := reader.unavailable():
        sys.exit(reason)
    pages = 0
    started = time.perf_counter()
    for source in sorted(laws.rglob("*")):
        if source.is_dir() or source.suffix == ".jsonl":
            continue
        rel = source.relative_to(laws)
        for variant in ("texte", "ocr"):
            (base / variant / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, base / "texte" / rel)
        if source.suffix == ".md":
            pages += _ocr_copy(source, base / "ocr" / rel, reader)
        else:
            shutil.copyfile(source, base / "ocr" / rel)
    print(f"{len(questions)} questions ; {pages} pages lues par OCR en {time.perf_counter() - started:.0f} s",
          flush=True)
    rows = []
    print("| textes | hit@5 | MRR@10 |\n| --- | --- | --- |")
    for variant in ("texte", "ocr"):
        scores = _metrics(base / f"data-{variant}", base / variant, questions)
        rows.append({"variant": variant, "questions": len(questions), **scores})
        print(f"| {variant} | {scores['hit@5']:.3f} | {scores['mrr@10']:.3f} |", flush=True)
    return rows


if __name__ == "__main__":
    raise SystemExit(main())
