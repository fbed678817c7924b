"""The command line. `app` holds the group; importing this package registers every command on it."""

from __future__ import annotations

from scenmatrix.cli import cib_commands, edit_commands, study_commands, team_commands  # noqa: F401  (they register their commands)
from scenmatrix.cli.app import cli, main

__all__ = ["cli", "main"]
