"""Load script, not a test: N concurrent gradio_client users × M questions against a running chat.

    .venv/bin/python -m ui.load [--url http://127.0.0.1:7860/] [--users 20] [--questions 5]

Each user opens its own client and asks its questions one after the other through the `ask` API; the
script prints the errors, then the latency of the answers (p50, p95, max) and the throughput.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

QUESTIONS = (
    "Qu'est-ce qu'un quartier prioritaire de la politique de la ville ?",
    "Quelles sont les compétences d'une communauté de communes ?",
    "Quelles compétences la loi NOTRe a-t-elle transférées aux intercommunalités ?",
    "Quel est le rôle de l'ANRU dans le NPNRU ?",
    "Combien de temps dure un contrat de ville ?",
    "Comment sont choisis les membres d'un conseil citoyen ?",
    "Quelle agence a remplacé le CGET ?",
    "Quels critères définissent un quartier prioritaire ?",
    "Quel est le budget du festival de Trifouilly-les-Oies ?",  # an abstention, on purpose
    "Quels métiers exercent les agents de développement territorial ?",
)


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def run(url: str, users: int, questions: int) -> int:
    from gradio_client import Client

    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def user(number: int) -> None:
        try:
            client = Client(url, verbose=False)
        except Exception as exc:  # noqa: BLE001 — a load script reports every failure and goes on
            with lock:
                errors.append(f"utilisateur {number} : connexion impossible ({exc})")
            return
        for i in range(questions):
            question = QUESTIONS[(number + i) % len(QUESTIONS)]
            started = time.perf_counter()
            try:
                answer = client.predict(question, api_name="/ask")
                if not isinstance(answer, dict) or "answer" not in answer:
                    raise ValueError(f"réponse inattendue : {str(answer)[:80]}")
            except Exception as exc:  # noqa: BLE001
                with lock:
                    errors.append(f"utilisateur {number}, « {question} » : {exc}")
                continue
            with lock:
                latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=users) as pool:
        list(pool.map(user, range(users)))
    wall = time.perf_counter() - started
    total = users * questions
    for error in errors:
        print(f"ERREUR  {error}")
    print(f"{users} utilisateurs × {questions} questions = {total} requêtes en {wall:.1f} s : "
          f"{len(latencies)} réussies, {len(errors)} erreur(s), {len(latencies) / wall:.2f} réponses/s")
    if latencies:
        print(f"latence : p50 {percentile(latencies, 0.5):.2f} s, p95 {percentile(latencies, 0.95):.2f} s, "
              f"max {max(latencies):.2f} s")
    return 1 if errors else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ui.load", description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:7860/", help="adresse du chat (défaut %(default)s)")
    parser.add_argument("--users", type=int, default=20, help="utilisateurs simultanés (défaut 20)")
    parser.add_argument("--questions", type=int, default=5, help="questions par utilisateur (défaut 5)")
    args = parser.parse_args(argv)
    return run(args.url, args.users, args.questions)


if __name__ == "__main__":
    sys.exit(main())
