"""What an Excel workbook holds at most: declared once, for the writer that must stay within and the
guard that refuses beyond."""

MAX_CELL_CHARS = 32_767  # Excel counts UTF-16 code units
