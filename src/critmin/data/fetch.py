"""Download a named data release into the raw-data folder, checked against recorded checksums.

The releases critmin knows are package data (``reference/releases.yaml``): per release and
edition the folder it goes to under the raw-data root (the layout ``critmin data build``
reads), a URL template and, per file, the SHA-256, MD5 and size it must have. A download
is accepted only when every recorded check passes.

Writing is atomic for the whole release: every file is downloaded into a temporary folder
beside the target and checked there; only when all files have passed are they moved into
place (one ``os.replace`` per file). A failure — offline, an HTTP error, a checksum or size
that does not match — leaves the raw folder as it was and raises :class:`FetchError` with
a one-line message. Files already present with the recorded checksums are not downloaded
again.

Only the standard library is used (``urllib.request``), so proxies set in the environment
(``https_proxy`` …) apply.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import shutil
import socket
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from critmin.data.yamlfile import read_yaml, validate_model

#: Seconds to wait for a connection or for the next bytes of a response.
DEFAULT_TIMEOUT = 60.0
CHUNK = 1 << 16
USER_AGENT = "critmin-data-fetch (+https://github.com/critmin)"


class FetchError(Exception):
    """A release that could not be fetched; ``str`` is one line for the user.

    ``code`` is the exit status the CLI uses: 2 for a release or edition critmin does not
    know (a usage error), 1 for everything that went wrong on the way (offline, HTTP error,
    checksum or size mismatch, a folder that cannot be written).
    """

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


class ReleaseFile(BaseModel):
    """One file of a release and what it must match."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, pattern=r"^[^/\\]+$")
    size: int | None = Field(default=None, ge=0)
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    md5: str | None = Field(default=None, pattern=r"^[0-9a-f]{32}$")

    @model_validator(mode="after")
    def _checked(self) -> ReleaseFile:
        if self.size is None and self.sha256 is None and self.md5 is None:
            raise ValueError("a file needs at least one of sha256, md5 or size")
        return self


class Edition(BaseModel):
    """One edition of a release: where it goes, where it comes from, what it holds."""

    model_config = ConfigDict(extra="forbid")

    folder: str = Field(min_length=1, pattern=r"^[^/\\]+$")
    url: str = Field(min_length=1)
    citation: str
    doi: str | None = None
    licence: str | None = None
    note: str | None = None
    files: list[ReleaseFile] = Field(min_length=1)


class Release(BaseModel):
    """A named release (``usgs-mcs``, ``wgi``) and its editions by year."""

    model_config = ConfigDict(extra="forbid")

    title: str
    editions: dict[int, Edition] = Field(min_length=1)


class Registry(BaseModel):
    """Every release ``critmin data fetch`` can download."""

    model_config = ConfigDict(extra="forbid")

    releases: dict[str, Release]


def default_registry_path() -> Path:
    """The registry shipped with critmin."""
    return Path(str(resources.files("critmin.data") / "reference" / "releases.yaml"))


def read_registry(path: Path | None = None) -> Registry:
    """Read and validate a release registry (the shipped one by default).

    Raises
    ------
    DataError
        For a field missing or of the wrong form, with the file, line and field.

    Examples
    --------
    >>> reg = read_registry()
    >>> sorted(reg.releases), sorted(reg.releases["usgs-mcs"].editions)
    (['usgs-mcs', 'wgi'], [2026])
    >>> reg.releases["usgs-mcs"].editions[2026].files[0].size
    3189010
    """
    path = path or default_registry_path()
    data, lines = read_yaml(path)
    return validate_model(Registry, data, path.name, lines)


def edition(registry: Registry, name: str, year: int | None = None) -> tuple[int, Edition]:
    """The edition of release ``name`` for ``year`` (the newest recorded one by default).

    Raises
    ------
    FetchError
        (code 2) for a release or year the registry does not hold, listing what it holds.

    Examples
    --------
    >>> edition(read_registry(), "usgs-mcs")[1].folder
    'usgs-mcs2026'
    >>> edition(read_registry(), "usgs-mcs", 2031)
    Traceback (most recent call last):
    ...
    critmin.data.fetch.FetchError: no usgs-mcs edition 2031 is recorded; known: 2026
    """
    if name not in registry.releases:
        known = ", ".join(sorted(registry.releases))
        raise FetchError(f"unknown release {name!r}; known releases: {known}", 2)
    eds = registry.releases[name].editions
    y = max(eds) if year is None else year
    if y not in eds:
        known = ", ".join(str(k) for k in sorted(eds))
        raise FetchError(f"no {name} edition {y} is recorded; known: {known}", 2)
    return y, eds[y]


def file_url(template: str, file: str) -> str:
    """The URL of ``file`` from a template with ``{file}``, or a base URL it is appended to.

    Examples
    --------
    >>> file_url("https://example.org/get?name={file}", "a b.csv")
    'https://example.org/get?name=a%20b.csv'
    >>> file_url("http://127.0.0.1:8000/mcs", "T7.csv")
    'http://127.0.0.1:8000/mcs/T7.csv'
    """
    quoted = urllib.parse.quote(file)
    if "{file}" in template:
        return template.replace("{file}", quoted)
    return template.rstrip("/") + "/" + quoted


@dataclass(frozen=True)
class Fetched:
    """One file of a fetched release: where it is, its size and SHA-256, what was done."""

    file: str
    path: Path
    bytes: int
    sha256: str
    status: str  # "downloaded" or "already present"
    url: str


@dataclass(frozen=True)
class _Digest:
    size: int
    sha256: str
    md5: str


def _digest_file(path: Path) -> _Digest:
    sha, md5, size = hashlib.sha256(), hashlib.md5(usedforsecurity=False), 0
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            sha.update(chunk)
            md5.update(chunk)
            size += len(chunk)
    return _Digest(size, sha.hexdigest(), md5.hexdigest())


def mismatch(f: ReleaseFile, got: _Digest) -> str | None:
    """What does not match the record, in one line; ``None`` when everything does."""
    if f.size is not None and got.size != f.size:
        return f"size mismatch for {f.name}: expected {f.size} bytes, got {got.size}"
    if f.sha256 is not None and got.sha256 != f.sha256:
        return f"checksum mismatch for {f.name}: expected sha256 {f.sha256}, got {got.sha256}"
    if f.md5 is not None and got.md5 != f.md5:
        return f"checksum mismatch for {f.name}: expected md5 {f.md5}, got {got.md5}"
    return None


def _reason(e: BaseException) -> str:
    """Why a connection failed, in a few words."""
    r = e.reason if isinstance(e, urllib.error.URLError) else e
    if isinstance(r, socket.gaierror):
        return "the host name could not be resolved (offline or no DNS)"
    if isinstance(r, ConnectionRefusedError):
        return "connection refused"
    if isinstance(r, TimeoutError | socket.timeout):
        return "timed out"
    if isinstance(r, ConnectionError):
        return "the connection was reset"
    return str(r) or type(r).__name__


def _download(url: str, f: ReleaseFile, dest: Path, timeout: float) -> _Digest:
    """Stream ``url`` to ``dest``, hashing on the way; the digest of what arrived."""
    host = urllib.parse.urlsplit(url).netloc or url
    req = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    sha, md5, size = hashlib.sha256(), hashlib.md5(usedforsecurity=False), 0
    with dest.open("wb") as out:  # a folder that cannot be written fails here, as OSError
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                while chunk := resp.read(CHUNK):
                    size += len(chunk)
                    if f.size is not None and size > f.size:
                        raise FetchError(
                            f"size mismatch for {f.name}: expected {f.size} bytes, got more"
                        )
                    sha.update(chunk)
                    md5.update(chunk)
                    out.write(chunk)
        except urllib.error.HTTPError as e:
            raise FetchError(f"{f.name}: HTTP {e.code} {e.reason} from {url}") from None
        except urllib.error.URLError as e:
            raise FetchError(
                f"cannot reach {host} for {f.name} ({_reason(e)}): offline? nothing was written"
            ) from None
        except (OSError, http.client.HTTPException) as e:
            raise FetchError(f"download of {f.name} from {host} failed: {_reason(e)}") from None
    return _Digest(size, sha.hexdigest(), md5.hexdigest())


def fetch_release(
    name: str,
    raw: Path,
    year: int | None = None,
    *,
    url: str | None = None,
    registry: Path | Registry | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> list[Fetched]:
    """Download release ``name`` (edition ``year``) into ``raw/<folder>/``, all or nothing.

    Parameters
    ----------
    name
        A release of the registry: ``usgs-mcs`` or ``wgi``.
    raw
        The raw-data root (created if missing); the files go to its release folder, e.g.
        ``raw/usgs-mcs2026/``.
    year
        The edition (default: the newest recorded).
    url
        Another place to download from: a template with ``{file}`` or a base URL the file
        name is appended to (a mirror, a local copy). The checks stay the recorded ones.
    registry
        A registry file or object instead of the shipped one.
    timeout
        Seconds to wait for a connection or for the next bytes.

    Returns
    -------
    list of Fetched
        One entry per file, in the registry's order.

    Raises
    ------
    FetchError
        With one line: an unknown release or year (code 2); offline, an HTTP error, a size or
        checksum that does not match (naming the file, what was expected and what came), or
        a folder that cannot be written (code 1). Nothing is left behind.
    """
    reg = registry if isinstance(registry, Registry) else read_registry(registry)
    _, ed = edition(reg, name, year)
    template = url or ed.url
    target = raw / ed.folder
    try:
        raw.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{ed.folder}.", suffix=".partial", dir=raw))
    except OSError as e:
        raise FetchError(f"cannot write to {raw}: {e.strerror or e}") from None
    try:
        done: list[tuple[ReleaseFile, Path, _Digest, str, str]] = []
        for f in ed.files:
            src = file_url(template, f.name)
            have = target / f.name
            if have.is_file():
                digest = _digest_file(have)
                if mismatch(f, digest) is None:
                    done.append((f, have, digest, "already present", src))
                    continue
            part = tmp / f.name
            digest = _download(src, f, part, timeout)
            problem = mismatch(f, digest)
            if problem:
                raise FetchError(problem)
            done.append((f, part, digest, "downloaded", src))
        target.mkdir(exist_ok=True)
        out = []
        for f, path, digest, status, src in done:
            final = target / f.name
            if path != final:
                os.replace(path, final)
            out.append(Fetched(f.name, final, digest.size, digest.sha256, status, src))
        return out
    except OSError as e:
        raise FetchError(f"cannot write to {target}: {e.strerror or e}") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
