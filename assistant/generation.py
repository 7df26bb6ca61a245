"""The index's generation stamp: how a running chat learns that an ingestion, in any process, has finished.

The ingestion writes `<data_dir>/keyword/<collection>.generation` last, atomically (a new file renamed into place),
once the store and the keyword index are both up to date. An `Assistant` looks at it before each search: one
`stat`, a few microseconds. A changed file (new inode or new mtime) means "reload the keyword index and reopen the
store"; an ingestion still running has not touched it, so answers keep coming from the previous, complete index.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import uuid
from pathlib import Path

from assistant.settings import Settings
from assistant.stores import collection_name

Token = tuple[int, int, int]  # inode, mtime in ns, size: changes with every rename into place


def keyword_dir(settings: Settings, embedder_id: str) -> Path:
    """The one place that says where the keyword index of an embedder's collection lives."""
    return settings.data_dir / "keyword" / collection_name(embedder_id)


def stamp_path(settings: Settings, embedder_id: str) -> Path:
    return settings.data_dir / "keyword" / f"{collection_name(embedder_id)}.generation"


def token(path: Path) -> Token | None:
    """What identifies the stamp now (None while no ingestion has written one)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


def write_stamp(path: Path, chunks: int) -> None:
    """Replace the stamp in one rename: a reader sees the old one or the new one, never a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {"generation": uuid.uuid4().hex, "chunks": chunks, "written_at": time.time()}
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(body, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_stamp(path: Path) -> dict[str, object] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
