"""Soak script, not a test: the chat under load while ingestions add, update and remove files, for N minutes.

    .venv/bin/python -m ui.soak [--minutes 10] [--users 4] [--embedder hash] [--json]

Everything runs on this machine and on the loopback only: a copy of the project's corpus in a temporary folder,
`carrefour serve` on a free port of 127.0.0.1, `--users` clients asking through the `ask` API, and one writer that
every few seconds adds a note holding a new word, rewrites another, removes a third, then runs `carrefour ingest`
in its own process. After each ingestion, every word of the corpus must be found and every removed or replaced
word must be gone: a miss is a stale answer. The script prints the questions, errors, stale answers, latencies and
ingestions, and exits 1 if there was any error or stale answer. Every loop stops at the deadline; the server and
the temporary folder are removed at the end, even after Ctrl+C.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ui.load import QUESTIONS, percentile

CARREFOUR = str(Path(sys.executable).parent / "carrefour")
PROJECT_CORPUS = Path(__file__).resolve().parent.parent / "corpus"
NOTES = "notes-soak"  # the writer's folder inside the copied corpus
KEEP = 6  # notes alive at a time: the writer adds one and removes the oldest


@dataclass
class Figures:
    questions: int = 0
    errors: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    ingestions: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    ingest_seconds: list[float] = field(default_factory=list)
    checks: int = 0
    stale: list[str] = field(default_factory=list)
    client_retries: int = 0  # requests that gradio_client cancelled and that were sent again, once
    lock: threading.Lock = field(default_factory=threading.Lock)

    def to_json(self, minutes: float, users: int, embedder: str) -> dict[str, Any]:
        lat = self.latencies
        return {
            "minutes": minutes, "users": users, "embedder": embedder, "questions": self.questions,
            "answered": len(lat), "errors": len(self.errors), "stale": len(self.stale),
            "p50_s": round(percentile(lat, 0.5), 3) if lat else None,
            "p95_s": round(percentile(lat, 0.95), 3) if lat else None,
            "ingestions": self.ingestions, "files_added": self.added, "files_updated": self.updated,
            "files_removed": self.removed, "freshness_checks": self.checks, "client_retries": self.client_retries,
            "ingest_p50_s": round(percentile(self.ingest_seconds, 0.5), 2) if self.ingest_seconds else None,
            "first_errors": self.errors[:5], "first_stale": self.stale[:5],
        }


def word(n: int) -> str:
    """A word no document holds, found by the keyword index as it is."""
    return f"jetonsoak{n:05d}"


def note(n: int, token: str) -> str:
    return (f"---\ntitle: Note de suivi {n}\nkind: note\n---\n# Note de suivi {n}\n\nCette note de suivi du "
            f"quartier porte le mot repère {token}. Elle décrit une réunion du conseil citoyen et le calendrier "
            f"du contrat de ville.\n")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ask(client: Any, question: str) -> dict[str, Any]:
    answer = client.predict(question, api_name="/ask")
    if not isinstance(answer, dict) or "answer" not in answer:
        raise ValueError(f"réponse inattendue : {str(answer)[:80]}")
    return answer


def texts(answer: dict[str, Any]) -> str:
    return " ".join(str(c.get("text", "")) for c in answer.get("citations", []))


class Soak:
    def __init__(self, work: Path, minutes: float, users: int, env: dict[str, str], interval: float) -> None:
        self.work, self.users, self.env, self.interval = work, users, env, interval
        self.corpus, self.data = work / "corpus", work / "data"
        self.deadline = time.monotonic() + minutes * 60
        self.figures = Figures()
        self.alive: dict[int, str] = {}  # note number → its current word
        self.gone: list[str] = []  # words removed or replaced
        self.next = 0

    def ask(self, client: Any, question: str) -> dict[str, Any]:
        """`ask`, sent once more if gradio_client cancelled it: gradio_client 2.7.2 cancels a request sent while
        the stream of the previous one closes, a client fault the server never sees. A second one is an error."""
        try:
            return ask(client, question)
        except concurrent.futures.CancelledError:
            with self.figures.lock:
                self.figures.client_retries += 1
            return ask(client, question)

    def carrefour(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return subprocess.run([CARREFOUR, *args, "--data-dir", str(self.data)], env=self.env, capture_output=True,
                              text=True, timeout=timeout, check=False)

    def ingest(self) -> None:
        started = time.perf_counter()
        done = self.carrefour("ingest", str(self.corpus), "--json")
        took = time.perf_counter() - started
        try:
            report = json.loads(done.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            report = {"error": done.stderr[-300:]}
        with self.figures.lock:
            if report.get("error") or report.get("failed"):
                self.figures.errors.append(f"ingestion : {report.get('error') or report.get('failed')}")
            self.figures.ingestions += 1
            self.figures.ingest_seconds.append(took)
            for key in ("added", "updated", "removed"):
                setattr(self.figures, key, getattr(self.figures, key) + int(report.get(key, 0)))

    def change(self) -> None:
        """Add one note, rewrite one, remove the oldest when more than KEEP are alive."""
        folder = self.corpus / NOTES
        folder.mkdir(exist_ok=True)
        self.next += 1
        self.alive[self.next] = word(self.next * 10)
        (folder / f"note-{self.next:05d}.md").write_text(note(self.next, self.alive[self.next]), encoding="utf-8")
        if len(self.alive) > 2:
            n = sorted(self.alive)[len(self.alive) // 2]
            self.gone.append(self.alive[n])
            self.alive[n] = word(self.next * 10 + 1)
            (folder / f"note-{n:05d}.md").write_text(note(n, self.alive[n]), encoding="utf-8")
        if len(self.alive) > KEEP:
            oldest = min(self.alive)
            self.gone.append(self.alive.pop(oldest))
            (folder / f"note-{oldest:05d}.md").unlink()

    def check(self, client: Any) -> None:
        """Right after an ingestion: the live words are found, the gone ones never come back (at most KEEP + 4
        questions, asked even if the deadline passed during the ingestion)."""
        for token in [*self.alive.values(), *self.gone[-4:]]:
            try:
                found = token in texts(self.ask(client, f"Que dit la note qui porte le mot repère {token} ?"))
            except Exception as exc:  # noqa: BLE001 — counted, the soak goes on
                with self.figures.lock:
                    self.figures.errors.append(f"vérification {token} : {exc}")
                continue
            expected = token in self.alive.values()
            with self.figures.lock:
                self.figures.checks += 1
                if found != expected:
                    self.figures.stale.append(f"{token} {'absent' if expected else 'encore présent'}")

    def writer(self, url: str) -> None:
        from gradio_client import Client

        client = Client(url, verbose=False)
        while time.monotonic() + self.interval < self.deadline:
            self.change()
            self.ingest()
            self.check(client)
            time.sleep(min(self.interval, max(0.0, self.deadline - time.monotonic())))

    def user(self, url: str, number: int) -> None:
        from gradio_client import Client

        try:
            client = Client(url, verbose=False)
        except Exception as exc:  # noqa: BLE001
            with self.figures.lock:
                self.figures.errors.append(f"utilisateur {number} : connexion impossible ({exc})")
            return
        i = number
        while time.monotonic() < self.deadline:
            question = QUESTIONS[i % len(QUESTIONS)]
            i += 1
            started = time.perf_counter()
            try:
                self.ask(client, question)
            except Exception as exc:  # noqa: BLE001
                with self.figures.lock:
                    self.figures.questions += 1
                    self.figures.errors.append(f"utilisateur {number}, « {question} » : {exc}")
                continue
            with self.figures.lock:
                self.figures.questions += 1
                self.figures.latencies.append(time.perf_counter() - started)


def wait_for(url: str, server: subprocess.Popen[bytes], log: Path, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            tail = log.read_text(encoding="utf-8", errors="replace")[-500:]
            raise RuntimeError(f"le serveur s'est arrêté : {tail}")
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("le serveur n'a pas démarré à temps")


def run(minutes: float, users: int, embedder: str, interval: float, keep: bool) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="carrefour-soak-"))
    env = {**os.environ, "CARREFOUR_EMBEDDER": embedder, "CARREFOUR_CORPUS_DIR": str(work / "corpus"),
           "CARREFOUR_OCR": "false", "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    env.pop("CARREFOUR_CHROMA_URL", None)
    env.pop("CARREFOUR_ADMIN_PASSWORD", None)
    shutil.copytree(PROJECT_CORPUS, work / "corpus")
    soak = Soak(work, minutes, users, env, interval)
    server: subprocess.Popen[bytes] | None = None
    log = (work / "serve.log").open("wb")  # a file, not a pipe nobody reads: a full pipe would block the server
    try:
        print("Indexation initiale du corpus copié…", file=sys.stderr, flush=True)
        soak.change()
        soak.ingest()
        soak.figures = Figures()  # the figures count what happens under load only
        port = free_port()
        url = f"http://127.0.0.1:{port}/"
        server = subprocess.Popen([CARREFOUR, "serve", "--host", "127.0.0.1", "--port", str(port), "--data-dir",
                                   str(soak.data)], env=env, stdout=subprocess.DEVNULL, stderr=log,
                                  start_new_session=True)
        wait_for(url, server, work / "serve.log")
        soak.deadline = time.monotonic() + minutes * 60
        print(f"Chat sur {url} : {users} utilisateurs et une ingestion toutes les {interval:.0f} s pendant "
              f"{minutes:g} min…", file=sys.stderr, flush=True)
        threads = [threading.Thread(target=soak.user, args=(url, n), daemon=True) for n in range(users)]
        threads.append(threading.Thread(target=soak.writer, args=(url,), daemon=True))
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=max(1.0, soak.deadline - time.monotonic() + 120))
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)  # its own session: the server and nothing else
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(timeout=30)
        log.close()
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    return soak.figures.to_json(minutes, users, embedder)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ui.soak", description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="durée sous charge (défaut 10)")
    parser.add_argument("--users", type=int, default=4, help="utilisateurs simultanés (défaut 4)")
    parser.add_argument("--embedder", default="hash",
                        help="modèle d'embeddings (défaut hash : la fiabilité, pas la qualité, est mesurée ici)")
    parser.add_argument("--interval", type=float, default=5.0, help="secondes entre deux ingestions (défaut 5)")
    parser.add_argument("--keep", action="store_true", help="garder le dossier temporaire (diagnostic)")
    parser.add_argument("--json", action="store_true", help="résultat en une ligne JSON sur la sortie standard")
    args = parser.parse_args(argv)
    figures = run(args.minutes, args.users, args.embedder, args.interval, args.keep)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    else:
        for line in figures["first_errors"] + figures["first_stale"]:
            print(f"PROBLÈME  {line}")
        print(f"{figures['minutes']:g} min, {figures['users']} utilisateurs ({figures['embedder']}) : "
              f"{figures['questions']} questions, {figures['answered']} réponses, {figures['errors']} erreur(s), "
              f"p50 {figures['p50_s']} s, p95 {figures['p95_s']} s ; {figures['ingestions']} ingestions "
              f"({figures['files_added']} ajouts, {figures['files_updated']} mises à jour, "
              f"{figures['files_removed']} retraits, p50 {figures['ingest_p50_s']} s) ; "
              f"{figures['freshness_checks']} vérifications de fraîcheur, {figures['stale']} réponse(s) périmée(s) ; "
              f"{figures['client_retries']} requête(s) annulée(s) par gradio_client et relancée(s).")
    return 1 if figures["errors"] or figures["stale"] else 0


if __name__ == "__main__":
    sys.exit(main())
