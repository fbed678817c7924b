"""What the benchmarks share: replacing one `## Heading` section of benchmarks/README.md, leaving the
others as they are, and naming the machine a section was measured on."""

from __future__ import annotations

import os
import platform
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


def cpu_and_cores() -> str:
    """'AMD EPYC, 2 cores available': the processor's model and the cores this process may use."""
    cpu = platform.processor() or platform.machine()
    try:
        names = re.findall(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
        cpu = names[0] if names else cpu
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{cpu}, {cores} cores available"
