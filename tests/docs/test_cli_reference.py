"""docs/cli.md is generated from the Typer app by docs/gen_cli.py and must not go stale."""

from __future__ import annotations

import runpy
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_cli_reference_is_current(tmp_path: Path) -> None:
    gen = runpy.run_path(str(ROOT / "docs" / "gen_cli.py"), run_name="gen_cli")
    out = gen["main"]([str(tmp_path / "cli.md")])
    fresh = out.read_text(encoding="utf-8")
    committed = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert fresh == committed, (
        "docs/cli.md is stale: a command or option changed. "
        "Regenerate it with `.venv/bin/python docs/gen_cli.py`."
    )


def test_cli_reference_lists_every_command() -> None:
    import typer

    from critmin.cli.main import app

    page = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    root = typer.main.get_command(app)
    for name, cmd in root.commands.items():
        assert f"`critmin {name}`" in page
        for sub in getattr(cmd, "commands", {}) or {}:
            assert f"`critmin {name} {sub}`" in page
