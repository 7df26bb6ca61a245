"""Helpers of the reliability suite: the `carrefour` command run in another process, as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.ui.conftest import ui_assistant, ui_settings  # noqa: F401 — fixtures shared with tests/ui

CARREFOUR = str(Path(sys.executable).parent / "carrefour")


def carrefour(*args: str | Path, data: Path, env: dict[str, str] | None = None,
              timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`carrefour ARGS --data-dir DATA` in a new process, hash embedder, small passages."""
    full = {**os.environ, "CARREFOUR_EMBEDDER": "hash", "CARREFOUR_CHUNK_SIZE": "400",
            "CARREFOUR_CHUNK_OVERLAP": "60", **(env or {})}
    return subprocess.run([CARREFOUR, *map(str, args), "--data-dir", str(data)], env=full, capture_output=True,
                          text=True, timeout=timeout, check=False)


def ingest_json(*args: str | Path, data: Path, env: dict[str, str] | None = None) -> tuple[int, dict[str, object]]:
    """Exit code and the `--json` report of `carrefour ingest ARGS`; the report must be one JSON line."""
    done = carrefour("ingest", *args, "--json", data=data, env=env)
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1, f"une ligne JSON attendue, reçu {done.stdout!r} (stderr {done.stderr[-2000:]!r})"
    return done.returncode, json.loads(lines[0])
