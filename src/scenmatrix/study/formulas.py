"""What a spreadsheet would take for a formula, a command or an error value rather than text.

Declared once, for every writer of cells a spreadsheet opens: the brief's cells (quote prefix) and CSV
export (a leading apostrophe, as OWASP's CSV-injection guidance advises)."""

from __future__ import annotations

RISKY_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")
ERROR_CODES = {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA", "#SPILL!",
               "#CALC!", "#FIELD!", "#BLOCKED!", "#UNKNOWN!", "#CONNECT!", "#BUSY!"}


def is_risky(text: str) -> bool:
    """Would a spreadsheet take this text for a formula, a command or an error value?"""
    return text.startswith(RISKY_PREFIXES) or ("#" in text and text.strip().upper() in ERROR_CODES)
