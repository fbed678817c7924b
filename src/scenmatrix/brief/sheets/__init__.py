"""The writers of a brief's sheets, one module a kind of sheet."""
