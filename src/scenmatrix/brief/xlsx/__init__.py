"""SpreadsheetML below openpyxl: safe cells, rows written as text, the sheet grid that splices them."""
