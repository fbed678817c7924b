"""Moved to `scenmatrix.study.tables`; this name is kept so that code written against earlier versions still imports."""

from scenmatrix.study.tables import *  # noqa: F401,F403
