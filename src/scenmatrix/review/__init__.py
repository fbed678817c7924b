"""Reviewed briefs coming back: the three-way import (its guard is store.workbook_guard)."""
