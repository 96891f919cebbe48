"""The plain table (decision 0037) is, character for character, what rich prints.

Oracle: rich itself, on a console without colour, for generated tables (words longer than
their column, spaces, line breaks, empty cells, titles and captions that wrap) and for the
table of every interactive command.
"""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from typer.testing import CliRunner

from critmin.cli import output
from critmin.cli.main import app
from critmin.cli.plaintable import _SAFE_EXTRA, plain_table

runner = CliRunner()


def rich_text(
    heads: list[str],
    rows: list[list[str]],
    widths: list[int],
    right: list[bool],
    title: str | None,
    caption: str | None,
    width: int,
) -> str:
    """The table as :func:`critmin.cli.output.render` has rich print it, without colour."""
    buf = io.StringIO()
    console = Console(file=buf, width=width, color_system=None, force_terminal=False)
    table = Table(title=title, caption=caption, caption_justify="left")
    for h, w, r in zip(heads, widths, right, strict=True):
        table.add_column(h, justify="right" if r else "left", overflow="fold", width=w)
    for row in rows:
        table.add_row(*row)
    console.print(table)
    return buf.getvalue()


def test_the_extra_safe_characters_are_one_cell_wide() -> None:
    assert all(cell_len(c) == 1 for c in _SAFE_EXTRA)


WORD = st.text(alphabet="abcXYZ019,.()%-→—…é", min_size=1, max_size=14)
TEXT = st.lists(st.tuples(WORD, st.sampled_from([" ", "  ", "\n", " \n", ""])), max_size=5).map(
    lambda parts: "".join(w + s for w, s in parts)
)


@settings(max_examples=300, deadline=None)
@given(
    data=st.data(),
    ncol=st.integers(1, 5),
    nrow=st.integers(1, 4),
    width=st.integers(20, 100),
    title=st.one_of(st.none(), TEXT),
    caption=st.one_of(st.none(), TEXT),
)
def test_generated_tables_equal_rich(
    data: st.DataObject,
    ncol: int,
    nrow: int,
    width: int,
    title: str | None,
    caption: str | None,
) -> None:
    heads = data.draw(st.lists(TEXT, min_size=ncol, max_size=ncol))
    rows = data.draw(
        st.lists(st.lists(TEXT, min_size=ncol, max_size=ncol), min_size=nrow, max_size=nrow)
    )
    widths = data.draw(st.lists(st.integers(1, 20), min_size=ncol, max_size=ncol))
    right = data.draw(st.lists(st.booleans(), min_size=ncol, max_size=ncol))
    mine = plain_table(
        heads, rows, widths, right, title=title, caption=caption, console_width=width
    )
    if sum(widths) + 3 * ncol + 1 <= width:
        assert mine is not None  # the plain path is taken for tables like ours
    if mine is not None:
        assert mine == rich_text(heads, rows, widths, right, title, caption, width)


def test_markup_and_wide_characters_go_to_rich() -> None:
    for cell in ("[bold]x[/]", "a :smile: b", "漢字", "e\u0301", "tab\there"):
        assert plain_table(["h"], [[cell]], [10], [False], title=None, caption=None,
                           console_width=80) is None  # fmt: skip


COMMANDS = [
    ["minerals"],
    ["supply", "gallium", "--stage", "refine", "--year", "2023"],
    ["risk"],
    ["risk", "--ranges"],
    ["risk", "--method", "geopolrisk", "--importer", "USA", "--year", "2022"],
    ["profile", "cobalt"],
    ["demand"],
    ["projects"],
    ["restrictions"],
    ["data", "sources"],
]


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
@pytest.mark.parametrize("columns", ["80", "200", "52"])
def test_every_command_table_equals_rich(
    args: list[str], columns: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", columns)
    plain = runner.invoke(app, args)
    assert plain.exit_code == 0, plain.output
    calls: list[bool] = []
    real = output.plain_table

    def spy(*a: object, **k: object) -> str | None:
        out = real(*a, **k)  # type: ignore[arg-type]
        calls.append(out is not None)
        return out

    monkeypatch.setattr(output, "plain_table", spy)
    again = runner.invoke(app, args)
    assert again.stdout == plain.stdout
    if args != ["data", "sources"]:  # (its URLs and names may need rich: then rich prints)
        assert calls and all(calls)  # every table of these commands takes the plain path
    monkeypatch.setattr(output, "plain_width", lambda: None)
    with_rich = runner.invoke(app, args)
    assert with_rich.exit_code == 0, with_rich.output
    assert plain.stdout == with_rich.stdout


@pytest.mark.parametrize(
    ("env", "plain"),
    [({}, True), ({"COLUMNS": "120"}, True), ({"COLUMNS": "x"}, True),
     ({"FORCE_COLOR": "1"}, False), ({"FORCE_COLOR": ""}, False), ({"TTY_COMPATIBLE": "0"}, True),
     ({"TTY_COMPATIBLE": "1"}, False), ({"TTY_COMPATIBLE": "0", "FORCE_COLOR": "1"}, True),
     ({"NO_COLOR": "1", "COLUMNS": "60"}, True), ({"TERM": "dumb"}, True)],
)  # fmt: skip
def test_plain_width_is_rich_console_width_when_rich_prints_plain(
    env: dict[str, str], plain: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("COLUMNS", "FORCE_COLOR", "TTY_COMPATIBLE", "NO_COLOR", "TERM"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    console = Console()  # on pytest's captured standard output, as render() would make it
    width = output.plain_width()
    # None (rich prints) is always safe; a width only where rich prints plain text.
    assert (width is not None) == plain
    if width is not None:
        assert console.color_system is None and not console.is_terminal
        assert width == console.width
