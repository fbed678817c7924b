"""Reviewed briefs coming back: the untrusted-workbook guard and the three-way import."""
