"""``lossport plot`` and ``lossport parity --plot``: the numbers drawn, and the images written.

The curves are checked against closed forms worked by hand; the images only for being written (what they look
like is for a person to judge: `lossport plot huber --out huber.png`). Tests that write an image need matplotlib
(the ``plot`` extra) and skip without it.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from lossport.backends.parity import plot
from lossport.backends.parity.runner import Row
from support import BACKENDS

from lossport.__main__ import main
from lossport._registry import LOSSES

AUTODIFF = [b for b in BACKENDS if b in ("jax", "torch", "tensorflow")]


def test_every_sweep_is_a_registry_loss() -> None:
    assert set(plot.SWEEPS) <= set(LOSSES)
    assert plot.plottable("margin") == ["hinge", "squared_hinge", "soft_margin", "perceptron"]


@pytest.mark.parametrize("loss", plot.plottable())
def test_every_drawable_loss_draws_on_numpy(loss: str) -> None:
    """Each sweep builds valid inputs: finite values and finite-difference slopes over the default span."""
    d = plot.curves(loss, ["numpy"], points=21)
    values, slope = d["backends"]["numpy"]
    assert values.shape == slope.shape == (21,)
    assert np.isfinite(values).all() and np.isfinite(slope).all()


def test_huber_curves_match_the_closed_form() -> None:
    """huber(e; δ) = e²/2 for |e| ≤ δ, δ(|e| − δ/2) beyond; its derivative is clip(e, −δ, δ) (by hand)."""
    delta = 0.5
    d = plot.curves("huber", BACKENDS, {"delta": delta}, span=(-2.0, 2.0), points=40)  # step 4/39: no point on ±δ
    e = d["x"]
    value = np.where(np.abs(e) <= delta, e**2 / 2, delta * (np.abs(e) - delta / 2))
    slope = np.clip(e, -delta, delta)
    for name, (values, grad) in d["backends"].items():
        np.testing.assert_allclose(values, value, rtol=1e-12, atol=1e-15, err_msg=name)
        if name == "array_api_strict":
            assert grad is None  # no autodiff: values only
            continue
        # NumPy's slope is a central difference with step 1e-6·max(1, |e|): exact on the quadratic and linear
        # pieces up to the rounding of the difference (~1e-16 / 1e-6); no step straddles a kink at ±δ.
        tol = 1e-8 if name == "numpy" else 1e-12
        np.testing.assert_allclose(grad, slope, rtol=0, atol=tol, err_msg=name)
    for anchor_id, values in d["anchors"].items():  # torch.huber_loss, keras.Huber, optax.huber_loss, tf.v1
        np.testing.assert_allclose(values, value, rtol=1e-6, atol=1e-7, err_msg=anchor_id)


@pytest.mark.skipif(not AUTODIFF, reason="no autodiff framework installed")
def test_softmax_cross_entropy_curve_is_the_true_logits_derivative() -> None:
    """With the other two logits at 0: loss = log(eˣ + 2) − x, d/dx = eˣ/(eˣ + 2) − 1 (by hand)."""
    d = plot.curves("sparse_softmax_cross_entropy", AUTODIFF, points=25)
    x = d["x"]
    for name, (values, grad) in d["backends"].items():
        np.testing.assert_allclose(values, np.log(np.exp(x) + 2) - x, rtol=1e-12, err_msg=name)
        np.testing.assert_allclose(grad, np.exp(x) / (np.exp(x) + 2) - 1, rtol=1e-12, atol=1e-15, err_msg=name)


def test_a_loss_without_an_axis_is_refused() -> None:
    with pytest.raises(ValueError, match=r"no one-dimensional axis.*the drawable losses are: .*huber"):
        plot.curves("ctc", ["numpy"])


def test_heatmap_grid() -> None:
    """Backends first, then one column per anchor framework holding the worst of its anchors; errors are inf."""
    rows = [
        Row("huber", "numpy-float64", "numpy", 4, 0.1),
        Row("huber", "numpy-float64", "torch", 4, 0.3),
        Row("huber", "torch.huber_loss", "torch", 4, 0.5),
        Row("huber", "keras.Huber", "keras", 4, 2.0),
        Row("hinge", "numpy-float64", "numpy", 4, 0.2, error="case/float32: ValueError: boom"),
        Row("hinge", "keras.Hinge", "keras", 4, 0.7),
        Row("hinge", "keras.SquaredHinge", "keras", 4, 0.9),
    ]
    losses, columns, worst, failed = plot.heatmap_grid(rows)
    assert losses == ["huber", "hinge"]
    assert columns == ["numpy", "torch", "anchor: torch", "anchor: keras"]
    np.testing.assert_array_equal(worst[0], [0.1, 0.3, 0.5, 2.0])
    assert worst[1, 0] == math.inf and np.isnan(worst[1, 1]) and worst[1, 3] == 0.9
    assert failed.tolist() == [[False] * 4, [True, False, False, False]]


# --- images (matplotlib)


def test_plot_command_writes_a_family_sheet(tmp_path) -> None:
    pytest.importorskip("matplotlib")
    out = tmp_path / "margin.png"
    assert main(["plot", "--family", "margin", "--backends", "numpy", "--range", "-1", "2", "--out", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_command_usage_errors(capsys, tmp_path) -> None:
    pytest.importorskip("matplotlib")
    out = str(tmp_path / "x.png")
    assert main(["plot", "ctc", "--backends", "numpy", "--out", out]) == 2
    assert "no one-dimensional axis" in capsys.readouterr().err
    assert main(["plot", "hinge", "--knob", "delta=0.25", "--backends", "numpy", "--out", out]) == 2
    assert "no loss drawn takes the keyword(s) ['delta']" in capsys.readouterr().err
    assert main(["plot", "huber", "--family", "margin", "--out", out]) == 2
    assert main(["plot", "huber", "--range", "2", "1", "--backends", "numpy", "--out", out]) == 2


def test_parity_plot_writes_a_heat_map(tmp_path, capsys) -> None:
    pytest.importorskip("matplotlib")
    out = tmp_path / "parity.png"
    assert main(["parity", "--losses", "huber", "--backends", "numpy", "--jobs", "1", "--plot", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"heat map: {out}" in capsys.readouterr().out
