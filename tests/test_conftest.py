"""The suite's one rule for optional system parts (``tests/conftest.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import conftest
from tests.conftest import in_ci, require


@pytest.mark.parametrize("value", ["true", "TRUE", " True "])
def test_a_missing_part_fails_under_ci(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CI", value)
    assert in_ci()
    with pytest.raises(pytest.fail.Exception, match=r"/usr/bin/nothing is missing \(apt-get"):
        require("/usr/bin/nothing", False, "apt-get install -y nothing")


@pytest.mark.parametrize("value", [None, "", "false", "1"])
def test_a_missing_part_skips_outside_ci(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    if value is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", value)
    assert not in_ci()
    with pytest.raises(pytest.skip.Exception) as skipped:
        require("the frobnicator package", False, "pip install frobnicator")
    assert str(skipped.value) == "the frobnicator package is missing (pip install frobnicator)"


@pytest.mark.parametrize("ci", ["true", "false"])
def test_a_present_part_goes_on(monkeypatch: pytest.MonkeyPatch, ci: str) -> None:
    monkeypatch.setenv("CI", ci)
    require("/bin/sh", True, "it is always there")  # neither skips nor fails


def test_the_shared_helpers_name_the_missing_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(conftest, "RAW", tmp_path / "raw")
    monkeypatch.setattr(conftest, "REFERENCE", tmp_path / "reference")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=str(tmp_path / "raw")):
        conftest.raw_root()
    with pytest.raises(pytest.fail.Exception, match=str(tmp_path / "reference" / "x.csv")):
        conftest.reference_file("x.csv")
    monkeypatch.setattr(conftest, "DOCS_TOOLCHAIN", ("pytest", "no_such_module_xyz.sub"))
    with pytest.raises(pytest.fail.Exception, match=r"docs toolchain \(no_such_module_xyz.sub\)"):
        conftest.require_docs_toolchain()
    monkeypatch.setenv("CI", "false")
    (tmp_path / "raw").mkdir()
    assert conftest.raw_root() == tmp_path / "raw"
    with pytest.raises(pytest.skip.Exception):
        conftest.reference_file("x.csv")
