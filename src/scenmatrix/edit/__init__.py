"""Edits of a study file that keep everything they do not touch, byte for byte (see `api`).

The edit functions are re-exported here lazily, so that importing a part of this package pulls in no ruamel.
"""

from __future__ import annotations

_API = ("new_study", "add", "set_fields", "apply", "remove", "rename", "references", "entries", "kind_of",
        "entry_path", "EditResult")
__all__ = list(_API)


def __getattr__(name: str):
    if name in _API:
        from scenmatrix.edit import api

        return getattr(api, name)
    raise AttributeError(name)
