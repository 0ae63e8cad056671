"""RFC 3339 timestamps, parsed the same way on every supported Python.

``datetime.fromisoformat`` accepts ``Z`` and any number of fractional digits only from Python
3.11; AX Hub (and the emulator) send ``2026-06-02T12:45:09.123456Z``, and users may send fewer
digits. This parser accepts RFC 3339 date-times on 3.10 too.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

__all__ = ["parse_rfc3339"]

_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
    r"(?:([Zz])|([+-])(\d{2}):?(\d{2}))?"
)


def parse_rfc3339(text: str) -> datetime:
    """Parse ``YYYY-MM-DDTHH:MM:SS[.fraction][Z|±HH:MM]``; naive when no offset is given.

    Raises ``ValueError`` for anything else. Example::

        >>> parse_rfc3339("2026-06-02T12:45:09.5Z").isoformat()
        '2026-06-02T12:45:09.500000+00:00'
    """
    match = _RFC3339.fullmatch(text)
    if match is None:
        raise ValueError(f"not an RFC 3339 timestamp: {text!r}")
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    micros = int((match.group(7) or "0").ljust(6, "0")[:6])
    tz = None
    if match.group(8):
        tz = timezone.utc
    elif match.group(9):
        sign = 1 if match.group(9) == "+" else -1
        offset = timedelta(hours=int(match.group(10)), minutes=int(match.group(11)))
        tz = timezone(sign * offset)
    return datetime(year, month, day, hour, minute, second, micros, tzinfo=tz)
