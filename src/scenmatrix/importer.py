"""Moved to `scenmatrix.review.importer`; this name is kept so that code written against earlier versions still imports."""

from scenmatrix.review.importer import *  # noqa: F401,F403
