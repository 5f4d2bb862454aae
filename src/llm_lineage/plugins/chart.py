"""The loss curve as an inline SVG polyline: numbers only, so the page needs no script or asset."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from llm_lineage.plugins.facets import finite, records

WIDTH = 560
HEIGHT = 180
#: Room for the axis labels, left and bottom, and a little air top and right.
LEFT, BOTTOM, TOP, RIGHT = 64, 24, 10, 12


@dataclass(frozen=True)
class LossChart:
    points: str
    """``x,y`` pairs in SVG coordinates, space separated."""
    first_step: int
    last_step: int
    low: float
    high: float
    count: int
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    top: int = TOP
    bottom: int = HEIGHT - BOTTOM
    right: int = WIDTH - RIGHT


def _number(value: Any) -> float | None:
    """A finite number, or None: a point may hold anything a task pushed (a step of 401
    digits, too, which no float holds)."""
    return finite(value)


def _point(item: dict[str, Any]) -> tuple[float, float] | None:
    step, loss = _number(item.get("step")), _number(item.get("loss"))
    return None if step is None or loss is None else (step, loss)


def loss_chart(curve: Any) -> LossChart | None:
    """The chart of ``lossCurve`` points (``{"step", "loss"}``), None with fewer than two."""
    found = (_point(item) for item in records(curve))
    points = sorted(p for p in found if p is not None)
    if len(points) < 2:
        return None
    first, last = points[0][0], points[-1][0]
    low, high = min(p[1] for p in points), max(p[1] for p in points)
    span_x, span_y = (last - first) or 1.0, (high - low) or 1.0
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    xy = (
        (LEFT + (step - first) / span_x * plot_w, TOP + (high - loss) / span_y * plot_h)
        for step, loss in points
    )
    return LossChart(
        points=" ".join(f"{x:.1f},{y:.1f}" for x, y in xy),
        first_step=int(first),
        last_step=int(last),
        low=low,
        high=high,
        count=len(points),
    )
