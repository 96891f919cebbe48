"""The terminal table as plain text, the same characters rich prints without colour (0037).

When standard output is not a terminal (a pipe, a file, a test), rich prints our tables
without styles; laying them out cell by cell through its renderables took up to 0.15 s of a
command (``critmin demand``: 312 lines). :func:`plain_table` prints the same text directly
for the tables :func:`critmin.cli.output.render` makes: the heavy-headed box, one space of
padding, fixed column widths, cells wrapped at spaces and folded when a word is longer than
the column (rich's own word-splitting rule, ``rich._wrap.divide_line``), the header
bottom-aligned and the rows top-aligned, a centred title and a left-justified caption over
the table's width. It answers ``None`` — and rich is used — whenever the text could differ:
characters that are not one cell wide, anything rich would read as markup or an emoji code,
a table wider than the console. ``tests/cli/test_plaintable.py`` compares it with rich on
every command's table and on generated ones.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import pairwise

#: Characters besides printable ASCII that are one cell wide everywhere (checked against
#: rich's cell widths in the tests). Anything else goes through rich.
_SAFE_EXTRA = frozenset("—–→←…’‘“”•·≤≥×≈−±°µé₂₃²³%…½¼¾€£¥§¶°")
_ASCII = re.compile(r"[ -~\n]*")
#: What rich reads as markup (``[bold]``) or an emoji code (``:smile:``).
_MARKUP = re.compile(r"\[|:\S*?:")
#: rich's word: leading space, non-space, trailing space (``rich._wrap.re_word``).
_WORD = re.compile(r"\s*\S+\s*")
_TRAILING_SPACE = re.compile(r"\s+$")


def _safe(text: str) -> bool:
    if _MARKUP.search(text):
        return False
    if _ASCII.fullmatch(text):
        return True
    return all((" " <= c <= "~") or c == "\n" or c in _SAFE_EXTRA for c in text)


def _divide(text: str, width: int) -> list[int]:
    """Where rich breaks ``text`` into lines of ``width`` cells (fold overflow)."""
    breaks: list[int] = []
    offset = 0
    for m in _WORD.finditer(text):
        start, word = m.start(), m.group(0)
        length = len(word.rstrip())
        if width - offset >= length:
            offset += len(word)
        elif length > width:
            chunks = [word[i : i + width] for i in range(0, len(word), width)]
            for k, chunk in enumerate(chunks):
                if start:
                    breaks.append(start)
                if k == len(chunks) - 1:
                    offset = len(chunk)
                else:
                    start += len(chunk)
        elif offset and start:
            breaks.append(start)
            offset = len(word)
    return breaks


def _wrap(text: str, width: int, justify: str) -> list[str]:
    """``text`` as rich's ``Text.wrap`` lays it out in ``width`` cells (fold overflow), each
    line padded to ``width``."""
    out: list[str] = []
    for para in text.split("\n"):
        cuts = [0, *_divide(para, width), len(para)]
        for a, b in pairwise(cuts):
            line = para[a:b]
            if len(line) > width:  # rich's rstrip_end
                m = _TRAILING_SPACE.search(line)
                if m is not None:
                    line = line[: len(line) - min(len(m.group(0)), len(line) - width)]
            if justify == "left":
                line = line[:width].ljust(width)
            elif justify == "right":
                line = line.rstrip()[:width]
                line = " " * (width - len(line)) + line
            else:  # centre
                line = line.rstrip()[:width]
                left = (width - len(line)) // 2
                line = (" " * left + line).ljust(width)
            out.append(line[:width])
    return out


def plain_table(
    heads: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths: Sequence[int],
    right: Sequence[bool],
    *,
    title: str | None,
    caption: str | None,
    console_width: int,
) -> str | None:
    """The table's text as rich prints it without colour, or ``None`` if that is not
    certain (then rich must print it).

    Examples
    --------
    >>> print(plain_table(["a", "n"], [["x y", "1"]], [3, 2], [False, True], title="T",
    ...                   caption=None, console_width=80), end="")
          T
    ┏━━━━━┳━━━━┓
    ┃ a   ┃  n ┃
    ┡━━━━━╇━━━━┩
    │ x y │  1 │
    └─────┴────┘
    """
    if not heads or not rows:
        return None
    texts = [*heads, *(c for r in rows for c in r), title or "", caption or ""]
    if not all(_safe(t) for t in texts) or any("\t" in t or "\r" in t for t in texts):
        return None
    if any(w < 1 for w in widths):
        return None
    table_width = sum(widths) + 3 * len(widths) + 1
    if table_width > console_width:
        return None
    lines: list[str] = []
    if title:
        lines += _wrap(title, table_width, "center")
    lines.append("┏" + "┳".join("━" * (w + 2) for w in widths) + "┓")

    def row(cells: Sequence[str], left: str, mid: str, end: str, bottom: bool) -> None:
        wrapped = [
            _wrap(c, w, "right" if r else "left")
            for c, w, r in zip(cells, widths, right, strict=True)
        ]
        height = max(len(c) for c in wrapped)
        for c, w in zip(wrapped, widths, strict=True):
            blank = [" " * w] * (height - len(c))
            c[:] = blank + c if bottom else c + blank
        for i in range(height):
            lines.append(left + mid.join(f" {c[i]} " for c in wrapped) + end)

    row(heads, "┃", "┃", "┃", True)
    lines.append("┡" + "╇".join("━" * (w + 2) for w in widths) + "┩")
    for r in rows:
        row(r, "│", "│", "│", False)
    lines.append("└" + "┴".join("─" * (w + 2) for w in widths) + "┘")
    if caption:
        lines += _wrap(caption, table_width, "left")
    return "\n".join(lines) + "\n"
