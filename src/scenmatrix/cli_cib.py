"""Command-line access to cross-impact balance analysis (`scenmatrix cib ...`)."""

from __future__ import annotations
