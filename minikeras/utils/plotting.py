"""`plot_history`: loss and metric curves of a `fit`, drawn with matplotlib (the `plot` extra)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    import os

    from matplotlib.figure import Figure

    from minikeras.callbacks import History


def plot_history(
    history: History | dict[str, list],
    path: str | os.PathLike[str] | None = None,
    metrics: Sequence[str] | None = None,
    title: str | None = None,
) -> Figure:
    """Draw the training (and validation) curves of a `History`.

    One panel per quantity: loss first, then each metric, with the training curve
    solid and the validation curve (`val_...`) dashed, against the epoch (1-based).

    Args:
        history: the `History` returned by `fit`, or its `.history` dict.
        path: where to save the figure as a PNG (None: only return it).
        metrics: the quantities to draw (default: every key without a `val_`
            twin prefix, except `learning_rate`).
        title: a title over the panels.

    Returns:
        The matplotlib Figure.

    Raises:
        ImportError: when matplotlib is not installed, saying how to install it.
    """
    try:
        import matplotlib

        if path is not None:
            matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator
    except ImportError:
        raise ImportError(
            "plot_history needs matplotlib: pip install 'minikeras[plot]' (or pip install matplotlib)."
        ) from None
    logs = cast("dict[str, list]", getattr(history, "history", history))
    epochs = list(getattr(history, "epoch", []) or range(len(next(iter(logs.values()), []))))
    if metrics is None:
        metrics = [key for key in logs if not key.startswith("val_") and key != "learning_rate"]
    if not metrics:
        raise ValueError("The history has nothing to plot: fit it for at least one epoch first.")
    figure, axes = plt.subplots(1, len(metrics), figsize=(4.5 * len(metrics), 3.5), squeeze=False)
    for axis, key in zip(axes[0], metrics):
        x = [e + 1 for e in epochs][: len(logs[key])]
        axis.plot(x, logs[key], marker="o", label=f"training {key}")
        if f"val_{key}" in logs:
            axis.plot(
                x[: len(logs[f"val_{key}"])], logs[f"val_{key}"], marker="o", linestyle="--", label=f"validation {key}"
            )
        axis.set_xlabel("epoch")
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
        axis.set_title(key)
        axis.grid(alpha=0.3)
        axis.legend()
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    if path is not None:
        figure.savefig(path, dpi=100)
    return figure
