"""YAML input files read safely, validated with pydantic, errors with their line and field."""

from __future__ import annotations

import re
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
    data, node = compose_checked(text, file)
    return data, key_lines(node)


def compose_checked(text: str, file: str) -> tuple[Any, yaml.Node | None]:
    """The document and its composed node, after :func:`check_budget` (safe loader only)."""
    try:
        # The reader checks the characters as the loader is made (a control character).
        loader = _Loader(text)
    except yaml.YAMLError as exc:
        raise _malformed(file, exc) from exc
    try:
        try:
            node = loader.get_single_node()
        except RecursionError:
            raise _too_deep(file, None) from None
        except yaml.YAMLError as exc:
            raise _malformed(file, exc) from exc
        if node is None:
            return None, None
        check_budget(node, file)
        try:
            data = loader.construct_document(node)
        except yaml.YAMLError as exc:
            raise _malformed(file, exc) from exc
    finally:
        loader.dispose()
    return data, node


class _Loader(yaml.SafeLoader):
    """The safe loader, with an impossible date (2024-02-30) a YAML error at its line."""


def _timestamp(loader: yaml.SafeLoader, node: yaml.Node) -> object:
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)  # type: ignore[arg-type]
    except (ValueError, OverflowError) as e:
        raise yaml.constructor.ConstructorError(
            None, None, f"a real date, not {node.value!r} ({e})", node.start_mark
        ) from None


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)
#: Control characters a text may not hold once escapes are resolved ("\0" in quotes).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

#: Limits of an input document: more aliases, deeper nesting or more nodes once aliases are
#: expanded are refused before anything is built ("billion laughs": a few hundred bytes of
#: nested aliases expand to billions of nodes).
MAX_ALIASES = 100
MAX_DEPTH = 50
MAX_NODES = 200_000


def _malformed(file: str, exc: yaml.YAMLError) -> DataError:
    mark = getattr(exc, "problem_mark", None)
    line = mark.line + 1 if mark is not None else None
    return DataError([Problem(file, line, None, "well-formed YAML", str(exc))])


def _refused(file: str, n: yaml.Node | None, expected: str, got: str) -> DataError:
    line = n.start_mark.line + 1 if n is not None else None
    return DataError([Problem(file, line, None, expected, got)])


def _too_deep(file: str, n: yaml.Node | None) -> DataError:
    return _refused(file, n, f"YAML nested at most {MAX_DEPTH} levels deep", "deeper")


def check_budget(root: yaml.Node, file: str) -> None:
    """Refuse a composed document over the budgets, or with a key given twice in a mapping.

    Sizes are counted per distinct node (memoised), so a document of nested aliases is
    measured in time linear in its text, never by expanding it.

    Raises
    ------
    DataError
        A recursive alias, more than :data:`MAX_ALIASES` aliases, nesting deeper than
        :data:`MAX_DEPTH`, more than :data:`MAX_NODES` nodes once expanded, or a duplicate key
        (with the line of its second occurrence).

    Examples
    --------
    >>> parse_yaml("a: 1\\na: 2\\n", "s.yaml")
    Traceback (most recent call last):
    ...
    critmin.data.errors.DataError: s.yaml, row 2, field 'a': expected each key once ...
    """
    sizes: dict[int, int] = {}
    depths: dict[int, int] = {}
    seen_twice = 0
    active: set[int] = set()
    problems: list[Problem] = []

    def children(n: yaml.Node) -> list[yaml.Node]:
        if isinstance(n, yaml.MappingNode):
            return [x for kv in n.value for x in kv]
        if isinstance(n, yaml.SequenceNode):
            return list(n.value)
        return []

    def walk(n: yaml.Node, level: int) -> int:
        nonlocal seen_twice
        key = id(n)
        if key in active:
            raise _refused(file, n, "no recursive alias", "an alias inside its own anchor")
        if key in sizes:
            seen_twice += 1  # an alias (or a shared node): counted, not walked again
            if seen_twice > MAX_ALIASES:
                raise _refused(file, n, f"at most {MAX_ALIASES} aliases", "more")
            if level + depths[key] > MAX_DEPTH:
                raise _too_deep(file, n)
            return sizes[key]
        if level > MAX_DEPTH:
            raise _too_deep(file, n)
        if isinstance(n, yaml.ScalarNode) and _CONTROL.search(str(n.value)):
            problems.append(
                Problem(
                    file,
                    n.start_mark.line + 1,
                    None,
                    "text without control characters",
                    repr(n.value)[:80],
                )
            )
        active.add(key)
        if isinstance(n, yaml.MappingNode):
            names: set[object] = set()
            for k, _ in n.value:
                if isinstance(k, yaml.ScalarNode):
                    if k.value in names:
                        problems.append(Problem(file, k.start_mark.line + 1, str(k.value),
                                                "each key once in a mapping",
                                                "the key again"))  # fmt: skip
                    names.add(k.value)
        total, deepest = 1, 0
        for c in children(n):
            total += walk(c, level + 1)
            deepest = max(deepest, depths[id(c)] + 1)
            if total > MAX_NODES:
                raise _refused(file, n, f"at most {MAX_NODES:,} YAML nodes once aliases are "
                               "expanded", "more")  # fmt: skip
        active.discard(key)
        sizes[key], depths[key] = total, deepest
        return total

    walk(root, 0)
    if problems:
        raise DataError(problems)


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
