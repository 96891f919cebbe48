"""YAML input files read safely, validated with pydantic, errors with their line and field."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from critmin.data.errors import DataError, Problem

M = TypeVar("M", bound=BaseModel)
Lines = dict[tuple[Any, ...], int]


def key_lines(node: yaml.Node | None) -> Lines:
    """1-based line of every mapping key / sequence item path in a composed YAML node."""
    out: Lines = {}

    def walk(n: yaml.Node, path: tuple[Any, ...]) -> None:
        out[path] = n.start_mark.line + 1
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                key: Any = k.value
                if isinstance(key, str) and key.lstrip("-").isdigit():
                    key = int(key)
                walk(v, (*path, key))
                out[(*path, key)] = k.start_mark.line + 1
        elif isinstance(n, yaml.SequenceNode):
            for i, v in enumerate(n.value):
                walk(v, (*path, i))

    if node is not None:
        walk(node, ())
    return out


def read_yaml(path: Path) -> tuple[Any, Lines]:
    """The parsed document (``yaml.safe_load``) and the line of every key path.

    Raises
    ------
    DataError
        A missing file, or malformed YAML with the line of the error.
    """
    file = str(path)
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError as exc:
        raise DataError([Problem(file, None, None, "an existing file")]) from exc
    except IsADirectoryError as exc:
        raise DataError([Problem(file, None, None, "a file, not a folder")]) from exc
    except UnicodeDecodeError as exc:
        raise DataError([Problem(file, None, None, "UTF-8 text", str(exc))]) from exc
    return parse_yaml(text, file)


def parse_yaml(text: str, file: str) -> tuple[Any, Lines]:
    """Parse YAML ``text`` (a file's or a request body's) safely, with the line of every key.

    ``file`` names the text in problems. This is the one YAML parser of critmin's inputs:
    files (:func:`read_yaml`) and request bodies go through it alike.

    Raises
    ------
    DataError
        Malformed YAML, with the line of the error.

    Examples
    --------
    >>> data, lines = parse_yaml("name: t\\nhorizon: {start: 2025}\\n", "s.yaml")
    >>> data["horizon"], lines[("horizon",)]
    ({'start': 2025}, 2)
    """
    try:
        data = yaml.safe_load(text)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise DataError([Problem(file, line, None, "well-formed YAML", str(exc))]) from exc
    return data, key_lines(node)


def line_of(lines: Lines, loc: tuple[Any, ...]) -> int | None:
    """The line of the deepest key path of ``loc`` that the document has.

    Names that pydantic inserts but the YAML does not have (the tag of a discriminated
    union, ``events.0.outage.mineral``) are skipped.
    """
    path: tuple[Any, ...] = ()
    for el in loc:
        if (*path, el) in lines:
            path = (*path, el)
        elif isinstance(el, str):
            continue
        else:
            break
    return lines.get(path)


def validate_model(
    model: type[M], data: Any, file: str, lines: Lines, prefix: tuple[Any, ...] = ()
) -> M:
    """``model.model_validate(data)`` with every error turned into a file/line/field problem.

    Examples
    --------
    >>> from pydantic import BaseModel
    >>> class P(BaseModel):
    ...     n: int
    >>> validate_model(P, {"n": "x"}, "p.yaml", {("n",): 3})
    Traceback (most recent call last):
    ...
    critmin.data.errors.DataError: p.yaml, row 3, field 'n': expected Input should be a valid ...
    """
    if not isinstance(data, dict):
        raise DataError([Problem(file, line_of(lines, prefix), None, "a YAML mapping of fields")])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for e in exc.errors():
            loc = (*prefix, *e["loc"])
            got = e.get("input", "")
            problems.append(
                Problem(file, line_of(lines, loc), ".".join(str(x) for x in e["loc"]) or None,
                        e["msg"], "" if isinstance(got, dict | list) else str(got))
            )  # fmt: skip
        raise DataError(problems) from exc
