"""An on-disk cache of per-dataset computations, keyed by the hash of what they read.

A result that depends only on data files (the BACI trade table's world totals per HS code and
year, say) is computed once per machine and read back by every later command. The key is the
SHA-256 of the files read plus a name and version of the computation, so a rebuilt dataset or
a changed computation never reads a stale entry. Entries are Parquet files written to a
temporary name in the cache folder and moved into place with :func:`os.replace` (atomic on one
file system), so concurrent writers never leave a half-written entry and readers never see
one. The folder is ``$CRITMIN_CACHE_DIR`` when set (``off`` disables the cache),
else ``$XDG_CACHE_HOME/critmin`` or ``~/.cache/critmin`` — never inside the installed
package. A cache that cannot be written is silently skipped: the result is computed instead.
(docs/decisions/0027-lazy-reads-cache-reduce.md)
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

#: Environment variable naming the cache folder (``off``, ``0`` or ``none`` disable it).
CACHE_ENV = "CRITMIN_CACHE_DIR"
_DISABLED = {"off", "0", "none", "false", "no"}


def cache_dir() -> Path | None:
    """The cache folder, or None when the cache is disabled.

    Examples
    --------
    >>> import os
    >>> old = os.environ.get(CACHE_ENV)
    >>> os.environ[CACHE_ENV] = "off"
    >>> cache_dir() is None
    True
    >>> os.environ[CACHE_ENV] = "/tmp/critmin-cache-example"
    >>> str(cache_dir())
    '/tmp/critmin-cache-example'
    >>> _ = os.environ.pop(CACHE_ENV) if old is None else os.environ.update({CACHE_ENV: old})
    """
    env = os.environ.get(CACHE_ENV)
    if env is not None:
        return None if env.strip().lower() in _DISABLED or not env.strip() else Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "critmin"


@cache
def _file_hash(path: str, size: int, mtime_ns: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def file_hash(path: Path) -> str:
    """SHA-256 of a file (memoised per process by path, size and modification time)."""
    st = path.stat()
    return _file_hash(str(path), st.st_size, st.st_mtime_ns)


def cached_frame(
    name: str, inputs: list[Path], compute: Callable[[], pd.DataFrame], *, version: str = "1"
) -> pd.DataFrame:
    """``compute()``, or its result stored on disk for the same input files and version.

    Parameters
    ----------
    name
        What is computed (part of the file name: letters, digits, ``_`` and ``-``).
    inputs
        The files the result depends on; their SHA-256 are the key.
    compute
        Makes the frame (its columns must be Parquet-storable).
    version
        Bumped when the computation changes, so older entries are not read.

    Examples
    --------
    >>> import os, tempfile
    >>> from pathlib import Path
    >>> tmp = Path(tempfile.mkdtemp()); src = tmp / "in.txt"; _ = src.write_text("x")
    >>> os.environ[CACHE_ENV] = str(tmp / "cache")
    >>> calls = []
    >>> def f():
    ...     calls.append(1)
    ...     return pd.DataFrame({"a": [1, 2]})
    >>> cached_frame("example", [src], f).a.tolist(), cached_frame("example", [src], f).a.tolist()
    ([1, 2], [1, 2])
    >>> len(calls)
    1
    >>> del os.environ[CACHE_ENV]
    """
    folder = cache_dir()
    if folder is None:
        return compute()
    key = hashlib.sha256(
        "\n".join([name, version, *(file_hash(p) for p in inputs)]).encode()
    ).hexdigest()[:32]
    path = folder / f"{name}-{key}.parquet"
    if path.is_file():
        try:
            return pd.read_parquet(path)
        except Exception:  # a damaged entry is recomputed, never fatal
            pass
    df = compute()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{name}-", suffix=".tmp", dir=folder)
        os.close(fd)
        try:
            df.to_parquet(tmp, index=False)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError:
        pass  # a read-only or full disk: the result is still correct, only not kept
    return df


def cached_file(
    name: str, inputs: list[Path], write: Callable[[Path], None], *, version: str = "1"
) -> Path | None:
    """The path of a cache entry that ``write(path)`` makes once per input hashes and version.

    None when the cache is disabled or cannot be written (the caller then reads its inputs
    directly). ``write`` gets a temporary path in the cache folder; it is moved into place
    atomically.
    """
    folder = cache_dir()
    if folder is None:
        return None
    key = hashlib.sha256(
        "\n".join([name, version, *(file_hash(p) for p in inputs)]).encode()
    ).hexdigest()[:32]
    path = folder / f"{name}-{key}.parquet"
    if path.is_file():
        return path
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{name}-", suffix=".tmp", dir=folder)
        os.close(fd)
        try:
            write(Path(tmp))
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError:
        return None
    return path


#: Package files whose change invalidates stored results (code and package data).
_CODE_SUFFIXES = (".py", ".csv", ".yaml", ".yml", ".json", ".md")


@cache
def code_fingerprint() -> str:
    """A digest of critmin's own files (path, size, modification time; the embedded dataset
    excluded): a stored result is never read by other code than the code that made it."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in ("__pycache__", "embedded"))
        for f in sorted(filenames):
            if f.endswith(_CODE_SUFFIXES):
                st = os.stat(os.path.join(dirpath, f))
                h.update(f"{dirpath}/{f}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def cached_value(name: str, key: object, inputs: Sequence[Path], compute: Callable[[], Any]) -> Any:
    """``compute()``, or its value stored on disk for the same key, inputs and code.

    The key is ``repr(key)`` (plain values: strings, numbers, dates, tuples), the SHA-256 of
    the ``inputs`` and :func:`code_fingerprint`. Values are pickled into the user's own cache
    folder (as trusted as the user's home) and read back exactly — frames keep their dtypes,
    so a stored answer is the computed one bit for bit. Exceptions are not stored.
    """
    folder = cache_dir()
    if folder is None:
        return compute()
    digest = hashlib.sha256(
        "\n".join([name, repr(key), code_fingerprint(), *(file_hash(p) for p in inputs)]).encode()
    ).hexdigest()[:32]
    path = folder / f"{name}-{digest}.pickle"
    if path.is_file():
        try:
            with open(path, "rb") as f:
                return pickle.load(f)
        except Exception:  # a damaged or unreadable entry is recomputed, never fatal
            pass
    value = compute()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{name}-", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "wb") as f:
                pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        pass  # unstorable or a read-only disk: the value is still right, only not kept
    return value
