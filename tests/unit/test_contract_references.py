"""Every ``§`` reference in the source resolves to a heading of docs/wire-contract.md."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEADING = re.compile(r"^#{2,3} (\d+(?:\.\d+)?)[. ]", re.MULTILINE)
REFERENCE = re.compile(r"§ ?(\d+(?:\.\d+)?)(?:-§?(\d+(?:\.\d+)?))?")
OTHER_DOCUMENTS = ("Client Policy", "DESIGN")


def _sections() -> set[str]:
    text = (ROOT / "docs" / "wire-contract.md").read_text("utf-8")
    return set(HEADING.findall(text))


def _references() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted((ROOT / "src").rglob("*.py")):
        text = path.read_text("utf-8")
        for match in REFERENCE.finditer(text):
            before = text[max(0, match.start() - 16) : match.start()]
            if any(name in before for name in OTHER_DOCUMENTS):
                continue
            first, last = match.group(1), match.group(2)
            names = [first]
            if last is not None:  # §13.22-24 is 13.22 to 13.24; §4-§6 is 4 to 6
                head = first.rpartition(".")[0]
                end = last if "." in last or not head else f"{head}.{last}"
                names.append(end)
            for name in names:
                found.setdefault(name, []).append(str(path.relative_to(ROOT)))
    return found


def test_every_section_reference_has_a_heading() -> None:
    """A ``§9.1`` or ``§13.22-24`` in src names sections that docs/wire-contract.md has."""
    sections = _sections()
    missing = {name: paths for name, paths in _references().items() if name not in sections}
    assert missing == {}


def test_the_checker_sees_references() -> None:
    """The scan finds the contract references the source is known to make (it is not vacuous)."""
    references = _references()
    assert {"9.1", "13.22", "13.24", "14"} <= set(references)
