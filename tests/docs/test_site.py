"""The documentation site builds with `mkdocs build --strict` and needs no network to view."""

from __future__ import annotations

import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.conftest import DEADLINE, require_docs_toolchain

ROOT = Path(__file__).resolve().parents[2]


class _Assets(HTMLParser):
    """Collects the URLs of <script src> and <link href>."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script" and a.get("src"):
            self.urls.append(str(a["src"]))
        if tag == "link" and a.get("href"):
            self.urls.append(str(a["href"]))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_docs_toolchain()
    out = tmp_path_factory.mktemp("site")
    run = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(ROOT / "mkdocs.yml"),
         "-d", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=max(600, DEADLINE),
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )  # fmt: skip
    assert run.returncode == 0, f"mkdocs build --strict failed:\n{run.stdout}\n{run.stderr}"
    return out


def test_site_builds(site: Path) -> None:
    assert (site / "index.html").is_file()
    for page in ("concepts", "data", "scenarios", "cli", "api", "examples", "model"):
        assert (site / page / "index.html").is_file(), page


def test_site_is_offline(site: Path) -> None:
    external = []
    for html in site.rglob("*.html"):
        p = _Assets()
        p.feed(html.read_text(encoding="utf-8"))
        external += [
            f"{html.relative_to(site)}: {u}"
            for u in p.urls
            if u.startswith(("http://", "https://", "//"))
        ]
    assert not external, "pages load assets from the network:\n" + "\n".join(external)


def test_api_reference_rendered(site: Path) -> None:
    api = (site / "api" / "index.html").read_text(encoding="utf-8")
    for name in ("critmin.sim.runner.simulate", "critmin.policy.evaluate.evaluate",
                 "critmin.metrics.geopolrisk.hhi"):  # fmt: skip
        assert name in api, name
