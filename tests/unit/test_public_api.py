"""The public surface: axhub_orm.__all__ is complete, sorted, documented and importable."""

from __future__ import annotations

import inspect

import axhub_orm


def test_all_is_sorted_and_importable() -> None:
    """Every name in __all__ resolves, sorted isort-style: CONSTANTS, Classes, then the rest."""
    names = list(axhub_orm.__all__)

    def kind(name: str) -> tuple[int, str]:
        return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)

    assert names == sorted(names, key=kind)
    for name in names:
        assert getattr(axhub_orm, name) is not None


def test_all_equals_the_public_members() -> None:
    """``__all__`` lists exactly the public members of the package (httpx's exported members).

    Subpackages (``axhub_orm.local``, ``.testing``, ``.demo``, ``.models``) are not members;
    ``__version__`` is, and so is the emulator's ``LocalAxHub``, imported on first use.
    """
    members = {
        name
        for name, value in vars(axhub_orm).items()
        if not name.startswith("_") and not inspect.ismodule(value)
    }
    assert set(axhub_orm.__all__) == members | {"LocalAxHub", "__version__"}


def test_every_public_name_is_documented() -> None:
    """Every public class and function has a docstring, and so do their public methods."""
    for name in axhub_orm.__all__:
        obj = getattr(axhub_orm, name)
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            continue
        assert inspect.getdoc(obj), name
        if inspect.isclass(obj):
            for attr, member in vars(obj).items():
                if attr.startswith("_") or not callable(member):
                    continue
                assert inspect.getdoc(member), f"{name}.{attr}"


def test_sync_and_async_twins_offer_the_same_methods() -> None:
    """Each Async* class has a sync twin with the same public method names."""
    for name in axhub_orm.__all__:
        if not name.startswith("Async"):
            continue
        twin = getattr(axhub_orm, name.removeprefix("Async"))
        async_methods = {
            "close" if m == "aclose" else m
            for m in dir(getattr(axhub_orm, name))
            if not m.startswith("_")
        }
        sync_methods = {m for m in dir(twin) if not m.startswith("_")}
        assert async_methods == sync_methods, name
