"""The `carrefour` command: ingest, status, search, ask, eval, serve, feedback. A composition root, on the top
floor with the web app: it wires the core (`assistant`), the ingestion and the measures through `ui.wiring`."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assistant.errors import EMPTY_INDEX, CarrefourError

# The core's lists (assistant.retrieve.MODES, assistant.settings.ChatMode), written out so that `--help` imports
# nothing; tests/test_architecture.py checks they stay equal.
MODES = ("hybrid", "dense", "bm25")
ANSWER_MODES = ("extractive", "llm")


def _offline_environment() -> None:
    # No hub, no telemetry: this machine (and the users' ones) may have no internet.
    for key, value in {
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "ANONYMIZED_TELEMETRY": "False",
        "OMP_WAIT_POLICY": "PASSIVE",
        "TOKENIZERS_PARALLELISM": "false",
    }.items():
        os.environ.setdefault(key, value)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, help="dossier des données (index, manifeste, caches)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="carrefour", description="Assistant documentaire du Carrefour des métiers.")
    sub = parser.add_subparsers(dest="command", required=True)

    ingest = sub.add_parser("ingest", help="indexer des dossiers de documents (incrémental)")
    ingest.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="dossiers ou fichiers (défaut : corpus)")
    _common(ingest)
    ingest.add_argument("--exclude", action="append", default=[], metavar="GLOB", help="motif à ignorer")
    ingest.add_argument("--pdf-password", help="mot de passe des PDF protégés")
    ingest.add_argument("--dry-run", action="store_true", help="dire ce qui changerait, sans rien écrire")
    ingest.add_argument("--json", action="store_true", help="rapport JSON sur la sortie standard")
    ingest.add_argument("--quiet", action="store_true", help="sans barre de progression ni résumé")

    status = sub.add_parser("status", help="état de l'index")
    _common(status)
    status.add_argument("--json", action="store_true")

    search = sub.add_parser("search", help="chercher des passages (« - » : une requête par ligne sur l'entrée)")
    search.add_argument("query", metavar="QUERY")
    search.add_argument("--k", type=int, default=10, help="nombre de passages (défaut 10)")
    search.add_argument("--retrieval", choices=MODES, default=None, help="hybrid (défaut), dense ou bm25")
    _filters(search)
    _common(search)
    search.add_argument("--json", action="store_true")

    ask = sub.add_parser("ask", help="poser une question (« - » : une question par ligne sur l'entrée)")
    ask.add_argument("question", metavar="QUESTION")
    ask.add_argument("--mode", choices=ANSWER_MODES, default="extractive")
    ask.add_argument("--retrieval", choices=MODES, default=None, help="hybrid (défaut), dense ou bm25")
    _filters(ask)
    _common(ask)
    ask.add_argument("--json", action="store_true")

    evaluate = sub.add_parser("eval", help="évaluer plusieurs configurations sur des jeux de questions")
    evaluate.add_argument("--questions", nargs="+", required=True, metavar="FILE",
                          help="fichiers JSONL de questions, dossier de « python -m evals.piaf --out », ou « piaf »")
    evaluate.add_argument("--configs", default="bm25,dense,hybrid",
                          help="configurations séparées par des virgules : bm25, dense, hybrid, naive "
                               "(défaut bm25,dense,hybrid)")
    evaluate.add_argument("--out", type=Path, help="dossier où écrire results.json, report.md et report.html")
    evaluate.add_argument("--baseline", type=Path, metavar="RESULTS", help="results.json d'une évaluation précédente")
    evaluate.add_argument("--k", type=int, default=10, help="passages retrouvés par question (défaut 10)")
    evaluate.add_argument("--limit", type=int, metavar="N", help="seulement les N premières questions")
    evaluate.add_argument("--mode", choices=ANSWER_MODES, default="extractive", help="mode de réponse")
    evaluate.add_argument("--quiet", action="store_true", help="sans barre de progression")
    _common(evaluate)

    serve = sub.add_parser("serve", help="démarrer le chat web (par défaut http://127.0.0.1:7860)")
    serve.add_argument("--host", default="127.0.0.1",
                       help="adresse d'écoute (défaut 127.0.0.1 : ce poste seulement ; 0.0.0.0 : tout le réseau)")
    serve.add_argument("--port", type=int, default=7860, help="port (défaut 7860)")
    serve.add_argument("--share", action="store_true",
                       help="lien public temporaire via les serveurs de Gradio (à éviter pour des documents internes)")
    _common(serve)

    feedback = sub.add_parser("feedback", help="avis laissés dans le chat")
    feedback_sub = feedback.add_subparsers(dest="feedback_command", required=True)
    export = feedback_sub.add_parser("export", help="écrire les avis au format des questions d'évaluation (JSONL)")
    export.add_argument("--out", type=Path, metavar="FILE", help="fichier JSONL à écrire (défaut : sortie standard)")
    _common(export)
    return parser


def _filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kind", help="type de document (ex. « texte officiel », fiche, actes)")
    parser.add_argument("--year-from", type=int, metavar="Y")
    parser.add_argument("--year-to", type=int, metavar="Y")
    parser.add_argument("--folder", help="dossier source (premier dossier du chemin)")
    parser.add_argument("--speaker", help="intervenant des actes, tel qu'écrit dans les résultats (ex. « Loïc Cauret »)")


def _settings(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from assistant.settings import Settings

    return Settings().with_data_dir(args.data_dir)


def _one_line(text: str) -> str:
    """A file name may hold a newline: the report keeps one line per file."""
    return text.replace("\r", "\\r").replace("\n", "\\n")


def cmd_ingest(args: argparse.Namespace) -> int:
    from ingest.pipeline import Ingestor, Report

    try:
        settings = _settings(args)
        from ui.wiring import components

        embedder, store = components(settings)
        paths = args.paths or [settings.corpus_dir]
        report = Ingestor(settings, embedder, store, quiet=args.quiet or args.json).run(
            paths, excludes=args.exclude, pdf_password=args.pdf_password, dry_run=args.dry_run
        )
    except Exception as exc:
        if args.json:  # the contract holds on every exit: a script reading stdout gets its JSON line
            message = str(exc) if isinstance(exc, CarrefourError) else f"erreur inattendue ({type(exc).__name__})"
            where = str(args.data_dir or "") or "carrefour ingest"
            print(json.dumps({**Report().to_json(), "failed": [{"path": where, "error": message}], "error": message},
                             ensure_ascii=False), flush=True)
        raise
    for failure in report.failed:
        print(f"ÉCHEC  {_one_line(failure['path'])} : {failure['error']}", file=sys.stderr)
    if not args.quiet:
        for warning in report.warnings:
            print(f"ATTENTION  {_one_line(warning['path'])} : {warning['warning']}", file=sys.stderr)
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False))
    elif not args.quiet:
        prefix = "Simulation : " if args.dry_run else ""
        print(
            f"{prefix}{report.added} ajouté(s), {report.updated} mis à jour, {report.unchanged} inchangé(s), "
            f"{report.removed} retiré(s), {len(report.failed)} en échec — l'index contient "
            f"{report.documents} documents et {report.chunks} passages ({report.seconds:.1f} s)."
        )
    return 1 if report.failed else 0


def status_data(settings) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    from ui.wiring import status

    return status(settings)


def cmd_status(args: argparse.Namespace) -> int:
    data = status_data(_settings(args))
    if args.json:
        print(json.dumps(data, ensure_ascii=False))
        return 0
    print(f"Index : {data['documents']} documents, {data['chunks']} passages")
    print(f"Modèle d'embeddings : {data['embedder']}")
    print(f"Stockage : {data['store']}")
    for root, counts in data["roots"].items():
        print(f"  {root} : {counts['files']} fichiers, {counts['documents']} documents, {counts['chunks']} passages")
    if not data["roots"]:
        print("Aucun document indexé : lancez « carrefour ingest ».")
    elif not data["keyword_index"]:
        print("Index de mots-clés absent : relancez « carrefour ingest » pour le reconstruire.")
    return 0


def _lines(text: str) -> list[str]:
    if text != "-":
        if not text.strip():
            raise CarrefourError("Question vide : écrivez une question entre guillemets, ou « - » pour les lire "
                                 "sur l'entrée standard.")
        return [text]
    return [line.strip() for line in sys.stdin if line.strip()]


def _assistant(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from assistant.service import Assistant
    from assistant.types import Filters

    filters = Filters(kind=args.kind, year_from=args.year_from, year_to=args.year_to, folder=args.folder,
                      speaker=args.speaker)
    return Assistant(_settings(args)), filters


def _index_is_empty(assistant) -> bool:  # type: ignore[no-untyped-def]
    settings = assistant.settings
    # A data dir never ingested is left untouched: opening the store would create it.
    if not settings.chroma_url and not settings.chroma_dir.exists():
        return True
    return bool(assistant.store.count() == 0)


def _warnings(assistant) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """`--json` gains "warnings" only when there is one (e.g. no keyword index): the contract is only extended."""
    return {"warnings": list(assistant.warnings)} if assistant.warnings else {}


def _warn(assistant) -> None:  # type: ignore[no-untyped-def]
    for warning in assistant.warnings:
        print(f"Attention : {warning}", file=sys.stderr)


def cmd_search(args: argparse.Namespace) -> int:
    from assistant.service import hit_json

    assistant, filters = _assistant(args)
    queries = _lines(args.query)  # an empty question is a usage error (2), said first
    if _index_is_empty(assistant):
        print(EMPTY_INDEX, file=sys.stderr)
        return 1
    for query in queries:
        hits = assistant.search(query, args.k, filters, args.retrieval)
        if args.json:
            data = {"query": query, "hits": [hit_json(h) for h in hits]}
            print(json.dumps({**data, **_warnings(assistant)}, ensure_ascii=False), flush=True)
            continue
        _warn(assistant)
        print(f"« {query} » : {len(hits)} passage(s)")
        for h in hits:
            where = " — ".join(p for p in (h.chunk.source, h.chunk.section or h.chunk.record_id) if p)
            print(f"{h.rank:>3}. [{h.score:.3f}] {h.chunk.title} ({where})")
            print("      " + h.chunk.text[:200].replace("\n", " ") + ("…" if len(h.chunk.text) > 200 else ""))
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    from assistant.answer import Answer, label
    from assistant.service import answer_json

    assistant, filters = _assistant(args)
    questions = _lines(args.question)  # an empty question is a usage error (2), said first
    if _index_is_empty(assistant):
        print(EMPTY_INDEX, file=sys.stderr)
        return 1
    for question in questions:
        if args.json:
            answer = assistant.ask(question, args.mode, filters, retrieval=args.retrieval)
            print(json.dumps({**answer_json(answer), **_warnings(assistant)}, ensure_ascii=False), flush=True)
            continue
        final: Answer | None = None
        for piece in assistant.ask_stream(question, args.mode, filters, retrieval=args.retrieval):
            if isinstance(piece, Answer):
                final = piece
            else:
                print(piece, end="", flush=True)
        print()
        assert final is not None
        for c in final.citations:
            state = f", état du droit au {c.hit.chunk.valid_as_of}" if c.hit.chunk.valid_as_of else ""
            print(f"  [{c.n}] {label(c.hit)} ({c.hit.chunk.source}{state})")
        unsupported = [s.text for s in final.sentences if not s.supported]
        if unsupported:
            print(f"  Attention : {len(unsupported)} phrase(s) non étayée(s) par les passages cités.")
        _warn(assistant)
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from assistant.service import Assistant
    from evals.run import run

    return run(args, Assistant(_settings(args)))


def cmd_serve(args: argparse.Namespace) -> int:
    from assistant.service import Assistant
    from ui.app import build_app, launch  # gradio: ≈2 s of imports, only for this command

    settings = _settings(args)
    assistant = Assistant(settings)
    if assistant.store.count() == 0:
        print("Attention : l'index est vide ; lancez « carrefour ingest » pour indexer le corpus.", file=sys.stderr)
    demo = build_app(assistant, settings)
    try:
        launch(demo, assistant, settings, args.host, args.port, args.share, block=False, quiet=True)
    except OSError as exc:
        raise CarrefourError(f"Impossible d'écouter sur {args.host}:{args.port} : le port est sans doute déjà pris ; "
                             "choisissez-en un autre avec --port.") from exc
    print(f"Carrefour : ouvrez http://{args.host}:{args.port} dans votre navigateur (Ctrl+C pour arrêter).",
          flush=True)
    if demo.share_url:
        print(f"Lien public temporaire (visible de tous) : {demo.share_url}")
    demo.block_thread()
    return 0


def cmd_feedback(args: argparse.Namespace) -> int:
    from ui.feedback import FeedbackStore

    questions = FeedbackStore(_settings(args).feedback_path).export()
    lines = "".join(json.dumps(q, ensure_ascii=False) + "\n" for q in questions)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(lines, encoding="utf-8")
        print(f"{len(questions)} avis exportés dans {args.out} : à vérifier avant de les ajouter aux questions "
              "d'évaluation.", file=sys.stderr)
    else:
        sys.stdout.write(lines)
    return 0


COMMANDS = {"ingest": cmd_ingest, "status": cmd_status, "search": cmd_search, "ask": cmd_ask, "eval": cmd_eval,
            "serve": cmd_serve, "feedback": cmd_feedback}


def main(argv: Sequence[str] | None = None) -> int:
    _offline_environment()
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except CarrefourError as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("Interrompu.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
