"""Replace one `## Heading` section of benchmarks/README.md, leaving the others as they are."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parent / "README.md"


def write_section(heading: str, section: str, path: Path = README) -> Path:
    """`section` starts with `## {heading}`; it replaces that section, or is appended if there is none."""
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    match = re.search(rf"^## {re.escape(heading)}\n.*?(?=^## |\Z)", text, flags=re.S | re.M)
    if match:
        text = text[:match.start()] + section + ("\n" if match.end() < len(text) else "") + text[match.end():]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text)
    return path
