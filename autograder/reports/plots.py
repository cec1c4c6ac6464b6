"""The reports' plots, as SVG text: sharp at any zoom, a few kilobytes, and drawn in well under a millisecond
without a plotting library (a batch used to spend most of its report time importing one and rasterizing).
Same data, same bytes: every number is written with a fixed precision.
"""

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"
INK, GRID, MUTED = "#1f2328", "#d0d7de", "#57606a"
PALETTE = ("#cf222e", "#2f81f7", "#2da44e", "#8250df", "#bf8700")
CHAR_WIDTH = 0.58  # of the font size: an average glyph of a sans-serif face, to size margins and legends


def _n(value: float) -> str:
    """A coordinate, rounded to a hundredth of a pixel."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _text_width(text: str, size: float) -> float:
    return len(text) * size * CHAR_WIDTH


def _bounded(value: float) -> float:
    """A finite value within what a picture can place (+-1e300): a student's numbers can be anything."""
    return min(max(value, -1e300), 1e300)


def _clamped(value: float) -> float:
    """A value for a log axis: within [1e-300, 1e300]."""
    return min(max(value, 1e-300), 1e300) if math.isfinite(value) else (1e300 if value > 0 else 1e-300)


def _finite(values: Sequence[float]) -> list[float]:
    return [_bounded(v) for v in values if math.isfinite(v)]


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2, 2.5 or 5 times a power of ten apart) covering [low, high]."""
    if not (math.isfinite(low) and math.isfinite(high)):
        low, high = 0.0, 1.0
    if not high > low:
        high = low + 1.0
    raw = (high - low) / max(count, 1)
    magnitude = 10.0 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw * (1 - 1e-9))
    first = math.ceil(low / step - 1e-9)
    return [round(i * step, 12) for i in range(first, math.floor(high / step + 1e-9) + 1)]


def log_ticks(low: float, high: float) -> list[float]:
    """Powers of ten covering [low, high] (every few, when they span many decades)."""
    low, high = _clamped(low), max(_clamped(high), _clamped(low))
    first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
    every = max(1, math.ceil((last - first) / 8))
    return [10.0 ** e for e in range(first, last + 1, every)]


def _tick_label(value: float) -> str:
    return f"{value:.0e}".replace("e+0", "e").replace("e-0", "e-") if value and not 1e-3 <= abs(value) < 1e5 \
        else f"{value:g}"


@dataclass
class Chart:
    """A `width` x `height` picture whose plot area maps data to pixels (y on a log scale when `ylog`)."""

    width: float
    height: float
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    left: float = 56.0
    right: float = 16.0
    top: float = 30.0
    bottom: float = 44.0
    ylog: bool = False
    parts: list[str] = field(default_factory=list)

    def x(self, value: float) -> float:
        low, high = self.xlim
        return self.left + (value - low) / ((high - low) or 1.0) * (self.width - self.left - self.right)

    def y(self, value: float) -> float:
        low, high = self.ylim
        if self.ylog:
            value, low, high = (math.log10(_clamped(v)) for v in (value, low, high))
        return self.height - self.bottom - (value - low) / ((high - low) or 1.0) * (self.height - self.top
                                                                                     - self.bottom)

    def text(self, x: float, y: float, words: str, size: float = 11, anchor: str = "middle", color: str = INK,
             rotate: bool = False, bold: bool = False) -> None:
        turn = f' transform="rotate(-90 {_n(x)} {_n(y)})"' if rotate else ""
        weight = ' font-weight="bold"' if bold else ""
        self.parts.append(f'<text x="{_n(x)}" y="{_n(y)}" font-size="{_n(size)}" text-anchor="{anchor}" '
                          f'fill="{color}"{weight}{turn}>{html.escape(words)}</text>')

    def bar(self, x0: float, x1: float, y0: float, y1: float, color: str, opacity: float = 1.0) -> None:
        """A rectangle between data coordinates (x0, y0) and (x1, y1)."""
        left, right = sorted((self.x(x0), self.x(x1)))
        upper, lower = sorted((self.y(y0), self.y(y1)))
        fade = f' fill-opacity="{opacity:g}"' if opacity < 1 else ""
        self.parts.append(f'<rect x="{_n(left)}" y="{_n(upper)}" width="{_n(right - left)}" '
                          f'height="{_n(lower - upper)}" fill="{color}"{fade} clip-path="url(#area)"/>')

    def line(self, xs: Sequence[float], ys: Sequence[float], color: str, width: float = 2.0,
             dashed: bool = False) -> None:
        """A polyline through the finite points, broken where a value is not finite."""
        dash = ' stroke-dasharray="6 4"' if dashed else ""
        runs: list[list[str]] = [[]]
        for a, b in zip(xs, ys, strict=True):
            if math.isfinite(a) and math.isfinite(b):
                runs[-1].append(f"{_n(self.x(a))},{_n(self.y(_bounded(b)))}")
            elif runs[-1]:
                runs.append([])
        for points in filter(None, runs):
            self.parts.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="{color}" '
                              f'stroke-width="{width:g}"{dash} clip-path="url(#area)"/>')

    def axes(self, xticks: Sequence[float], yticks: Sequence[float], xlabel: str = "", ylabel: str = "",
             title: str = "", grid: str = "both", xnames: Sequence[str] | None = None,
             ynames: Sequence[str] | None = None, tick_size: float = 10) -> None:
        """Frame, grid lines, ticks with their labels (names instead of values when given), axis labels, title."""
        x0, x1 = self.left, self.width - self.right
        y0, y1 = self.top, self.height - self.bottom
        for i, value in enumerate(xticks):
            at = self.x(value)
            if grid in ("x", "both"):
                self.parts.append(f'<line x1="{_n(at)}" y1="{_n(y0)}" x2="{_n(at)}" y2="{_n(y1)}" stroke="{GRID}"/>')
            self.text(at, y1 + tick_size + 4, xnames[i] if xnames else _tick_label(value), tick_size, color=MUTED)
        for i, value in enumerate(yticks):
            at = self.y(value)
            if grid in ("y", "both"):
                self.parts.append(f'<line x1="{_n(x0)}" y1="{_n(at)}" x2="{_n(x1)}" y2="{_n(at)}" stroke="{GRID}"/>')
            self.text(x0 - 5, at + tick_size * 0.35, ynames[i] if ynames else _tick_label(value), tick_size,
                      anchor="end", color=MUTED)
        self.parts.append(f'<rect x="{_n(x0)}" y="{_n(y0)}" width="{_n(x1 - x0)}" height="{_n(y1 - y0)}" '
                          f'fill="none" stroke="{MUTED}"/>')
        if xlabel:
            self.text((x0 + x1) / 2, self.height - 8, xlabel)
        if ylabel:
            self.text(14, (y0 + y1) / 2, ylabel, rotate=True)
        if title:
            self.text((x0 + x1) / 2, 19, title, 12, bold=True)

    def legend(self, entries: Sequence[tuple[str, str, str]], columns: int = 1, size: float = 10) -> None:
        """(label, colour, "bar" | "line" | "dashed") entries in a box at the plot area's top right."""
        if not entries:
            return
        rows = math.ceil(len(entries) / columns)
        column_width = max(_text_width(label, size) for label, _, _ in entries) + 30
        box_width, box_height = column_width * columns + 8, rows * (size + 6) + 8
        left, top = self.width - self.right - box_width - 6, self.top + 6
        self.parts.append(f'<rect x="{_n(left)}" y="{_n(top)}" width="{_n(box_width)}" height="{_n(box_height)}" '
                          f'fill="white" fill-opacity="0.85" stroke="{GRID}"/>')
        for i, (label, color, kind) in enumerate(entries):
            x = left + 6 + (i // rows) * column_width
            y = top + 4 + (i % rows) * (size + 6) + size / 2 + 1
            if kind == "bar":
                self.parts.append(f'<rect x="{_n(x)}" y="{_n(y - 4)}" width="18" height="8" fill="{color}"/>')
            else:
                dash = ' stroke-dasharray="6 4"' if kind == "dashed" else ""
                self.parts.append(f'<line x1="{_n(x)}" y1="{_n(y)}" x2="{_n(x + 18)}" y2="{_n(y)}" '
                                  f'stroke="{color}" stroke-width="2"{dash}/>')
            self.text(x + 24, y + size * 0.35, label, size, anchor="start")

    def svg(self) -> str:
        area = (f'<clipPath id="area"><rect x="{_n(self.left)}" y="{_n(self.top)}" '
                f'width="{_n(self.width - self.left - self.right)}" '
                f'height="{_n(self.height - self.top - self.bottom)}"/></clipPath>')
        return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{_n(self.width)}" height="{_n(self.height)}" '
                f'viewBox="0 0 {_n(self.width)} {_n(self.height)}" font-family="{FONT}">'
                f'<rect width="100%" height="100%" fill="white"/>{area}{"".join(self.parts)}</svg>\n')


def _left_margin(names: Sequence[str], size: float) -> float:
    return max([40.0, *(_text_width(name, size) + 12 for name in names)])


def score_histogram(scores: Mapping[float, int], max_score: float) -> str:
    """How many submissions reached each score, from {score: submissions}."""
    top = max_score or 1.0
    bins = max(1, min(27, int(max_score) or 1))
    counts, edges = np.histogram(list(scores), bins=bins, range=(0, top), weights=list(scores.values()))
    chart = Chart(700, 320, (0.0, top), (0.0, max(1.0, float(counts.max(initial=0))) * 1.08))
    for count, low, high in zip(counts, edges, edges[1:], strict=False):
        if count:
            chart.bar(float(low), float(high), 0.0, float(count), "#2f81f7")
    yticks = [t for t in nice_ticks(*chart.ylim) if t == int(t)]
    chart.axes(nice_ticks(0.0, top), yticks, f"score (out of {max_score:g})", "submissions", "Score distribution",
               grid="y")
    return chart.svg()


def check_outcomes(checks: Sequence[str], shares: dict[str, Sequence[float]], colors: dict[str, str]) -> str:
    """One stacked bar per check: the share of submissions in each outcome (e.g. wrong, not attempted)."""
    size = 9.0
    chart = Chart(800, 20 * len(checks) + 80, (0.0, 1.0), (-0.5, len(checks) - 0.5),
                  left=_left_margin(checks, size), top=12)
    left = [0.0] * len(checks)
    for label, values in shares.items():
        for i, value in enumerate(values):
            row = len(checks) - 1 - i  # the first check at the top
            if value:
                chart.bar(left[i], left[i] + value, row - 0.35, row + 0.35, colors[label])
        left = [a + b for a, b in zip(left, values, strict=True)]
    chart.axes(nice_ticks(0.0, 1.0), list(range(len(checks))), "share of submissions that did not pass",
               grid="x", ynames=list(checks)[::-1], tick_size=size)
    chart.legend([(label, colors[label], "bar") for label in shares], size=size)
    return chart.svg()


def counts_bar(labels: Sequence[str], counts: Sequence[int], title: str) -> str:
    """A horizontal bar per label, largest first (e.g. the commonest misconceptions)."""
    size = 9.0
    high = max([1, *counts]) * 1.05
    chart = Chart(800, 22 * len(labels) + 90, (0.0, high), (-0.5, len(labels) - 0.5), left=_left_margin(labels, size))
    for i, count in enumerate(counts):
        row = len(labels) - 1 - i
        chart.bar(0.0, count, row - 0.35, row + 0.35, "#8250df")
    xticks = [t for t in nice_ticks(0.0, high) if t == int(t)]
    chart.axes(xticks, list(range(len(labels))), "submissions", title=title, grid="x", ynames=list(labels)[::-1],
               tick_size=size)
    return chart.svg()


def check_figure(figure: dict) -> str:
    """A verdict's figure (plain data): kind "per_layer" draws one line per series over the layers,
    "yours" solid and "reference" dashed in the same colour, on a log scale when figure["log"];
    kind "histogram" draws your density as bars over figure["centres"] and the expected one as a line."""
    if figure["kind"] == "histogram":
        return _histogram_figure(figure)
    series = sorted(figure["series"].items())  # journals sort keys: the picture must not care
    layers = max([1, *(len(values) for _, values in series)])
    values = _finite([v for _, vs in series for v in vs])
    log = bool(figure.get("log"))
    if log:
        positive = [_clamped(v) for v in values if v > 0] or [1.0]
        yticks = log_ticks(_clamped(min(positive) / 2), _clamped(max(positive) * 2))
        ylim = (yticks[0], yticks[-1] if yticks[-1] > yticks[0] else yticks[0] * 10)
    else:
        low, high = (min(values), max(values)) if values else (0.0, 1.0)
        yticks = nice_ticks(low, high)  # the values are within +-1e300 (_finite): no range overflows
        ylim = (min(yticks[0], low), max(yticks[-1], high))
    chart = Chart(700, 360, (0.5, layers + 0.5), ylim, ylog=log, left=64)
    colors: dict[str, str] = {}
    entries = []
    for label, points in series:
        kind, _, name = label.partition(": ")
        color = colors.setdefault(name, PALETTE[len(colors) % len(PALETTE)])
        reference = kind == "reference"
        shown = [max(v, 1e-300) if log else v for v in points]
        chart.line(range(1, len(points) + 1), shown, color, 1.2 if reference else 2.0, dashed=reference)
        entries.append((label, color, "dashed" if reference else "line"))
    xticks = [t for t in nice_ticks(1, max(layers, 2), min(layers, 10)) if t == int(t)]
    chart.axes(xticks, yticks, "hidden layer", figure["ylabel"], figure["title"])
    chart.legend(entries, columns=2, size=9)
    return chart.svg()


def _histogram_figure(figure: dict) -> str:
    centres = figure["centres"]
    width = centres[1] - centres[0] if len(centres) > 1 else 1.0
    series = sorted(figure["series"].items())
    top = max([*_finite([v for _, values in series for v in values]), 1e-12]) * 1.1
    chart = Chart(700, 320, (centres[0] - width / 2, centres[-1] + width / 2), (0.0, top))
    entries = []
    for label, values in series:
        if label == "yours":
            for centre, value in zip(centres, values, strict=True):
                if math.isfinite(value) and value > 0:
                    chart.bar(centre - width / 2, centre + width / 2, 0.0, _bounded(value), "#cf222e", 0.6)
            entries.append(("your weights", "#cf222e", "bar"))
        else:
            chart.line(centres, values, INK, 1.5, dashed=True)
            entries.append((label, INK, "dashed"))
    chart.axes(nice_ticks(*chart.xlim), nice_ticks(0.0, top), figure["xlabel"], "density", figure["title"])
    chart.legend(entries)
    return chart.svg()
