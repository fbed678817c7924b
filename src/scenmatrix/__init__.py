"""scenmatrix: scenario x actor x impact studies as YAML, briefed as Excel.

The library API (the CLI is a thin layer over it):

    from scenmatrix import load, check_report, build_brief
    loaded = load("scenarios/russia-iran-2022.yaml")     # raises StudyError with every problem
    build_brief(loaded, "standard", "briefs/brief.xlsx")
"""

from __future__ import annotations

from scenmatrix.version import __version__

__all__ = ["__version__", "load", "check_report", "build_brief", "StudyError"]


def __getattr__(name: str):
    # Lazy, so that `import scenmatrix` (and the CLI's --help) does not pull in pydantic or openpyxl.
    if name == "load":
        from scenmatrix.store import loader

        return loader.load
    if name == "check_report":
        from scenmatrix.store import report

        return report.check_report
    if name == "build_brief":
        from scenmatrix.brief.build import build_brief

        return build_brief
    if name == "StudyError":
        from scenmatrix.errors import StudyError

        return StudyError
    raise AttributeError(name)
