"""Sphinx configuration of the axhub-orm documentation (built with -W -n: warnings fail CI)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.util import logging

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

import axhub_orm  # noqa: E402

project = "axhub-orm"
author = "axhub-orm developers"
copyright = "axhub-orm developers"
release = version = axhub_orm.__version__

extensions = ["myst_parser", "sphinx.ext.autodoc"]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
myst_enable_extensions = ["colon_fence"]
myst_heading_anchors = 3
html_theme = "furo"
html_title = f"axhub-orm {release}"
# wire-contract.md is a page through contract.md, which includes it (not a second copy).
exclude_patterns = ["_build", "wire-contract.md"]

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
# undoc-members: an undocumented public name is listed (and then fails the build, below),
# never silently left out of the reference.
autodoc_default_options = {"members": True, "undoc-members": True, "show-inheritance": True}

# -n (nitpicky): every cross-reference must resolve. There is no network in CI, so no
# intersphinx: names from other libraries (and the standard library) are let through by module.
nitpicky = True
_EXTERNAL = (
    r"(httpx|attrs|cattrs|pydantic|typing_extensions|collections|typing|datetime|uuid|enum|"
    r"pathlib|types|os|ssl|socket|sqlite3|asyncio|contextlib|logging|threading|uvicorn)\..*"
)
nitpick_ignore_regex = [
    (r"py:.*", _EXTERNAL),
    # Signatures and bases name private classes and type variables (ColumnSpec, Tracked, M): they
    # are not part of the reference. A reference to a public name that does not exist still fails.
    (r"py:.*", r"axhub_orm\.(\w+\.)*_\w+\..*"),
    (r"py:.*", r"(QuerySpec|Self|M|T)"),
]

log = logging.getLogger(__name__)
_DOCUMENTED_KINDS = {"class", "exception", "function", "method", "property", "module"}


def warn_missing_docstring(
    app: Sphinx, what: str, name: str, obj: Any, options: Any, lines: list[str]
) -> None:
    """A public object in the API reference without a docstring is a warning (so an error)."""
    if what in _DOCUMENTED_KINDS and not any(line.strip() for line in lines):
        log.warning("%s %s has no docstring", what, name, type="axhub", subtype="docstring")


def skip_exception_aliases(
    app: Sphinx, what: str, name: str, obj: Any, skip: bool, options: Any
) -> bool | None:
    """``RowQuery.DoesNotExist`` and friends are aliases of the module's classes: list them once."""
    if what == "class" and name in ("DoesNotExist", "MultipleObjectsReturned"):
        return True
    return None


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the docstring check and the alias filter."""
    app.connect("autodoc-process-docstring", warn_missing_docstring)
    app.connect("autodoc-skip-member", skip_exception_aliases)
    return {"parallel_read_safe": True}
