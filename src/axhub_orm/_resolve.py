"""Which operation a request is: the inverse of the route table (method + path → route).

Used by the emulator to route requests and by the demo to name the operations it sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ._routes import ROUTES, Route

__all__ = ["resolve", "resolve_path"]


@dataclass
class _Node:
    """One path segment of the route trie: literal children, a parameter child, routes here."""

    literals: dict[str, _Node] = field(default_factory=dict)
    param: _Node | None = None
    routes: dict[str, Route] = field(default_factory=dict)  # method -> route


def _build_trie() -> _Node:
    root = _Node()
    for route in ROUTES.values():
        node = root
        for segment in route.template.segments:
            if segment is None:  # a {param}
                node.param = node.param or _Node()
                node = node.param
            else:
                node = node.literals.setdefault(segment, _Node())
        node.routes.setdefault(route.method, route)
    return root


_TRIE = _build_trie()


def _walk(
    node: _Node, segments: list[str], index: int, method: str, values: list[str]
) -> Route | None:
    """The route of ``segments[index:]`` below ``node``, collecting parameter ``values``.

    Depth first, a literal segment before a parameter (``tables/column-types`` wins over
    ``tables/{tableName}``), left to right.
    """
    if index == len(segments):
        return node.routes.get(method)
    segment = segments[index]
    child = node.literals.get(segment)
    if child is not None:
        found = _walk(child, segments, index + 1, method, values)
        if found is not None:
            return found
    if node.param is not None and segment:
        values.append(segment)
        found = _walk(node.param, segments, index + 1, method, values)
        if found is not None:
            return found
        values.pop()
    return None


def resolve(method: str, segments: list[str]) -> tuple[Route, dict[str, str]] | None:
    """The most specific route for ``method`` and path ``segments``, with its path params."""
    values: list[str] = []
    route = _walk(_TRIE, segments, 0, method, values)
    if route is None:
        return None
    return route, dict(zip(route.path_params, values, strict=True))


def resolve_path(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    """:func:`resolve` for a decoded path such as ``/api/v1/apps/<id>``."""
    return resolve(method, path.split("/")[1:])
