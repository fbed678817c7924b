"""Moved to `scenmatrix.analysis.cib`; this name is kept so that code written against earlier versions still imports."""

from scenmatrix.analysis.cib import *  # noqa: F401,F403
