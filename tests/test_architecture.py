"""The floors: `assistant/` (the core) imports nothing from `ingest/`, `ui/` or `evals/`, not even inside a
function; the command line lives on the top floor, and its choice lists are the core's."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ABOVE = ("ingest", "ui", "evals")


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_the_core_imports_nothing_above_it() -> None:
    offenders = {
        str(path.relative_to(REPO)): sorted(m for m in imported_modules(path) if m.split(".")[0] in ABOVE)
        for path in sorted((REPO / "assistant").rglob("*.py"))
    }
    assert {p: m for p, m in offenders.items() if m} == {}


def test_the_command_line_is_on_the_top_floor() -> None:
    assert not (REPO / "assistant" / "cli.py").exists()
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert 'carrefour = "ui.cli:main"' in pyproject


def test_the_cli_choice_lists_are_the_core_ones() -> None:
    from assistant.retrieve import MODES
    from assistant.settings import ChatMode
    from ui import cli

    assert cli.MODES == MODES
    assert cli.ANSWER_MODES == tuple(ChatMode)
