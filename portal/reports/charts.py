"""The figures drawn: where each bar and line of a chart goes, worked out here so that the
chart templates (reports/_charts.html) only draw SVG shapes. Charts are inline SVG, styled by
the site's stylesheet: readable without JavaScript, under the strict Content-Security-Policy,
and each comes with its numbers in a table for screen readers and for print."""

from dataclasses import dataclass

# The drawing area of a line chart, in the SVG's own units.
WIDTH, HEIGHT = 600, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 28
# A bar chart: one row a bar.
BAR_ROW, BAR_LABEL = 26, 180


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str
    y: int
    width: float  # of the bar area, 0..100


def bars(items: list[tuple[str, float, str]]) -> tuple[list[Bar], int]:
    """Horizontal bars, longest for the largest value; (bars, the chart's height)."""
    largest = max((value for _label, value, _text in items), default=0) or 1
    drawn = [
        Bar(label, value, text, index * BAR_ROW, 100 * value / largest)
        for index, (label, value, text) in enumerate(items)
    ]
    return drawn, max(1, len(drawn)) * BAR_ROW


@dataclass(frozen=True)
class Line:
    key: str
    name: str
    # Runs of points with a value; a month without one breaks the line.
    runs: list[str]
    dots: list[tuple[float, float]]


def _x(index: int, count: int) -> float:
    span = WIDTH - LEFT - RIGHT
    return LEFT + (span * index / (count - 1) if count > 1 else span / 2)


def _y(fraction: float) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - max(0.0, min(1.0, fraction)))


def lines(count: int, series: list[tuple[str, str, list[float | None]]]) -> list[Line]:
    """One line per series of fractions (0..1) over `count` months."""
    drawn = []
    for key, name, values in series:
        runs: list[list[str]] = [[]]
        dots = []
        for index, value in enumerate(values):
            if value is None:
                if runs[-1]:
                    runs.append([])
                continue
            x, y = _x(index, count), _y(value)
            runs[-1].append(f"{x:.1f},{y:.1f}")
            dots.append((round(x, 1), round(y, 1)))
        drawn.append(Line(key, name, [" ".join(r) for r in runs if len(r) > 1], dots))
    return drawn


def axis(count: int, labels: list[str]) -> dict:
    """Where the month labels and the 0, 50 and 100 % lines of a line chart go."""
    return {
        "months": [(round(_x(i, count), 1), label) for i, label in enumerate(labels)],
        "levels": [(round(_y(f), 1), f) for f in (0.0, 0.5, 1.0)],
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "bottom": HEIGHT - BOTTOM + 16,
    }
