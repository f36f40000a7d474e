"""Pictures: each loss and its gradient over its natural axis on every backend, and the parity report as a heat map.

``lossport plot`` and ``lossport parity --plot`` call these, and so does the documentation site's build. matplotlib
(the ``plot`` extra) is imported here, with the Agg backend: nothing needs a display.

A loss is drawn over one variable, its *natural axis*, with every other input held fixed (:data:`SWEEPS`):

- the error ``prediction − target`` (target 0) for the regression losses, or the prediction against a target of 1
  where the loss needs positive values (``mean_squared_logarithmic_error``, ``poisson_nll``, ...);
- the margin ``y·f(x)`` (label +1) for the binary margin losses, and the logit of the positive class for the
  sigmoid losses;
- the logit of the true class, the two other logits at 0, for the softmax cross-entropies;
- the probability of the true class for ``binary_cross_entropy``, its log for ``nll``.

Each point is one element of the unreduced loss (``reduction="none"``), so the gradient of their sum is the
derivative of the drawn curve. Gradients come from each framework's own autodiff (``jax.grad``, torch autograd,
``tf.GradientTape``); NumPy's is a float64 central finite difference (step ``1e-6·max(1, |x|)``, drawn as
"numpy (finite difference)"); array-api-strict has no autodiff and draws values only. Every backend computes in
float64 on the host. Native anchors (torch, Keras, optax, TensorFlow) are drawn dashed, values only; an anchor that
cannot return the unreduced loss for these inputs (scikit-learn's metrics reduce) is left out and named in the
returned notes.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from lossport.backends.parity import runner as parity
from lossport.backends.parity.cases import Case

__all__ = ["SWEEPS", "Sweep", "curves", "heatmap_grid", "parity_heatmap", "plot_losses", "plottable"]

POINTS = 241  # odd, so that 0 is a point of the symmetric default spans


@dataclass(frozen=True)
class Sweep:
    """How a loss is drawn: its inputs as a function of the variable ``x`` (shape ``(N,)``) on the axis ``label``.

    ``build(x)`` returns the positional arguments; the first one holds ``x`` (the whole array, or its column 0 when
    ``column`` is set) and is the one differentiated. ``kwargs`` are fixed keywords; ``span`` the default range.
    """

    label: str
    span: tuple[float, float]
    build: Callable[[np.ndarray], tuple[Any, ...]]
    column: bool = False
    kwargs: Mapping[str, Any] = field(default_factory=dict)


def _error(x: np.ndarray) -> tuple[Any, ...]:
    return x, np.zeros_like(x)


def _against_one(x: np.ndarray) -> tuple[Any, ...]:
    return x, np.ones_like(x)


def _gaussian(x: np.ndarray) -> tuple[Any, ...]:
    return x, np.zeros_like(x), np.ones_like(x)


def _true_logit(x: np.ndarray, classes: int = 3) -> np.ndarray:
    logits = np.zeros((x.size, classes))
    logits[:, 0] = x
    return logits


def _sparse(x: np.ndarray) -> tuple[Any, ...]:
    return _true_logit(x), np.zeros(x.size, dtype=np.int64)


def _one_hot(x: np.ndarray) -> tuple[Any, ...]:
    labels = np.zeros((x.size, 3))
    labels[:, 0] = 1.0
    return _true_logit(x), labels


def _log_probability(x: np.ndarray) -> tuple[Any, ...]:
    rest = np.log((1.0 - np.exp(x)) / 2.0)
    logp = np.stack([x, rest, rest], axis=1)
    return logp, np.zeros(x.size, dtype=np.int64)


_ERROR = "error: prediction − target"
_MARGIN = "margin y·f(x) (label +1)"
_SOFTMAX = "logit of the true class (2 others at 0)"

SWEEPS: dict[str, Sweep] = {
    **{name: Sweep(_ERROR, (-3.0, 3.0), _error) for name in (
        "mean_squared_error", "mean_absolute_error", "huber", "pseudo_huber", "smooth_l1", "log_cosh", "quantile",
        "tweedie_deviance")},
    "wing": Sweep(_ERROR, (-15.0, 15.0), _error),
    "gaussian_nll": Sweep(_ERROR + " (variance 1)", (-3.0, 3.0), _gaussian),
    "mean_squared_logarithmic_error": Sweep("prediction (target 1)", (0.0, 5.0), _against_one),
    "mean_absolute_percentage_error": Sweep("prediction (target 1)", (-1.0, 3.0), _against_one),
    "poisson_nll": Sweep("log rate (target count 1)", (-3.0, 3.0), _against_one),
    **{name: Sweep(_MARGIN, (-2.0, 3.0), _against_one) for name in (
        "hinge", "squared_hinge", "soft_margin", "perceptron")},
    **{name: Sweep("logit (label 1)", (-6.0, 6.0), _against_one) for name in (
        "binary_cross_entropy_with_logits", "sigmoid_focal")},
    "binary_cross_entropy": Sweep("probability of the true class (label 1)", (0.005, 0.995), _against_one),
    "sparse_softmax_cross_entropy": Sweep(_SOFTMAX, (-6.0, 6.0), _sparse, column=True),
    **{name: Sweep(_SOFTMAX, (-6.0, 6.0), _one_hot, column=True) for name in (
        "softmax_cross_entropy", "categorical_focal", "poly1_cross_entropy")},
    "nll": Sweep("log-probability of the true class", (-5.0, -0.01), _log_probability, column=True),
}

_STYLE = {  # wide to narrow, so that lines that agree stay visible on top of each other
    "numpy": ("tab:blue", 6.0), "array_api_strict": ("tab:purple", 4.5), "jax": ("tab:green", 3.2),
    "torch": ("tab:orange", 2.0), "tensorflow": ("tab:red", 1.0),
}


def plottable(family: str | None = None) -> list[str]:
    """The losses that have a natural axis (of ``family``), in the registry's order."""
    from lossport._registry import LOSSES

    return [n for n, r in LOSSES.items() if n in SWEEPS and family in (None, r.family)]


def _case(loss: str, x: np.ndarray, knobs: Mapping[str, Any]) -> Case:
    sweep = SWEEPS[loss]
    return Case(loss, "plot", sweep.build(x), {**sweep.kwargs, **knobs, "reduction": "none"})


def _on_backend(loss: str, case: Case, backend: str) -> tuple[np.ndarray, np.ndarray | None]:
    """The unreduced loss on ``backend`` in float64, and its derivative along the axis (None without autodiff)."""
    import lossport

    fn = getattr(lossport, loss)
    column = SWEEPS[loss].column
    leaves, rebuild = parity.bind(case, backend, "float64")

    def call(first: Any) -> Any:
        args, kwargs = rebuild([first, *leaves[1:]])
        return fn(*args, **kwargs)

    values = parity.to_numpy(call(leaves[0]))
    grad: Any = None
    if backend == "numpy":
        x = leaves[0]
        step = np.zeros_like(x)
        h = step[:, 0] if column else step  # a view: filling it fills the step along the axis only
        h[...] = 1e-6 * np.maximum(1.0, np.abs(x[:, 0] if column else x))
        return values, (parity.to_numpy(call(x + step)) - parity.to_numpy(call(x - step))) / (2 * h)
    if backend == "jax":
        import jax
        import jax.numpy as jnp

        grad = jax.grad(lambda a: jnp.sum(call(a)))(leaves[0])
    elif backend == "torch":
        a = leaves[0].detach().clone().requires_grad_(True)
        call(a).sum().backward()
        grad = a.grad
    elif backend == "tensorflow":
        tf = parity.import_backend("tensorflow")
        with tf.GradientTape() as tape:
            tape.watch(leaves[0])
            total = tf.reduce_sum(call(leaves[0]))
        grad = tape.gradient(total, leaves[0])
    if grad is None:
        return values, None
    g = parity.to_numpy(grad)
    return values, g[:, 0] if column else g


def curves(
    loss: str,
    backends: Sequence[str] | None = None,
    knobs: Mapping[str, Any] | None = None,
    span: tuple[float, float] | None = None,
    points: int = POINTS,
) -> dict[str, Any]:
    """What :func:`plot_losses` draws for one loss, as NumPy arrays.

    ``{"x": x, "backends": {name: (values, gradient or None)}, "anchors": {id: values}, "notes": [str]}``.
    """
    from lossport._registry import LOSSES

    if loss not in SWEEPS:
        known = ", ".join(plottable())
        msg = f"`{loss}` has no one-dimensional axis to draw it over; the drawable losses are: {known}"
        raise ValueError(msg)
    lo, hi = span if span is not None else SWEEPS[loss].span
    if not lo < hi:
        msg = f"the range must have LO < HI; got {lo} {hi}"
        raise ValueError(msg)
    x = np.linspace(lo, hi, points)
    case = _case(loss, x, knobs or {})
    names = list(backends) if backends is not None else parity.available_backends()
    unknown = [b for b in names if b not in parity.BACKENDS]
    if unknown:
        msg = f"unknown backend(s) {unknown}; choose from {parity.BACKENDS}"
        raise ValueError(msg)
    out: dict[str, Any] = {"x": x, "backends": {}, "anchors": {}, "notes": []}
    for name in names:
        parity.import_backend(name)
        out["backends"][name] = _on_backend(loss, case, name)
    from lossport.backends.parity import anchors as anchor_table

    for anchor_id in LOSSES[loss].anchors:
        anchor = anchor_table.ANCHORS[anchor_id]
        if not anchor_table.installed(anchor.framework):
            continue
        try:
            native = anchor.fn(case, "float64")
        except Exception as e:  # a native API that refuses these inputs is named, not drawn
            out["notes"].append(f"{anchor_id}: {type(e).__name__}: {e}")
            continue
        values = None if native is None else parity.to_numpy(native)
        if values is None or values.shape != x.shape:
            out["notes"].append(f"{anchor_id}: no unreduced values for these inputs, not drawn")
            continue
        out["anchors"][anchor_id] = values
    return out


def _pyplot() -> Any:
    import matplotlib

    if os.environ.get("MPLBACKEND") is None:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _accepted(loss: str, knobs: Mapping[str, Any]) -> dict[str, Any]:
    """The knobs that ``loss`` takes: on a sheet of several losses, ``delta`` goes to those that have it."""
    import inspect

    import lossport

    params = inspect.signature(getattr(lossport, loss)).parameters
    return {k: v for k, v in knobs.items() if k in params}


def _steady(ax: Any) -> None:
    """A flat curve (``nll``'s slope is −1 everywhere) drawn flat: no axis zoomed onto rounding noise."""
    ys = [np.asarray(line.get_ydata(), dtype=float) for line in ax.get_lines()]
    ys = [y[np.isfinite(y)] for y in ys if y.size]
    if not ys or not any(y.size for y in ys):
        return
    y = np.concatenate(ys)
    mid, scale = float(np.median(y)), max(1.0, float(np.abs(y).max()))
    if np.ptp(y) < 1e-6 * scale:
        ax.set_ylim(mid - 0.5 * scale, mid + 0.5 * scale)


def _knob_text(knobs: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in knobs.items())


def plot_losses(
    losses: Sequence[str],
    out: str | os.PathLike[str],
    *,
    backends: Sequence[str] | None = None,
    knobs: Mapping[str, Any] | None = None,
    span: tuple[float, float] | None = None,
    title: str | None = None,
) -> str:
    """Draw each loss (one row: value, gradient) on every backend and its anchors; write the PNG ``out``."""
    knobs = dict(knobs or {})
    taken = {loss: _accepted(loss, knobs) for loss in losses}
    unused = [k for k in knobs if not any(k in t for t in taken.values())]
    if unused:
        msg = f"no loss drawn takes the keyword(s) {unused}"
        raise ValueError(msg)
    data = [curves(loss, backends, taken[loss], span) for loss in losses]
    plt = _pyplot()
    fig, axes = plt.subplots(len(losses), 2, figsize=(11, 3.2 * len(losses)), squeeze=False)
    for (ax_value, ax_grad), loss, d in zip(axes, losses, data):
        x = d["x"]
        for name, (values, grad) in d["backends"].items():
            color, width = _STYLE[name]
            ax_value.plot(x, values, color=color, lw=width, alpha=0.75, label=name, solid_capstyle="butt")
            if grad is not None:
                label = f"{name} (finite difference)" if name == "numpy" else name
                ax_grad.plot(x, grad, color=color, lw=width, alpha=0.75, label=label, solid_capstyle="butt")
        for i, (anchor_id, values) in enumerate(d["anchors"].items()):
            ax_value.plot(x, values, color=f"C{(i + 5) % 10}", lw=1.2, ls=(0, (4, 3)), label=anchor_id)
        suffix = f" ({_knob_text(taken[loss])})" if taken[loss] else ""
        ax_value.set_title(f"{loss}{suffix}", fontsize=10)
        ax_grad.set_title(f"d {loss} / dx", fontsize=10)
        for ax in (ax_value, ax_grad):
            _steady(ax)
            ax.set_xlabel(SWEEPS[loss].label, fontsize=8)
            ax.grid(alpha=0.3)
            ax.tick_params(labelsize=8)
            if x[0] < 0 < x[-1]:
                ax.axvline(0.0, color="0.6", lw=0.6)
        ax_value.legend(fontsize=7, loc="best")
        ax_grad.legend(fontsize=7, loc="best")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(out, dpi=90)
    plt.close(fig)
    return os.fspath(out)


def heatmap_grid(rows: Sequence[parity.Row]) -> tuple[list[str], list[str], np.ndarray, np.ndarray]:
    """``(losses, columns, worst, failed)``: what :func:`parity_heatmap` colours.

    A column per backend (``numpy``, ``jax``, ...) and per anchor framework (``anchor: torch``, ...): an anchor
    column takes the worst of that framework's anchors for the loss. ``worst`` is the worst error in units of the
    tolerance, ``inf`` for a row that raised, NaN for a pair not run; ``failed`` marks errors and non-finite
    mismatches.
    """
    losses = list(dict.fromkeys(r.loss for r in rows))
    columns = [b for b in parity.BACKENDS if any(r.against == "numpy-float64" and r.backend == b for r in rows)]
    columns += list(dict.fromkeys(f"anchor: {r.backend}" for r in rows if r.against != "numpy-float64"))
    worst = np.full((len(losses), len(columns)), np.nan)
    failed = np.zeros(worst.shape, dtype=bool)
    for r in rows:
        i = losses.index(r.loss)
        j = columns.index(r.backend if r.against == "numpy-float64" else f"anchor: {r.backend}")
        value = math.inf if r.error else r.worst
        worst[i, j] = value if np.isnan(worst[i, j]) else max(worst[i, j], value)
        failed[i, j] |= bool(r.error) or not math.isfinite(r.worst)
    return losses, columns, worst, failed


def parity_heatmap(rows: Sequence[parity.Row], out: str | os.PathLike[str]) -> str:
    """The parity report as a heat map (:func:`heatmap_grid`), written to the PNG ``out``.

    The colour is the worst error in units of the tolerance on a log scale: green below 1 (passes), red above;
    ``✗`` marks an error (an exception or a non-finite mismatch), grey a pair not run.
    """
    plt = _pyplot()
    from matplotlib.colors import TwoSlopeNorm

    losses, columns, grid, failed = heatmap_grid(rows)
    shown = np.log10(np.clip(np.where(np.isfinite(grid), grid, 1e3), 1e-4, 1e3))
    shown = np.ma.masked_where(np.isnan(grid), shown)
    fig, ax = plt.subplots(figsize=(0.8 * len(columns) + 4, 0.24 * len(losses) + 1.8))
    cmap = plt.get_cmap("RdYlGn_r").with_extremes(bad="0.85")
    image = ax.imshow(shown, cmap=cmap, norm=TwoSlopeNorm(vmin=-4, vcenter=0, vmax=3), aspect="auto")
    for i, j in zip(*np.nonzero(failed)):
        ax.text(j, i, "✗", ha="center", va="center", fontsize=8, color="black")
    ax.set_xticks(range(len(columns)), columns, rotation=40, ha="right", fontsize=8)
    ax.set_yticks(range(len(losses)), losses, fontsize=7)
    bar = fig.colorbar(image, ax=ax, fraction=0.04)
    bar.set_label("log10(worst error / tolerance): ≤ 0 passes", fontsize=8)
    ok = sum(r.ok for r in rows)
    ax.set_title(f"lossport parity: {ok} passed, {len(rows) - ok} failed", fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=90)
    plt.close(fig)
    return os.fspath(out)
