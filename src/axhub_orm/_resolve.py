"""Which operation a request is: the inverse of the route table (method + path → route).

Used by the emulator to route requests and by the demo to name the operations it sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._routes import ROUTES, Route

__all__ = ["resolve", "resolve_path"]


@dataclass(frozen=True)
class _Template:
    route: Route
    parts: tuple[str | None, ...]  # a literal segment, or None for a {param}

    @property
    def specificity(self) -> tuple[bool, ...]:
        return tuple(p is not None for p in self.parts)

    def match(self, segments: list[str]) -> dict[str, str] | None:
        if len(segments) != len(self.parts):
            return None
        values: list[str] = []
        for part, segment in zip(self.parts, segments, strict=True):
            if part is None:
                if not segment:
                    return None
                values.append(segment)
            elif part != segment:
                return None
        return dict(zip(self.route.path_params, values, strict=True))


def _compile_templates() -> list[_Template]:
    templates = []
    for route in ROUTES.values():
        templates.append(_Template(route, route.template.segments))
    # literal segments win over parameters, left to right (``tables/column-types`` before
    # ``tables/{tableName}``)
    return sorted(templates, key=lambda t: t.specificity, reverse=True)


_TEMPLATES = _compile_templates()


def resolve(method: str, segments: list[str]) -> tuple[Route, dict[str, str]] | None:
    """The most specific route for ``method`` and path ``segments``, with its path params."""
    for template in _TEMPLATES:
        if template.route.method == method:
            params = template.match(segments)
            if params is not None:
                return template.route, params
    return None


def resolve_path(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    """:func:`resolve` for a decoded path such as ``/api/v1/apps/<id>``."""
    return resolve(method, path.split("/")[1:])
