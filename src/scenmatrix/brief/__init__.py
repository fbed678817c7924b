"""Excel briefs of a study, built from templates (see `build`); `build_brief` is re-exported here lazily."""

from __future__ import annotations

__all__ = ["build_brief", "build_brief_file"]


def __getattr__(name: str):
    if name in __all__:
        from scenmatrix.brief import build

        return getattr(build, name)
    raise AttributeError(name)
