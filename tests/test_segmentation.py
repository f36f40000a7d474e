"""The segmentation losses of Catalog II: the Lovász losses and focal Tversky.

Where a number comes from: "hand" values are derived in the comment beside them; "Berman" is a float64 reference
written below from the paper's Algorithm 1 and its published reference code (github.com/bermanmaxim/LovaszSoftmax,
``lovasz_losses.py``: ``lovasz_grad``, ``lovasz_hinge_flat``, ``lovasz_softmax_flat``), never lossport's own code;
kornia (0.9) is the installed native anchor (tests/test_anchors.py runs it on the parity cases; the conventions it
does not share are pinned here).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from lossport.backends import parity
from support import backend_params, device_for, framework, value

import lossport

F32, F64 = np.float32, np.float64


# ---------------------------------------------------------------------------------------------------------------
# Berman's reference, float64


def _jaccard_increments(gt_sorted: np.ndarray) -> np.ndarray:
    """``lovasz_grad``: the increments of ``1 − I/U`` along the errors' decreasing order."""
    gts = gt_sorted.sum()
    intersection = gts - np.cumsum(gt_sorted)
    union = gts + np.cumsum(1.0 - gt_sorted)
    jaccard = 1.0 - intersection / union
    jaccard[1:] = jaccard[1:] - jaccard[:-1]
    return jaccard


def _berman_extension(errors: np.ndarray, fg: np.ndarray) -> float:
    order = np.argsort(-errors, kind="stable")
    return float(np.dot(errors[order], _jaccard_increments(fg[order].astype(F64))))


def berman_hinge(z: np.ndarray, y: np.ndarray, per_image: bool = True) -> np.ndarray:
    def flat(zi: np.ndarray, yi: np.ndarray) -> float:
        errors = 1.0 - zi.ravel() * (2.0 * yi.ravel() - 1.0)
        order = np.argsort(-errors, kind="stable")
        return float(np.dot(np.maximum(errors[order], 0.0), _jaccard_increments(yi.ravel()[order].astype(F64))))

    return np.array([flat(a, b) for a, b in zip(z, y)]) if per_image else np.array(flat(z, y))


def berman_softmax(p: np.ndarray, y: np.ndarray, classes: object = "present", per_image: bool = False,
                   ignore: int | None = None) -> np.ndarray:
    """``lovasz_softmax`` with the class axis last; pixels labelled ``ignore`` removed, as Berman's flattening does."""
    def flat(pi: np.ndarray, yi: np.ndarray) -> float:
        pi, yi = pi.reshape(-1, pi.shape[-1]), yi.ravel()
        if ignore is not None:
            pi, yi = pi[yi != ignore], yi[yi != ignore]
        losses = []
        for c in range(pi.shape[-1]) if classes in ("all", "present") else classes:
            fg = (yi == c).astype(F64)
            if classes == "present" and fg.sum() == 0:
                continue
            losses.append(_berman_extension(np.abs(fg - pi[:, c]), fg))
        return float(np.mean(losses)) if losses else 0.0  # Berman's mean(..., empty=0)

    return np.array([flat(a, b) for a, b in zip(p, y)]) if per_image else np.array(flat(p, y))


def _softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


RNG = np.random.default_rng(11)
Z = RNG.normal(scale=1.5, size=(4, 6, 5))
Y = (RNG.uniform(size=(4, 6, 5)) > 0.6).astype(np.int64)
Y[1] = 0  # an empty foreground
Y[2] = 1  # no background
P = _softmax(RNG.normal(scale=1.5, size=(3, 5, 6, 4)))
L = RNG.integers(0, 3, size=(3, 5, 6))  # class 3 absent everywhere
L[1][L[1] == 1] = 0  # class 1 absent from image 1
L_IGNORE = np.where(RNG.uniform(size=L.shape) < 0.2, 255, L)


# ---------------------------------------------------------------------------------------------------------------
# Lovász hinge


@pytest.mark.parametrize("per_image", [True, False])
def test_lovasz_hinge_matches_berman(per_image: bool) -> None:
    got = lossport.lovasz_hinge(Z, Y, per_image=per_image, reduction="none")
    np.testing.assert_allclose(got, berman_hinge(Z, Y, per_image), rtol=1e-13, atol=1e-15)
    assert got.shape == ((4,) if per_image else ())


def test_lovasz_hinge_hand_values() -> None:
    """hand: logits ±1 give 2·(1 − IoU) of the prediction z > 0 (kornia's docstring states it; Berman's paper, §3);
    an empty foreground gives the largest hinge error; confident correct logits give 0."""
    y = np.array([[1, 1, 0, 0, 0]])
    z = np.array([[1.0, -1.0, 1.0, 1.0, -1.0]])  # predicted {0, 2, 3}, truth {0, 1}: IoU = 1/4
    assert float(lossport.lovasz_hinge(z, y)) == 1.5  # 2·(1 − 1/4)
    assert float(lossport.lovasz_hinge(np.array([[0.5, -2.0, 3.0]]), np.zeros((1, 3)))) == 4.0  # max(1 + z)
    assert float(lossport.lovasz_hinge(np.array([[2.0, -3.0]]), np.array([[1, 0]]))) == 0.0
    # per_image=False pools the pixels: one image of two, [1, 1] / [0, 0] at logits 0: errors 1, Jaccard 1
    z2, y2 = np.zeros((2, 1)), np.array([[1], [0]])
    assert float(lossport.lovasz_hinge(z2, y2, per_image=False)) == 1.0
    np.testing.assert_array_equal(lossport.lovasz_hinge(z2, y2, reduction="none"), [1.0, 1.0])


def test_lovasz_hinge_gradient_is_the_permuted_jaccard_increments() -> None:
    """hand: errors (1 − z·s) = (1.5, 0.5, 2.0, 1.0) for z = (−0.5, 0.5, 1.0, 0.0), y = (1, 1, 0, 0); sorted:
    2.0 (bg), 1.5 (fg), 1.0 (bg), 0.5 (fg) with P = 2; the Jaccard increments: bg (P − 0)/((P + 1)·P) = 1/3;
    fg 1/(P + 1) = 1/3; bg (P − 1)/((P + 2)(P + 1)) = 1/12; fg 1/(P + 2) = 1/4 (they sum to 1, the full set's).
    ∂ℓ/∂z_i = −s_i·g_(rank i): (−1/3, −1/4, 1/3, 1/12)."""
    jax = framework("jax")
    z = jax.numpy.asarray([-0.5, 0.5, 1.0, 0.0])
    y = jax.numpy.asarray([1, 1, 0, 0])
    grad = jax.grad(lambda a: lossport.lovasz_hinge(a[None], y[None]))(z)
    np.testing.assert_allclose(value(grad), [-1 / 3, -1 / 4, 1 / 3, 1 / 12], rtol=1e-15)
    assert float(lossport.lovasz_hinge(np.asarray(z)[None], np.asarray(y)[None])) == pytest.approx(
        2.0 / 3 + 1.5 / 3 + 1.0 / 12 + 0.5 / 4, rel=1e-15)


def test_lovasz_hinge_weights_and_where_are_per_image() -> None:
    per = berman_hinge(Z, Y)
    w, keep = np.array([1.0, 2.0, 0.5, 3.0]), np.array([True, False, True, True])
    np.testing.assert_allclose(float(lossport.lovasz_hinge(Z, Y, weights=w)), np.sum(w * per) / w.sum(), rtol=1e-13)
    np.testing.assert_allclose(float(lossport.lovasz_hinge(Z, Y, where=keep)), per[keep].mean(), rtol=1e-13)


# ---------------------------------------------------------------------------------------------------------------
# Lovász softmax


@pytest.mark.parametrize("classes", ["present", "all", (0, 3)])
@pytest.mark.parametrize("per_image", [False, True])
@pytest.mark.parametrize("ignore", [None, 255])
def test_lovasz_softmax_matches_berman(classes: object, per_image: bool, ignore: int | None) -> None:
    labels = L if ignore is None else L_IGNORE
    got = lossport.lovasz_softmax(P, labels, classes=classes, per_image=per_image, ignore_index=ignore,
                                  reduction="none")
    np.testing.assert_allclose(got, berman_softmax(P, labels, classes, per_image, ignore), rtol=1e-13, atol=1e-15)


def test_lovasz_softmax_empty_class() -> None:
    """The trap of classes="present": an absent class is left out of the mean (a mask, not a boolean index); with
    "all" it counts with its largest predicted probability (hand: its errors are p_c, all background, and the
    Jaccard loss jumps to 1 at the first one)."""
    p = np.array([[0.7, 0.2, 0.1], [0.4, 0.5, 0.1], [0.3, 0.3, 0.4]])
    y = np.array([0, 1, 1])  # class 2 absent
    present = float(lossport.lovasz_softmax(p, y))
    every = float(lossport.lovasz_softmax(p, y, classes="all"))
    per_class = [float(lossport.lovasz_softmax(p, y, classes=(c,))) for c in range(3)]
    assert per_class[2] == 0.4  # max p_2
    assert present == pytest.approx((per_class[0] + per_class[1]) / 2, rel=1e-15)
    assert every == pytest.approx(sum(per_class) / 3, rel=1e-15)
    # every pixel ignored: no class counts, the loss is 0 (Berman's empty mean)
    assert float(lossport.lovasz_softmax(p, np.full(3, -1), ignore_index=-1)) == 0.0


def test_lovasz_softmax_class_axis_and_traced_present_mask() -> None:
    """axis=1 equals the class-last layout; under jax.jit the "present" mask traces (no boolean indexing)."""
    jax = framework("jax")
    moved = np.moveaxis(P, -1, 1)
    expected = lossport.lovasz_softmax(P, L, per_image=True, reduction="none")
    np.testing.assert_allclose(lossport.lovasz_softmax(moved, L, axis=1, per_image=True, reduction="none"),
                               expected, rtol=1e-15)
    fn = jax.jit(lambda p, y: lossport.lovasz_softmax(p, y, per_image=True, ignore_index=255, reduction="none"))
    np.testing.assert_allclose(value(fn(jax.numpy.asarray(P), jax.numpy.asarray(L_IGNORE))),
                               berman_softmax(P, L_IGNORE, per_image=True, ignore=255), rtol=1e-13)


@pytest.mark.slow
def test_lovasz_softmax_torch_compile_fullgraph() -> None:
    torch = framework("torch")
    torch._dynamo.reset()
    fn = torch.compile(lambda p, y: lossport.lovasz_softmax(p, y, per_image=True, ignore_index=255), fullgraph=True)
    p = torch.tensor(P, dtype=torch.float32, requires_grad=True)
    out = fn(p, torch.tensor(L_IGNORE))
    out.backward()
    np.testing.assert_allclose(value(out), berman_softmax(P, L_IGNORE, per_image=True, ignore=255).mean(),
                               rtol=1e-5)
    assert np.all(np.isfinite(value(p.grad)))


def test_lovasz_gradient_is_accurate_on_a_large_image() -> None:
    """The gradient is the Jaccard increments, formed here in closed form from exact counts; kornia (and Berman's
    code) forms them as differences of ``1 − I/U``, which loses about log2(pixels) bits of each. Measured on 2¹⁸
    pixels in float32 against the float64 gradient of the same inputs: lossport within 4e-5 relative (what is left
    is float32's rounding of ``1 − z`` swapping near-equal errors), kornia off by 0.25 at worst and 5e-3 at the
    median. The loss itself telescopes, so both get it to about 1e-8."""
    torch = framework("torch")
    kornia = pytest.importorskip("kornia.losses")
    rng = np.random.default_rng(3)
    z = rng.normal(size=(1, 512, 512)).astype(F32)
    y = torch.tensor((rng.uniform(size=(1, 512, 512)) > 0.7).astype(np.int64))
    grads, values = [], []
    for dtype, fn in ((torch.float64, lossport.lovasz_hinge), (torch.float32, lossport.lovasz_hinge),
                      (torch.float32, lambda a, b: kornia.lovasz_hinge_loss(a[:, None], b))):
        x = torch.tensor(z, dtype=dtype, requires_grad=True)
        out = fn(x, y)
        out.backward()
        grads.append(value(x.grad).astype(F64))
        values.append(float(out))
    exact, mine, native = grads
    nonzero = exact != 0
    relative = [np.abs(g[nonzero] - exact[nonzero]) / np.abs(exact[nonzero]) for g in (mine, native)]
    assert np.max(relative[0]) < 1e-4
    assert np.max(relative[1]) > 0.05 and np.median(relative[1]) > 1e-3
    assert values[0] == pytest.approx(float(berman_hinge(z.astype(F64), value(y))[0]), rel=1e-13)
    assert values[1] == pytest.approx(values[0], rel=1e-6) and values[2] == pytest.approx(values[0], rel=1e-6)


@pytest.mark.parametrize("backend", backend_params(autodiff=True))
def test_lovasz_gradients_are_finite_and_zero_where_ignored(backend: str) -> None:
    """The gradient reaches the probabilities through the sort on every framework; ignored pixels get none."""
    p, y = P[:1], L_IGNORE[:1]
    fn = lossport.lovasz_softmax
    if backend == "jax":
        jax = framework("jax")
        grad = value(jax.grad(lambda a: fn(a, jax.numpy.asarray(y), ignore_index=255))(jax.numpy.asarray(p)))
    elif backend == "torch":
        torch = framework("torch")
        x = torch.tensor(p, requires_grad=True)
        fn(x, torch.tensor(y), ignore_index=255).backward()
        grad = value(x.grad)
    else:
        tf = framework("tensorflow")
        x = tf.Variable(p)
        with tf.GradientTape() as tape:
            out = fn(x, tf.constant(y), ignore_index=255)
        grad = value(tape.gradient(out, x))
    assert np.all(np.isfinite(grad))
    assert np.all(grad[y == 255] == 0.0) and np.any(grad[y != 255] != 0.0)


# ---------------------------------------------------------------------------------------------------------------
# Focal Tversky


def test_focal_tversky_is_tversky_to_the_gamma() -> None:
    """hand (tversky's docstring example): FP = 0.25, FN = 0.75, I = 1.25 at α = 0.3, β = 0.7: 1 − TI = 0.6 / 1.85."""
    p = np.array([0.75, 0.5, 0.25, 0.0])[None, :, None]
    t = np.array([1.0, 1.0, 0.0, 0.0])[None, :, None]
    got = float(lossport.focal_tversky(p, t, alpha=0.3, beta=0.7, smooth=0.0))
    assert got == pytest.approx((0.6 / 1.85) ** 0.75, rel=1e-15)
    assert float(lossport.focal_tversky(p, t, gamma=1.0)) == float(lossport.tversky(p, t))
    assert float(lossport.focal_tversky(t, t)) == 0.0  # a perfect prediction: exactly 0


@settings(max_examples=30, deadline=None)
@given(hnp.arrays(F64, (2, 6, 2), elements=st.floats(0, 1)), hnp.arrays(F64, (2, 6, 2), elements=st.floats(0, 1)),
       st.floats(0.1, 1.0), st.floats(1.0, 3.0))
def test_focal_tversky_properties(p: np.ndarray, t: np.ndarray, low: float, high: float) -> None:
    """In [0, 1]; ``(1 − TI)^γ`` falls as γ grows (the base is at most 1); γ = 1 is tversky."""
    base = lossport.tversky(p, t, reduction="none")
    lo = lossport.focal_tversky(p, t, gamma=low, reduction="none")
    hi = lossport.focal_tversky(p, t, gamma=high, reduction="none")
    assert np.all((hi >= 0) & (hi <= base * (1 + 1e-15)) & (base <= lo * (1 + 1e-15)) & (lo <= 1))


# ---------------------------------------------------------------------------------------------------------------
# Bad input


@pytest.fixture(params=backend_params())
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


def _arr(backend: str, x: np.ndarray) -> object:
    return parity.convert(backend, x, "float64", device_for(backend))


def test_bad_lovasz_input(backend: str) -> None:
    z = _arr(backend, Z[:1])
    with pytest.raises(ValueError, match=r"`labels` must be 0 or 1 \(background or foreground\); got 2"):
        lossport.lovasz_hinge(z, _arr(backend, np.full((1, 6, 5), 2)))
    with pytest.raises(TypeError, match="`per_image` must be a bool"):
        lossport.lovasz_hinge(z, _arr(backend, Y[:1]), per_image=1)
    with pytest.raises(ValueError, match="`labels` must"):
        lossport.lovasz_hinge(z, _arr(backend, Y[:1, 0]))
    p, y = _arr(backend, P[:1]), _arr(backend, L[:1])
    with pytest.raises(ValueError, match="`classes` must be one of"):
        lossport.lovasz_softmax(p, y, classes="some")
    with pytest.raises(ValueError, match=r"`classes` must hold class indices in \[0, 4\)"):
        lossport.lovasz_softmax(p, y, classes=(0, 4))
    with pytest.raises(TypeError, match="`classes` must be 'present', 'all' or a non-empty tuple of ints"):
        lossport.lovasz_softmax(p, y, classes=())
    with pytest.raises(ValueError, match=r"`labels` must be class indices in \[0, 4\)"):
        lossport.lovasz_softmax(p, _arr(backend, np.full((1, 5, 6), 7)))
    with pytest.raises(ValueError, match=r"`probabilities` must be probabilities in \[0, 1\]"):
        lossport.lovasz_softmax(_arr(backend, P[:1] * 3), y)
    with pytest.raises(ValueError, match="`gamma` must be positive"):
        lossport.focal_tversky(_arr(backend, P[:1]), _arr(backend, P[:1]), gamma=0.0)


def test_generalized_dice_classes_after_normalising() -> None:
    """``classes`` keeps the chosen classes' terms with the weights normalised over all of them. By hand (the
    docstring's example): T = (2, 1), w ∝ 1/(T² + 1e-7) ≈ (0.2, 0.8), E = (1, 1), P + T = (3.5, 2.5), s = 1;
    classes=(1,): w_1 / (w_1·2.5 + 1); combine="mean": w_1·1/(2.5 + 1)."""
    p = np.array([[[0.75, 0.25], [0.5, 0.5], [0.25, 0.75]]])
    t = np.array([[[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]]])
    inverse = 1.0 / (np.array([4.0, 1.0]) + 1e-7)
    w1 = inverse[1] / inverse.sum()
    assert float(lossport.generalized_dice(p, t, classes=(1,))) == pytest.approx(w1 / (w1 * 2.5 + 1), rel=1e-14)
    assert float(lossport.generalized_dice(p, t, classes=(1,), combine="mean")) == pytest.approx(w1 / 3.5,
                                                                                              rel=1e-14)
    assert float(lossport.generalized_dice(p, t, classes=(0, 1))) == float(lossport.generalized_dice(p, t))
    with pytest.raises(ValueError, match="`classes` must"):
        lossport.generalized_dice(p, t, classes="present")
    with pytest.raises(ValueError, match=r"class indices in \[0, 2\)"):
        lossport.generalized_dice(p, t, classes=(2,))
