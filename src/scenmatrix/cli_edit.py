"""Command-line editing of studies: new, add, set, rm, rename, list, show, diff."""

from __future__ import annotations
