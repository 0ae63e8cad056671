"""Packaging: one version, a license matching the metadata, a changelog, honest classifiers."""

from __future__ import annotations

import importlib.metadata
import re
import sys
from pathlib import Path
from typing import Any

import pytest

import axhub_orm

ROOT = Path(__file__).resolve().parents[2]


def pyproject() -> dict[str, Any]:
    """The parsed pyproject.toml of this checkout (tomllib: Python 3.11+)."""
    tomllib = pytest.importorskip("tomllib")
    with (ROOT / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)  # type: ignore[no-any-return]


def test_version_is_written_once() -> None:
    """pyproject.toml has no version of its own: the build and __version__ read _version.py."""
    settings = pyproject()
    assert "version" not in settings["project"] and "version" in settings["project"]["dynamic"]
    assert settings["tool"]["hatch"]["version"]["path"] == "src/axhub_orm/_version.py"
    assert importlib.metadata.version("axhub-orm") == axhub_orm.__version__
    assert re.fullmatch(r"\d+\.\d+\.\d+((a|b|rc)\d+)?", axhub_orm.__version__)


def test_license_file_matches_the_metadata() -> None:
    """The metadata says Apache-2.0 and ships LICENSE, which is the Apache License 2.0 text."""
    metadata = importlib.metadata.metadata("axhub-orm")
    assert metadata["License-Expression"] == "Apache-2.0"
    assert metadata.get_all("License-File") == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text()
    assert text.split()[:4] == ["Apache", "License", "Version", "2.0,"]
    assert "END OF TERMS AND CONDITIONS" in text


def test_changelog_has_a_section_for_this_version() -> None:
    """CHANGELOG.md follows Keep a Changelog and its newest section is this version's release."""
    text = (ROOT / "CHANGELOG.md").read_text()
    assert "[Keep a Changelog](https://keepachangelog.com/" in text
    newest = re.search(r"^## \[([^\]]+)\]", text, re.MULTILINE)
    assert newest is not None
    if newest.group(1) == "Unreleased":
        assert f"published as {axhub_orm.__version__}" in text
    else:
        assert newest.group(1) == axhub_orm.__version__


def test_classifiers_name_each_supported_python() -> None:
    """requires-python is >=3.10 and there is one classifier per minor version from 3.10 on."""
    metadata = importlib.metadata.metadata("axhub-orm")
    assert metadata["Requires-Python"] == ">=3.10"
    minors = sorted(
        int(c.rsplit(".", 1)[1])
        for c in metadata.get_all("Classifier") or []
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    )
    assert minors == list(range(10, minors[-1] + 1))
    assert sys.version_info[:2] >= (3, minors[0])
    assert metadata.get_all("Project-URL")


def test_local_extra_brings_sniffio() -> None:
    """Installing the `local` extra brings uvicorn and sniffio (async at full speed)."""
    requires = importlib.metadata.requires("axhub-orm") or []
    local = {re.split(r"[<>=;\[ ]", r, maxsplit=1)[0] for r in requires if "extra == 'local'" in r}
    assert local == {"uvicorn", "sniffio"}
