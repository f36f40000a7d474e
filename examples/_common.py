"""What the example scripts share: the three data sets, the losses each demo trains with, the metric, the picture.

Not an example itself (sphinx-gallery runs only the ``plot_*.py`` files). Every demo is the same on every framework:
the same data split, the same small MLP (its layer sizes here), Adam with the same learning rate, minibatches of 64,
and the same lossport loss functions; only the framework's training loop differs.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
from dataclasses import dataclass, field
from typing import Any

import numpy as np

SEED = 0
BATCH = 64


@dataclass(frozen=True)
class Demo:
    """A demo: its data, its network, and the losses it compares (``{loss: keywords}``)."""

    name: str
    title: str
    losses: dict[str, dict[str, Any]]
    hidden: tuple[int, ...]
    outputs: int
    epochs: int
    learning_rate: float
    metric: str  # "test MSE" or "test accuracy"
    quick_epochs: int = 3
    labels: dict[str, str] = field(default_factory=dict)  # how a loss wants the targets: "pm1" for ±1


DEMOS: dict[str, Demo] = {
    "regression": Demo(
        "regression", "make_regression: an MLP under five regression losses",
        {"mean_squared_error": {}, "mean_squared_logarithmic_error": {"clip_min": 0.0},
         "mean_absolute_error": {}, "huber": {"delta": 1.0}, "pseudo_huber": {"delta": 1.0}},
        hidden=(32,), outputs=1, epochs=40, learning_rate=1e-2, metric="test MSE",
    ),
    "circles": Demo(
        "circles", "make_circles: binary cross-entropy, hinge and squared hinge",
        {"binary_cross_entropy": {}, "hinge": {}, "squared_hinge": {}},
        hidden=(16, 16), outputs=1, epochs=60, learning_rate=1e-2, metric="test accuracy",
        labels={"hinge": "pm1", "squared_hinge": "pm1"},
    ),
    "digits": Demo(
        "digits", "load_digits: sparse softmax cross-entropy",
        {"sparse_softmax_cross_entropy": {}},
        hidden=(64,), outputs=10, epochs=20, learning_rate=3e-3, metric="test accuracy",
    ),
}


def data(demo: Demo, quick: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(x_train, y_train, x_test, y_test)`` as float32 (labels int64 for digits, 0/1 floats for circles).

    Regression targets are standardized and shifted to start at 0, so that the logarithmic loss sees no negative
    target. ``quick`` takes a small sample (the test suite's shortened run).
    """
    from sklearn.datasets import load_digits, make_circles, make_regression
    from sklearn.model_selection import train_test_split

    n = 176 if quick else 800
    if demo.name == "regression":
        x, y = make_regression(n_samples=n, n_features=8, n_informative=6, noise=10.0, random_state=SEED)
        y = (y - y.min()) / y.std()
    elif demo.name == "circles":
        x, y = make_circles(n_samples=n, noise=0.1, factor=0.5, random_state=SEED)
    else:
        x, y = load_digits(return_X_y=True)
        x = x / 16.0
        if quick:
            x, y = x[:256], y[:256]
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, random_state=SEED)
    mean, std = x_train.mean(0), x_train.std(0) + 1e-8
    x_train, x_test = (x_train - mean) / std, (x_test - mean) / std
    label_type = np.int64 if demo.name == "digits" else np.float32
    return (x_train.astype(np.float32), y_train.astype(label_type), x_test.astype(np.float32),
            y_test.astype(label_type))


def targets(demo: Demo, loss: str, y: np.ndarray) -> np.ndarray:
    """The labels as ``loss`` takes them: ±1 for the margin losses, else as they are."""
    return 2.0 * y - 1.0 if demo.labels.get(loss) == "pm1" else y


def metric(demo: Demo, loss: str, output: np.ndarray, y: np.ndarray) -> float:
    """Test MSE (regression), or accuracy: a score above 0 (hinge) or a probability above 1/2 is class 1."""
    output = np.asarray(output, dtype=np.float64)
    if demo.name == "regression":
        return float(np.mean((output.reshape(-1) - y) ** 2))
    if demo.name == "digits":
        return float(np.mean(output.argmax(-1) == y))
    threshold = 0.5 if loss == "binary_cross_entropy" else 0.0
    return float(np.mean((output.reshape(-1) > threshold) == (y > 0.5)))


def batches(n: int, epoch: int) -> list[np.ndarray]:
    """The minibatch indices of one epoch, shuffled reproducibly; the last partial batch is dropped (one shape for
    ``jax.jit``, which compiles again for every new shape)."""
    order = np.random.default_rng([SEED, epoch]).permutation(n)
    return [order[i:i + BATCH] for i in range(0, n - BATCH + 1, BATCH)]


def arguments(argv: list[str] | None = None) -> dict[str, Any]:
    """The command line every example takes: ``--quick`` (a shortened run) and ``--out DIR`` (the PNG's folder)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="a few epochs on a small sample (as the tests run)")
    parser.add_argument("--out", default=None, help="folder for the PNG (default: $LOSSPORT_EXAMPLES_OUT or "
                                                    "./lossport-examples)")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    return {"quick": args.quick, "out": args.out}


History = dict[str, dict[str, list[float]]]


def report(demo: Demo, framework: str, history: History, out: str | os.PathLike[str] | None) -> History:
    """Print each loss's final metric, save the curves as ``<demo>_<framework>.png``; return ``history``.

    ``history[loss]`` holds ``"loss"`` (the mean training loss of each epoch) and ``"metric"`` (the test metric
    after each epoch). The picture needs matplotlib; without it the numbers are still printed.
    """
    final = {loss: h["metric"][-1] for loss, h in history.items()}
    for loss, value in final.items():
        print(f"{demo.name:10} {framework:22} {loss:32} {demo.metric} {value:.4f}")
    try:
        import matplotlib
    except ImportError:
        print("(matplotlib is not installed: no picture; pip install 'lossport[plot]')")
        return history
    if "sphinx_gallery" not in sys.modules:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    for loss, h in history.items():
        epochs = np.arange(1, len(h["loss"]) + 1)
        left.plot(epochs, h["loss"], label=loss)
        right.plot(epochs, h["metric"], label=loss)
    left.set(title="training loss (each loss on its own scale)", xlabel="epoch", yscale="log")
    right.set(title=demo.metric, xlabel="epoch")
    right.legend(fontsize=8)
    fig.suptitle(f"{demo.title} ({framework})", fontsize=10)
    fig.tight_layout()
    folder = pathlib.Path(out or os.environ.get("LOSSPORT_EXAMPLES_OUT", "lossport-examples"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{demo.name}_{framework.replace('+', '_')}.png"
    fig.savefig(path, dpi=80)
    print(f"loss curves: {path}")
    if "sphinx_gallery" not in sys.modules:  # the gallery shows the open figure
        plt.close(fig)
    return history
