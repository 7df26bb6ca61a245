"""Which files of a root are ingested: hidden files skipped, `.carrefourignore` and --exclude honoured."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pathspec

IGNORE_FILE = ".carrefourignore"
SIDECAR_SUFFIX = ".meta.toml"


@dataclass(frozen=True)
class Target:
    """A root to ingest; `only` limits it to some files (PATH given as a file), and then nothing
    else under the root is considered removed."""

    root: Path
    only: frozenset[str] | None = None


def targets(paths: Iterable[Path]) -> list[Target]:
    out: dict[Path, set[str] | None] = {}
    for p in paths:
        p = p.resolve()
        if p.is_dir():
            out[p] = None
        else:
            files = out.setdefault(p.parent, set())
            if files is not None:
                files.add(p.name)
    return [Target(root, None if only is None else frozenset(only)) for root, only in out.items()]


def ignore_spec(root: Path, excludes: Iterable[str]) -> pathspec.PathSpec:
    lines = list(excludes)
    ignore = root / IGNORE_FILE
    if ignore.is_file():
        lines += ignore.read_text(encoding="utf-8", errors="replace").splitlines()
    return pathspec.GitIgnoreSpec.from_lines(lines)


def walk(target: Target, excludes: Iterable[str] = ()) -> Iterator[tuple[Path, str]]:
    """Yield (absolute path, POSIX path relative to the root), sorted, for every candidate document."""
    root = target.root
    spec = ignore_spec(root, excludes)
    if target.only is not None:
        for name in sorted(target.only):
            if not spec.match_file(name):
                yield root / name, name
        return
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = Path(dirpath).relative_to(root).as_posix()
        prefix = "" if rel_dir == "." else rel_dir + "/"
        dirnames[:] = sorted(
            d for d in dirnames if not d.startswith(".") and not spec.match_file(prefix + d + "/")
        )
        for name in sorted(filenames):
            rel = prefix + name
            if name.startswith(".") or name.endswith(SIDECAR_SUFFIX) or spec.match_file(rel):
                continue
            yield Path(dirpath) / name, rel
