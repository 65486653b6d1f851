"""The confusion matrix of a classifier's :class:`Scores` as a figure a run logs. The scores
themselves are the model's (``textops.model``): computing them needs no tracking."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from textops.model import Scores

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["confusion_figure"]


def confusion_figure(metrics: Scores) -> Figure:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cm = np.asarray(metrics.confusion_matrix)
    labels = metrics.labels
    fig, ax = plt.subplots(figsize=(1.2 + 0.7 * len(labels), 1 + 0.6 * len(labels)))
    ax.imshow(cm, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for i in range(cm.shape[0]):
        for j in range(cm.shape[1]):
            ax.text(
                j,
                i,
                str(cm[i, j]),
                ha="center",
                va="center",
                color="white" if cm[i, j] > cm.max() / 2 else "black",
            )
    ax.set_title(f"test: accuracy {metrics.accuracy:.3f}, macro-F1 {metrics.macro_f1:.3f}")
    fig.tight_layout()
    return fig
