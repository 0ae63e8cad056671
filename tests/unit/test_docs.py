"""The documentation build's own checks: a missing docstring or a broken reference fails it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

DOCS_CONF = Path(__file__).resolve().parents[2] / "docs" / "conf.py"

MODULE = '''"""A module of the test project."""


def documented():
    """Documented."""


def undocumented():
    pass
'''


def build(tmp_path: Path, page: str) -> subprocess.CompletedProcess[str]:
    """Build a one-page project configured by docs/conf.py as CI builds the real docs."""
    pytest.importorskip("sphinx")
    (tmp_path / "sample_module.py").write_text(MODULE)
    source = tmp_path / "source"
    source.mkdir(exist_ok=True)
    (source / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(tmp_path)!r})\n"
        f"exec(compile(open({str(DOCS_CONF)!r}).read(), {str(DOCS_CONF)!r}, 'exec'))\n"
    )
    (source / "index.rst").write_text(f"Test\n====\n\n{page}\n")
    return subprocess.run(
        [sys.executable, "-m", "sphinx", "-E", "-W", "--keep-going", "-n", "-q", "-b", "html",
         str(source), str(tmp_path / "html")],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )  # fmt: skip


def test_missing_docstrings_and_broken_references_fail_the_build(tmp_path: Path) -> None:
    """An undocumented public function and a reference to no such name each fail, by name."""
    page = (
        ".. automodule:: sample_module\n\n"
        "See :func:`sample_module.documented` and :class:`axhub_orm.NoSuchThing`.\n"
    )
    result = build(tmp_path, page)
    assert result.returncode != 0
    warnings = [line for line in result.stderr.splitlines() if "WARNING" in line]
    assert len(warnings) == 2, result.stderr
    assert "function sample_module.undocumented has no docstring" in warnings[0]
    assert "axhub_orm.NoSuchThing" in warnings[1]
