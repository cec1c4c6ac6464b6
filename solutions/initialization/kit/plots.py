"""Plotting helpers for the experiments (provided code, not graded).

matplotlib is imported inside each function, never when labkit is imported: grading imports labkit and
must stay fast, and it must work without a display. Each function draws one figure and returns it
(in a notebook, end the line with `;` or assign the result so the figure is shown once).
"""

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def _pyplot():  # the pyplot module, imported on first use
    import matplotlib.pyplot as plt

    return plt


def cost_curves(costs: Mapping[str, Sequence[float]], title: str = "Cost during training",
                log_scale: bool = False) -> "Figure":
    """Several cost curves on one axes, e.g. {"zeros": costs, "he": costs}; each is one value per iteration."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    for label, values in costs.items():
        values = np.asarray(values, dtype=np.float64)
        ax.plot(np.arange(values.size), values, label=label)
    ax.set_xlabel("iteration")
    ax.set_ylabel("cost (cross-entropy)")
    if log_scale:
        ax.set_yscale("log")
    ax.set_title(title)
    ax.legend()
    ax.grid(alpha=0.3)
    return fig


def data_set(X: np.ndarray, Y: np.ndarray, title: str = "The data set") -> "Figure":
    """The points of a 2-feature data set, coloured by class, with labelled axes and a class legend.

    Arguments:
    X -- (m, 2) points; Y -- (m, 1) or (m,) their labels in {0, 1}
    """
    fig, ax = _pyplot().subplots(figsize=(5, 5.6))
    _classes(ax, X, Y)
    ax.set_title(title)
    return fig


def decision_boundary(predict: Callable[[np.ndarray], np.ndarray], X: np.ndarray, Y: np.ndarray,
                      title: str = "Decision boundary", resolution: int = 200) -> "Figure":
    """What a classifier outputs over the plane, its decision boundary (output 0.5), and the data on top.

    The background is the output itself, from blue (0, class 0) through grey (0.5, undecided) to red (1, class 1),
    so a network that outputs 0.5 everywhere shows as one flat grey region, with no boundary drawn.

    Arguments:
    predict -- takes points (k, 2) and returns k predictions, shape (k,) or (k, 1): probabilities of class 1
               (or labels in {0, 1})
    X -- (m, 2) points to draw; Y -- (m, 1) or (m,) their labels in {0, 1}
    """
    X = np.asarray(X, dtype=np.float64)
    pad = 0.25
    xs = np.linspace(X[:, 0].min() - pad, X[:, 0].max() + pad, resolution)
    ys = np.linspace(X[:, 1].min() - pad, X[:, 1].max() + pad, resolution)
    grid_x, grid_y = np.meshgrid(xs, ys)
    output = np.asarray(predict(np.column_stack([grid_x.ravel(), grid_y.ravel()])), dtype=np.float64)
    output = output.reshape(grid_x.shape)
    fig, ax = _pyplot().subplots(figsize=(6, 5.6))
    # 11 bands, the middle one centred on 0.5: an output of exactly 0.5 is grey, not the edge of a class colour.
    shading = ax.contourf(grid_x, grid_y, output, levels=np.linspace(0.0, 1.0, 12), cmap="coolwarm", alpha=0.45)
    fig.colorbar(shading, ax=ax, ticks=[0.0, 0.25, 0.5, 0.75, 1.0], label="network output: probability of class 1")
    if output.max() - output.min() < 1e-6:  # constant up to round-off: a boundary drawn here would be noise
        ax.plot([], [], " ", label=f"output {output.mean():.3f} everywhere: no decision boundary")
    elif output.min() < 0.5 < output.max():
        ax.contour(grid_x, grid_y, output, levels=[0.5], colors="k", linewidths=1.2)
        ax.plot([], [], color="k", linewidth=1.2, label="decision boundary (output 0.5)")
    _classes(ax, X, Y)
    ax.set_title(title)
    return fig


def _classes(ax: "Axes", X: np.ndarray, Y: np.ndarray) -> None:
    """Scatter the points of each class in its colour, label the axes, and add the legend."""
    X, Y = np.asarray(X, dtype=np.float64), np.asarray(Y).reshape(-1)
    for label, color in ((0, "tab:blue"), (1, "tab:red")):
        chosen = np.equal(Y, label)
        ax.scatter(X[chosen, 0], X[chosen, 1], color=color, edgecolors="k", linewidths=0.5, s=18,
                   label=f"class {label} ({int(chosen.sum())} points)")
    ax.set_xlabel("feature 1 (x₁)")
    ax.set_ylabel("feature 2 (x₂)")
    ax.set_aspect("equal")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), fontsize=8, frameon=False)
    ax.figure.tight_layout()


def activation_histograms(activations: Sequence[np.ndarray], title: str = "Activations per layer",
                          bins: int = 50, max_layers: int = 6) -> "Figure":
    """One histogram per hidden layer of the values of its activations (any shape, e.g. (m, n_l)).

    With more than `max_layers` layers, an evenly spaced selection is drawn (always the first and last).
    """
    plt = _pyplot()
    layers = list(range(len(activations)))
    if len(layers) > max_layers:
        layers = sorted(set(np.linspace(0, len(layers) - 1, max_layers).round().astype(int).tolist()))
    fig, axes = plt.subplots(1, len(layers), figsize=(2.0 * len(layers), 2.6), sharey=True, squeeze=False)
    for ax, index in zip(axes[0], layers, strict=True):
        ax.hist(np.asarray(activations[index], dtype=np.float64).ravel(), bins=bins, color="tab:blue")
        ax.set_title(f"layer {index + 1}", fontsize=9)
        ax.tick_params(labelsize=7)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def layer_statistics(runs: Mapping[str, Sequence[Mapping[str, float]]], key: str = "std",
                     title: str | None = None, log_scale: bool = True, xlabel: str = "hidden layer") -> "Figure":
    """One line per run: statistic `key` of every hidden layer against the layer number.

    Arguments:
    runs -- {"He": stats, ...} where stats is a list with one dict per hidden layer, as returned by
            activation_statistics (keys "mean", "std", "saturated_fraction")
    key -- which statistic to draw
    log_scale -- a logarithmic y axis (right for "std", which can shrink by many orders of magnitude)
    xlabel -- what the entries are numbered by (e.g. "layer" when the output layer is included)
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    for label, stats in runs.items():
        values = np.array([layer[key] for layer in stats], dtype=np.float64)
        ax.plot(np.arange(1, values.size + 1), values, marker="o", markersize=3, label=label)
    if log_scale:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(key)
    ax.set_title(title or f"{key} of the activations, layer by layer")
    ax.legend()
    ax.grid(alpha=0.3)
    return fig
