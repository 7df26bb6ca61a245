"""Which files of a root are ingested: hidden files skipped, `.carrefourignore` and --exclude honoured."""

from __future__ import annotations

import os
import stat
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


@dataclass(frozen=True)
class Skipped:
    """Something under a root that is not ingested, and why (French, without the path). `folder`: an
    unreadable folder, whose documents already indexed must be kept, not taken for removed."""

    rel: str
    reason: str
    folder: bool = False


LINK_BROKEN = "lien symbolique cassé (sa cible n'existe pas) : ignoré"
LINK_OUTSIDE = ("lien symbolique vers un fichier hors du dossier indexé : ignoré ; copiez le fichier dans le "
                "dossier pour l'indexer")
NOT_A_FILE = "ni un fichier ni un dossier (tube nommé, périphérique ou socket) : ignoré"
FOLDER_UNREADABLE = ("dossier illisible ({reason}) : ses documents déjà indexés sont gardés tels quels ; "
                     "rendez-le lisible pour les mettre à jour")


def regular_file(path: Path, root: Path) -> str | None:
    """None when `path` is a regular file inside `root` (a symlink is judged by what it points to), else why
    it is skipped. Never opens the file: opening a named pipe would wait forever."""
    try:
        st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode):
            real = path.resolve(strict=True)
            if not real.is_relative_to(root.resolve()):
                return LINK_OUTSIDE
            st = os.stat(real)
    except (OSError, RuntimeError):  # RuntimeError: a loop of links
        return LINK_BROKEN
    return None if stat.S_ISREG(st.st_mode) else NOT_A_FILE


def walk(target: Target, excludes: Iterable[str] = (), skipped: list[Skipped] | None = None
         ) -> Iterator[tuple[Path, str]]:
    """Yield (absolute path, POSIX path relative to the root), sorted, for every candidate document;
    what is left out for a reason the user should know goes into `skipped`."""
    root = target.root
    spec = ignore_spec(root, excludes)
    skipped = [] if skipped is None else skipped

    def candidate(path: Path, rel: str) -> bool:
        reason = regular_file(path, root)
        if reason:
            skipped.append(Skipped(rel, reason))
        return reason is None

    if target.only is not None:
        for name in sorted(target.only):
            if not spec.match_file(name) and candidate(root / name, name):
                yield root / name, name
        return

    def unreadable(error: OSError) -> None:
        rel = Path(error.filename).relative_to(root).as_posix() if error.filename else "."
        skipped.append(Skipped(rel, FOLDER_UNREADABLE.format(reason=error.strerror or error), folder=True))

    for dirpath, dirnames, filenames in os.walk(root, onerror=unreadable):
        rel_dir = Path(dirpath).relative_to(root).as_posix()
        prefix = "" if rel_dir == "." else rel_dir + "/"
        dirnames[:] = sorted(
            d for d in dirnames if not d.startswith(".") and not spec.match_file(prefix + d + "/")
        )
        for name in sorted(filenames):
            rel = prefix + name
            if name.startswith(".") or name.endswith(SIDECAR_SUFFIX) or spec.match_file(rel):
                continue
            if candidate(Path(dirpath) / name, rel):
                yield Path(dirpath) / name, rel


def kept_by(skipped: Iterable[Skipped], rel: str) -> bool:
    """True when `rel` lies under a folder that could not be read (then its index entry stays)."""
    for s in skipped:
        if s.folder and (s.rel == "." or rel == s.rel or rel.startswith(s.rel + "/")):
            return True
    return False
