"""The class summary's plots, as PNG bytes (matplotlib, Agg backend, no metadata: same data, same bytes)."""

import io
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _figure(width: float, height: float) -> "Figure":
    from matplotlib.figure import Figure  # a bare Figure uses Agg through savefig, never a display

    return Figure(figsize=(width, height), dpi=100)


def _png(fig: "Figure") -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def score_histogram(scores: Mapping[float, int], max_score: float) -> bytes:
    """How many submissions reached each score, from {score: submissions}."""
    fig = _figure(7, 3.2)
    ax = fig.add_subplot()
    bins = max(1, min(27, int(max_score) or 1))
    ax.hist(list(scores), weights=list(scores.values()), bins=bins, range=(0, max_score or 1), color="#2f81f7",
            edgecolor="white")
    ax.set_xlabel(f"score (out of {max_score:g})")
    ax.set_ylabel("submissions")
    ax.set_title("Score distribution")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return _png(fig)


def check_outcomes(checks: Sequence[str], shares: dict[str, Sequence[float]], colors: dict[str, str]) -> bytes:
    """One stacked bar per check: the share of submissions in each outcome (e.g. wrong, not attempted)."""
    fig = _figure(8, 0.28 * len(checks) + 1.2)
    ax = fig.add_subplot()
    positions = list(range(len(checks)))[::-1]
    left = [0.0] * len(checks)
    for label, values in shares.items():
        ax.barh(positions, values, left=left, color=colors[label], label=label, height=0.7)
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.set_yticks(positions, checks, fontsize=7)
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of submissions that did not pass")
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return _png(fig)


def counts_bar(labels: Sequence[str], counts: Sequence[int], title: str) -> bytes:
    """A horizontal bar per label, largest first (e.g. the commonest misconceptions)."""
    fig = _figure(8, 0.32 * len(labels) + 1.2)
    ax = fig.add_subplot()
    positions = list(range(len(labels)))[::-1]
    ax.barh(positions, counts, color="#8250df", height=0.7)
    ax.set_yticks(positions, labels, fontsize=7)
    ax.set_xlabel("submissions")
    ax.set_title(title)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return _png(fig)


def check_figure(figure: dict) -> bytes:
    """A verdict's figure (plain data): kind "per_layer" draws one line per series over the layers,
    "yours" solid and "reference" dashed in the same colour, on a log scale when figure["log"];
    kind "histogram" draws your density as bars over figure["centres"] and the expected one as a line."""
    if figure["kind"] == "histogram":
        return _histogram_figure(figure)
    fig = _figure(7, 3.6)
    ax = fig.add_subplot()
    colors: dict[str, str] = {}
    palette = ["#cf222e", "#2f81f7", "#2da44e", "#8250df", "#bf8700"]
    for label, values in sorted(figure["series"].items()):  # journals sort keys: the picture must not care
        kind, _, name = label.partition(": ")
        color = colors.setdefault(name, palette[len(colors) % len(palette)])
        layers = range(1, len(values) + 1)
        ax.plot(layers, [max(v, 1e-300) for v in values], color=color, label=label,
                linestyle="--" if kind == "reference" else "-", linewidth=1.2 if kind == "reference" else 2)
    if figure.get("log"):
        ax.set_yscale("log")
    ax.set_xlabel("hidden layer")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_ylabel(figure["ylabel"])
    ax.set_title(figure["title"])
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncols=2)
    fig.tight_layout()
    return _png(fig)


def _histogram_figure(figure: dict) -> bytes:
    fig = _figure(7, 3.2)
    ax = fig.add_subplot()
    centres = figure["centres"]
    width = centres[1] - centres[0]
    for label, values in sorted(figure["series"].items()):
        if label == "yours":
            ax.bar(centres, values, width=width, color="#cf222e", alpha=0.6, label="your weights")
        else:
            ax.plot(centres, values, color="#1f2328", linestyle="--", linewidth=1.5, label=label)
    ax.set_xlabel(figure["xlabel"])
    ax.set_ylabel("density")
    ax.set_title(figure["title"], fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return _png(fig)
