"""What a benchmark reports: figures against a baseline of the same run, a table, JSON.

The JSON file (``--json FILE``) is a list of ``{"name", "value", "unit", "baseline",
"ratio"}``: ``baseline`` is the figure of the baseline measured in the same run (null
when the figure has none) and ``ratio`` is always ``value / baseline``, computed here.
"""

from __future__ import annotations

import json
import math
import os
import platform
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Figure:
    """One measured figure and, when it has one, its baseline of the same run."""

    name: str
    value: float
    unit: str
    baseline: float | None = None
    extra: dict[str, str] = field(default_factory=dict, compare=False)
    """Columns of the printed table only (a target, what the baseline is)."""

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline == 0 or math.isnan(self.baseline):
            return None
        return self.value / self.baseline

    def as_json(self) -> dict[str, Any]:
        ratio = self.ratio
        return {"name": self.name, "value": _round(self.value), "unit": self.unit,
                "baseline": None if self.baseline is None else _round(self.baseline),
                "ratio": None if ratio is None else round(ratio, 3)}


def _round(value: float) -> float:
    return round(value, 3)


def figures_json(figures: Sequence[Figure]) -> list[dict[str, Any]]:
    return [f.as_json() for f in figures]


def write_json(path: Path | None, figures: Sequence[Figure]) -> None:
    """Write ``figures`` to ``path`` (nothing when ``path`` is None)."""
    if path is not None:
        path.write_text(json.dumps(figures_json(figures), indent=2) + "\n", encoding="utf-8")


def machine() -> str:
    """CPUs and Python version, for a table's first line."""
    return f"{os.cpu_count()} CPUs, Python {platform.python_version()}"


def print_table(header: Sequence[str], rows: Sequence[Sequence[object]],
                left: Sequence[int] = (0,)) -> None:
    """Rows under a header: the ``left`` columns (the first) left-aligned, the others
    right-aligned, each as wide as its widest cell; floats with thousands separators."""
    cells = [[_cell(c) for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells if i < len(r)])
              for i, h in enumerate(header)]

    def line(row: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) if i in left else c.rjust(w)
                         for i, (c, w) in enumerate(zip(row, widths, strict=False))).rstrip()

    print(line(list(header)))
    print("-" * len(line(list(header))))
    for row in cells:
        print(line(row))


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
    return str(value)


def print_figures(figures: Sequence[Figure], extra: Sequence[str] = ()) -> None:
    """The figures as a table: name, value, unit, baseline, ratio and the ``extra`` columns."""
    print_table(["figure", "value", "unit", "baseline", "ratio", *extra],
                [[f.name, f.value, f.unit, f.baseline,
                  None if f.ratio is None else f"{f.ratio:.2f}",
                  *(f.extra.get(e, "") for e in extra)] for f in figures],
                left=[0, *range(5, 5 + len(extra))])
