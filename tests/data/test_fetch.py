"""``critmin data fetch`` against a local HTTP server (never the internet).

A tiny fixture release is served by ``http.server`` on 127.0.0.1; a registry written by the
test points at it. Success, a checksum mismatch, a missing file (404), a server that is down
(connection refused) and one that never answers (timeout) are checked through the Python
function and the CLI: errors are one line, nothing partial is left behind.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from critmin.cli.main import app as cli
from critmin.data.errors import DataError
from critmin.data.fetch import FetchError, fetch_release, read_registry
from tests.rawdata import raw_root

runner = CliRunner()
FILES = {"T7.csv": b"Source,Year\r\nUSGS,2026\r\n", "World Data.csv": b"a,b\r\n1,2\r\n" * 50}


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """A proxy from the environment must not see (or forward) the local requests."""
    for v in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY",
              "ALL_PROXY"):  # fmt: skip
        monkeypatch.delenv(v, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A local server of the fixture release; its base URL and folder."""
    root = tmp_path / "served" / "files"
    root.mkdir(parents=True)
    for name, data in FILES.items():
        (root / name).write_bytes(data)
    handler = functools.partial(_Quiet, directory=str(root.parent))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/files", root
    finally:
        httpd.shutdown()
        httpd.server_close()


def write_registry(path: Path, url: str, files: dict[str, bytes]) -> Path:
    doc = {
        "releases": {
            "tiny": {
                "title": "a fixture release",
                "editions": {
                    2026: {
                        "folder": "tiny2026",
                        "url": url + "/{file}",
                        "citation": "Nobody, 2026, a fixture.",
                        "files": [
                            {
                                "name": n,
                                "size": len(d),
                                "sha256": hashlib.sha256(d).hexdigest(),
                                "md5": hashlib.md5(d).hexdigest(),
                            }
                            for n, d in files.items()
                        ],
                    }
                },
            }
        }
    }
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


@pytest.fixture
def registry(tmp_path: Path, server: tuple[str, Path]) -> Path:
    return write_registry(tmp_path / "releases.yaml", server[0], FILES)


def _leftovers(raw: Path) -> list[Path]:
    return sorted(p for p in raw.rglob("*")) if raw.exists() else []


def test_a_release_is_downloaded_checked_and_put_in_place(tmp_path: Path, registry: Path) -> None:
    raw = tmp_path / "raw"
    got = fetch_release("tiny", raw, registry=registry, timeout=10)
    assert [g.status for g in got] == ["downloaded", "downloaded"]
    for name, data in FILES.items():
        assert (raw / "tiny2026" / name).read_bytes() == data
    assert _leftovers(raw) == [raw / "tiny2026", *(raw / "tiny2026" / n for n in sorted(FILES))]
    again = fetch_release("tiny", raw, 2026, registry=registry, timeout=10)
    assert [g.status for g in again] == ["already present", "already present"]


def test_the_cli_fetches_with_a_url_override(tmp_path: Path, server: tuple[str, Path]) -> None:
    base, _ = server
    reg = write_registry(tmp_path / "r.yaml", "http://127.0.0.1:9/nowhere", FILES)
    raw = tmp_path / "raw"
    res = runner.invoke(cli, ["data", "fetch", "tiny", "--to", str(raw), "--registry", str(reg),
                              "--url", base, "--format", "json"])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert (raw / "tiny2026" / "World Data.csv").read_bytes() == FILES["World Data.csv"]
    assert '"status": "downloaded"' in res.stdout and "%20" in res.stdout


def test_a_checksum_mismatch_is_refused_naming_the_file(
    tmp_path: Path, server: tuple[str, Path]
) -> None:
    base, root = server
    reg = write_registry(tmp_path / "r.yaml", base, FILES)
    (root / "World Data.csv").write_bytes(FILES["World Data.csv"].replace(b"1", b"7"))
    raw = tmp_path / "raw"
    with pytest.raises(FetchError) as e:
        fetch_release("tiny", raw, registry=reg, timeout=10)
    msg = str(e.value)
    want = hashlib.sha256(FILES["World Data.csv"]).hexdigest()
    assert "checksum mismatch for World Data.csv" in msg and want in msg and "got " in msg
    assert _leftovers(raw) == []  # the good first file is not left behind either
    res = runner.invoke(cli, ["data", "fetch", "tiny", "--to", str(raw), "--registry", str(reg)])
    assert res.exit_code == 1 and "checksum mismatch" in res.output
    assert "Traceback" not in res.output


def test_a_size_mismatch_is_refused(tmp_path: Path, server: tuple[str, Path]) -> None:
    base, root = server
    reg = write_registry(tmp_path / "r.yaml", base, FILES)
    (root / "T7.csv").write_bytes(FILES["T7.csv"] * 3)
    with pytest.raises(FetchError, match=r"size mismatch for T7.csv: expected \d+ bytes"):
        fetch_release("tiny", tmp_path / "raw", registry=reg, timeout=10)


def test_a_missing_file_is_an_http_error(tmp_path: Path, server: tuple[str, Path]) -> None:
    base, root = server
    reg = write_registry(tmp_path / "r.yaml", base, FILES)
    (root / "T7.csv").unlink()
    raw = tmp_path / "raw"
    res = runner.invoke(cli, ["data", "fetch", "tiny", "--to", str(raw), "--registry", str(reg)])
    assert res.exit_code == 1, res.output
    assert "T7.csv: HTTP 404" in res.output and "Traceback" not in res.output
    assert _leftovers(raw) == []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_server_that_is_down_is_one_line(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    reg = write_registry(tmp_path / "r.yaml", url, FILES)
    raw = tmp_path / "raw"
    res = runner.invoke(cli, ["data", "fetch", "tiny", "--to", str(raw), "--registry", str(reg)],
                        env={"COLUMNS": "400"})  # fmt: skip
    assert res.exit_code == 1
    errors = [line for line in res.output.splitlines() if line.startswith("error")]
    assert len(errors) == 1 and "connection refused" in errors[0] and "offline" in errors[0]
    assert "Traceback" not in res.output
    assert _leftovers(raw) == []


def test_a_server_that_never_answers_times_out(tmp_path: Path) -> None:
    with socket.socket() as s:  # listens, never accepts: the request waits for an answer
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        reg = write_registry(tmp_path / "r.yaml", f"http://127.0.0.1:{s.getsockname()[1]}",
                             FILES)  # fmt: skip
        with pytest.raises(FetchError, match="timed out"):
            fetch_release("tiny", tmp_path / "raw", registry=reg, timeout=0.5)


def test_unknown_release_or_year_is_a_usage_error(tmp_path: Path, registry: Path) -> None:
    res = runner.invoke(cli, ["data", "fetch", "nope", "--registry", str(registry),
                              "--to", str(tmp_path)])  # fmt: skip
    assert res.exit_code == 2 and "known releases: tiny" in res.output
    res = runner.invoke(cli, ["data", "fetch", "tiny", "--year", "1999", "--registry",
                              str(registry), "--to", str(tmp_path)])  # fmt: skip
    assert res.exit_code == 2 and "known: 2026" in res.output


def test_the_shipped_registry_matches_the_shared_raw_copies() -> None:
    reg = read_registry()
    mcs = reg.releases["usgs-mcs"].editions[2026]
    assert mcs.folder == "usgs-mcs2026" and "10.5066/P1WKQ63T" in mcs.citation
    assert {f.name for f in mcs.files} == {
        "MCS2026_Commodities_Data.csv", "MCS2026_T7_Critical_Minerals_Salient.csv",
        "MCS2026_Fig3_Major_Import_Sources.csv", "MCS2026_Fig2_Net_Import_Reliance.csv",
        "MCS2026_T6_Critical_Minerals_End_Use.csv",
    }  # fmt: skip
    assert all(f.sha256 and f.md5 and f.size for f in mcs.files)
    wgi = reg.releases["wgi"].editions[2024]
    assert wgi.folder == "wgi-2024-release" and wgi.files[0].size == 3153179
    raw = raw_root()
    for name, ed in (("usgs-mcs", mcs), ("wgi", wgi)):
        for f in ed.files:
            data = (raw / ed.folder / f.name).read_bytes()
            assert len(data) == f.size, (name, f.name)
            assert hashlib.sha256(data).hexdigest() == f.sha256, (name, f.name)
            if f.md5:
                assert hashlib.md5(data).hexdigest() == f.md5, (name, f.name)


def test_a_bad_registry_names_file_line_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "r.yaml"
    bad.write_text("releases:\n  x:\n    title: t\n    editions:\n      2026:\n"
                   "        folder: f\n        url: u\n        citation: c\n"
                   "        files:\n          - name: a.csv\n            sha256: nothex\n",
                   encoding="utf-8")  # fmt: skip
    with pytest.raises(DataError) as e:
        read_registry(bad)
    assert "r.yaml" in str(e.value) and "sha256" in str(e.value)
