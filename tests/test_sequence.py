"""CTC: literal values, a brute-force oracle, the conventions where the anchors differ, properties, and bad input.

Where each number comes from: "by hand" values are derived in the comment beside them; the brute-force oracle sums
the probabilities of every path of classes that collapses to the labels (all C^T of them, C^T ≤ 243); "traps.md
T19" is docs/traps.md's trap T19; "measured" numbers were measured with torch 2.13,
TensorFlow 2.21, Keras 3.15 (TF backend) and optax 0.2.8 on CPU, and are re-measured here wherever the framework is
installed. The parity of every case with the native anchors is tests/test_anchors.py's business
(backends/parity/anchors/sequence.py).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lossport.backends import parity
from support import BACKENDS, device_for, framework, value

import lossport

F32 = np.float32


def log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def brute_force(log_p: np.ndarray, labels: list[int], blank: int) -> float:
    """``−log Σ_π Π_t p_t(π_t)`` over every path π of length T (rows of ``log_p``) that collapses to ``labels``."""
    steps, classes = log_p.shape
    p = np.exp(log_p)
    total = 0.0
    for path in itertools.product(range(classes), repeat=steps):
        merged = [k for i, k in enumerate(path) if i == 0 or k != path[i - 1]]
        if [k for k in merged if k != blank] == labels:
            total += math.prod(p[t, k] for t, k in enumerate(path))
    return -math.log(total) if total > 0 else math.inf


def ctc_none(*args: np.ndarray, **kwargs: object) -> np.ndarray:
    return np.asarray(lossport.ctc(*args, reduction="none", **kwargs))


# ---------------------------------------------------------------------------------------------------------------
# Literal values


def test_single_step_single_label_by_hand() -> None:
    """T = 1 and the label [1]: the only alignment emits 1, so the loss is −log p(1) = −log 0.5."""
    log_p = np.log(np.array([[[0.2, 0.5, 0.3]]]))
    one = np.array([1])
    assert float(lossport.ctc(log_p, np.array([[1]]), one, one)) == pytest.approx(math.log(2.0), rel=1e-15)
    assert float(lossport.ctc(log_p.astype(F32), np.array([[1]]), one, one)) == pytest.approx(math.log(2), rel=1e-7)


def test_uniform_two_and_three_steps_by_hand() -> None:
    """Uniform p = 1/3 over 3 classes. [1] in 2 steps: alignments (1, 1), (b, 1), (1, b): p = 3/9, loss log 3.
    [1, 1] in 2 steps: the repeat needs a blank between, (1, b, 1): impossible, +inf. [1, 1] in 3 steps: that one
    alignment, p = 1/27, loss 3 log 3. [1, 2] in 3 steps: (1, 2, 2), (1, 1, 2), (b, 1, 2), (1, b, 2), (1, 2, b):
    p = 5/27, loss log(27/5)."""
    log_p = np.log(np.full((4, 3, 3), 1 / 3))
    labels = np.array([[1, 0], [1, 1], [1, 1], [1, 2]])
    loss = ctc_none(log_p, labels, np.array([2, 2, 3, 3]), np.array([1, 2, 2, 2]))
    np.testing.assert_allclose(loss, [math.log(3), math.inf, 3 * math.log(3), math.log(27 / 5)], rtol=1e-14)


def test_three_steps_one_label_by_hand() -> None:
    """[1] in 3 steps, with blank probabilities a_t and label probabilities c_t: the alignments are bb1, b1b, 1bb,
    b11, 11b, 111 (1b1 collapses to [1, 1]), so p = a1 a2 c3 + a1 c2 a3 + c1 a2 a3 + a1 c2 c3 + c1 c2 a3 + c1 c2 c3."""
    probs = np.array([[0.5, 0.3, 0.2], [0.1, 0.6, 0.3], [0.7, 0.2, 0.1]])
    (a1, c1), (a2, c2), (a3, c3) = probs[:, :2]
    p = a1 * a2 * c3 + a1 * c2 * a3 + c1 * a2 * a3 + a1 * c2 * c3 + c1 * c2 * a3 + c1 * c2 * c3
    loss = ctc_none(np.log(probs)[None], np.array([[1]]), np.array([3]), np.array([1]))
    np.testing.assert_allclose(loss, [-math.log(p)], rtol=1e-15)
    assert loss[0] == pytest.approx(brute_force(np.log(probs), [1], 0), rel=1e-14)


def test_empty_labels_and_empty_inputs_by_hand() -> None:
    """An empty label sequence has one alignment, all blanks: −Σ_{t < T_b} log p_t(blank). An input length of 0
    gives 0 (the empty sequence, probability 1) for empty labels and +inf otherwise."""
    log_p = log_softmax(np.random.default_rng(0).normal(size=(3, 4, 3)))
    loss = ctc_none(log_p, np.array([[1], [0], [2]]), np.array([3, 0, 0]), np.array([0, 0, 1]))
    np.testing.assert_allclose(loss, [-log_p[0, :3, 0].sum(), 0.0, math.inf], rtol=1e-15)


def test_padding_and_frames_past_the_input_length_are_ignored() -> None:
    """Labels beyond ``label_lengths`` and log-probabilities beyond ``input_lengths`` do not change the loss, and
    the gradient there is 0 (before, it is −γ_t, the state occupancies, which sum to 1 at each step)."""
    torch = framework("torch")
    rng = np.random.default_rng(1)
    log_p = log_softmax(rng.normal(size=(2, 6, 4)))
    lengths, label_lengths = np.array([6, 4]), np.array([2, 1])
    base = ctc_none(log_p, np.array([[1, 2], [3, 0]]), lengths, label_lengths)
    other = log_p.copy()
    other[1, 4:] = log_softmax(rng.normal(size=(2, 4)))
    np.testing.assert_array_equal(ctc_none(other, np.array([[1, 2], [3, -7]]), lengths, label_lengths), base)
    x = torch.tensor(log_p, requires_grad=True)
    lossport.ctc(x, torch.tensor([[1, 2], [3, 0]]), torch.tensor(lengths), torch.tensor(label_lengths),
                 reduction="sum").backward()
    grad = value(x.grad)
    assert np.all(grad[1, 4:] == 0.0)
    np.testing.assert_allclose(grad[1, :4].sum(-1), -1.0, rtol=1e-14)  # −Σ_c γ_t(c): one state per step


def test_blank_last_equals_relabelled_blank_first() -> None:
    """Renaming the classes does not change the loss: blank = C − 1 on classes permuted to put the blank last is
    blank = 0 on the original classes."""
    rng = np.random.default_rng(2)
    log_p = log_softmax(rng.normal(size=(2, 5, 4)))
    labels, lengths, label_lengths = np.array([[1, 1], [3, 2]]), np.array([5, 4]), np.array([2, 2])
    perm = np.array([1, 2, 3, 0])  # new class j is old class perm[j]: the old blank 0 becomes class 3
    relabel = np.argsort(perm)  # old class k is new class relabel[k]
    first = ctc_none(log_p, labels, lengths, label_lengths)
    last = ctc_none(log_p[..., perm], relabel[labels], lengths, label_lengths, blank=3)
    np.testing.assert_allclose(last, first, rtol=1e-14)


# ---------------------------------------------------------------------------------------------------------------
# Brute force and properties


@st.composite
def problems(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    steps = draw(st.integers(1, 5))
    classes = draw(st.integers(2, 3))
    width = draw(st.integers(0, 3))
    batch = draw(st.integers(1, 3))
    blank = draw(st.integers(0, classes - 1))
    symbols = [k for k in range(classes) if k != blank]
    labels = np.array([draw(st.lists(st.sampled_from(symbols), min_size=width, max_size=width))
                       for _ in range(batch)], dtype=np.int64).reshape(batch, width)
    label_lengths = np.array([draw(st.integers(0, width)) for _ in range(batch)])
    lengths = np.array([draw(st.integers(0, steps)) for _ in range(batch)])
    seed = draw(st.integers(0, 2**32 - 1))
    log_p = log_softmax(np.random.default_rng(seed).normal(scale=2.0, size=(batch, steps, classes)))
    return log_p, labels, lengths, label_lengths, blank


@settings(max_examples=60, deadline=None)
@given(problems())
def test_matches_brute_force(problem: tuple) -> None:
    """Every loss equals the brute-force sum over paths (float64), infinite where no path collapses to the labels;
    non-negative, since the log-probabilities are normalised."""
    log_p, labels, lengths, label_lengths, blank = problem
    loss = ctc_none(log_p, labels, lengths, label_lengths, blank=blank)
    expected = [brute_force(log_p[b, : lengths[b]], list(labels[b, : label_lengths[b]]), blank)
                for b in range(len(lengths))]
    np.testing.assert_allclose(loss, expected, rtol=1e-12, atol=1e-14)
    assert np.all(loss >= 0)


@settings(max_examples=25, deadline=None)
@given(problems(), st.randoms(use_true_random=False))
def test_batch_order_does_not_matter(problem: tuple, random: object) -> None:
    log_p, labels, lengths, label_lengths, blank = problem
    order = list(range(len(lengths)))
    random.shuffle(order)
    loss = ctc_none(log_p, labels, lengths, label_lengths, blank=blank)
    shuffled = ctc_none(log_p[order], labels[order], lengths[order], label_lengths[order], blank=blank)
    np.testing.assert_array_equal(shuffled, loss[order])


def test_confident_alignment_keeps_a_tiny_loss() -> None:
    """A near-certain alignment of [1] in 2 steps: log-probabilities log1p(−ε) for the label at t = 0 and the blank
    at t = 1, log(ε/2) elsewhere, ε = 1e-12. By hand, p = c1 (a2 + c2) + a1 c2 = 1 − 1.5 ε + 0.75 ε² (c the
    label's, a the blank's probabilities), so the loss is about 1.5e-12; the reference is that sum in mpmath (60
    digits) from the same float64 log-probabilities. A log-sum-exp of the form m + log(Σ e^(x − m)) would round
    1 + 1e-12 and lose the loss in float32; lossport keeps it to float32's precision."""
    mpmath = pytest.importorskip("mpmath")
    eps = 1e-12
    small, big = math.log(eps / 2), math.log1p(-eps)
    log_p = np.array([[[small, big, small], [big, small, small]]])
    with mpmath.workdps(60):
        (a1, c1, _), (a2, c2, _) = ([mpmath.exp(mpmath.mpf(v)) for v in row] for row in log_p[0])
        expected = float(-mpmath.log(c1 * (a2 + c2) + a1 * c2))
    assert expected == pytest.approx(1.5e-12, rel=1e-6)
    args = (np.array([[1]]), np.array([2]), np.array([1]))
    np.testing.assert_allclose(ctc_none(log_p, *args), [expected], rtol=1e-12)
    np.testing.assert_allclose(ctc_none(log_p.astype(F32), *args), [expected], rtol=1e-6)


# ---------------------------------------------------------------------------------------------------------------
# Reductions: torch's "mean" divides by the target length, Keras's does not (traps.md T19)


def _anchors_t19() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Two sequences whose losses are traps.md T19's [4.711531, 6.170833], by construction: the first has the
    labels [1, 2] in 2 steps (one alignment, each step's label with probability e^(−4.711531/2)); the second has
    the label [3] in 1 step (probability e^(−6.170833)); the rest of each step's mass is spread evenly."""
    log_p = np.full((2, 2, 4), -np.inf)
    for b, t, k, loss in ((0, 0, 1, 4.711531 / 2), (0, 1, 2, 4.711531 / 2), (1, 0, 3, 6.170833), (1, 1, 0, 0.0)):
        rest = (1 - math.exp(-loss)) / 3
        log_p[b, t] = math.log(rest) if rest > 0 else -np.inf
        log_p[b, t, k] = -loss
    return log_p, np.array([[1, 2], [3, 0]]), np.array([2, 1]), np.array([2, 1])


def test_reductions_torch_mean_and_keras_mean() -> None:
    """traps.md T19: per-sequence [4.711531, 6.170833] with target lengths [2, 1]: torch's "mean" is
    (4.711531 / 2 + 6.170833 / 1) / 2 = 4.2633, Keras's CTC 5.44118 (the plain mean, lossport's "mean").
    lossport gives torch's with ``weights=1 / (B · max(L, 1)), reduction="sum"``."""
    args = _anchors_t19()
    np.testing.assert_allclose(ctc_none(*args), [4.711531, 6.170833], rtol=1e-14)
    assert float(lossport.ctc(*args)) == pytest.approx(5.441182, rel=1e-7)
    torch_mean = lossport.ctc(*args, weights=1.0 / (2 * np.maximum(args[3], 1)), reduction="sum")
    assert float(torch_mean) == pytest.approx(4.2633, abs=1e-4)
    assert float(torch_mean) == pytest.approx((4.711531 / 2 + 6.170833) / 2, rel=1e-14)
    assert float(lossport.ctc(*args, reduction="sum")) == pytest.approx(4.711531 + 6.170833, rel=1e-14)
    torch = framework("torch")
    log_p, labels, lengths, label_lengths = (torch.from_numpy(a) for a in args)
    native = torch.nn.functional.ctc_loss(log_p.permute(1, 0, 2), labels, lengths, label_lengths)
    assert float(native) == pytest.approx(float(torch_mean), rel=1e-14)


def test_reductions_keras_ctc() -> None:
    """Measured: Keras's CTC on the same sequences is their plain mean, 5.44118, lossport's "mean". Keras has no
    input lengths: the second sequence's second frame emits the blank with probability 1 there already."""
    keras = framework("keras")
    log_p, labels, _, _ = _anchors_t19()
    native = value(keras.losses.CTC()(labels, np.maximum(log_p, -1e4).astype(F32)))
    np.testing.assert_allclose(native, 5.44118, rtol=1e-6)


# ---------------------------------------------------------------------------------------------------------------
# Gradients: torch's native CTC gradient assumes log-softmaxed inputs


def _gradient_problem() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(5)
    return (rng.normal(scale=2.0, size=(3, 6, 5)), np.array([[1, 1, 2], [3, 4, 0], [2, 0, 0]]),
            np.array([6, 5, 4]), np.array([3, 2, 1]))


def test_gradient_through_log_softmax_matches_torch() -> None:
    """The gradient with respect to the logits, through ``log_softmax``: torch autograd through lossport equals
    torch autograd through ``F.ctc_loss`` (the true gradient p − γ, γ the state occupancies), to rounding."""
    torch = framework("torch")
    z, labels, lengths, label_lengths = _gradient_problem()
    grads = []
    for native in (False, True):
        x = torch.tensor(z, requires_grad=True)
        lp = torch.log_softmax(x, dim=-1)
        args = (torch.tensor(labels), torch.tensor(lengths), torch.tensor(label_lengths))
        if native:
            loss = torch.nn.functional.ctc_loss(lp.permute(1, 0, 2), *args, reduction="sum")
        else:
            loss = lossport.ctc(lp, *args, reduction="sum")
        loss.backward()
        grads.append(value(x.grad))
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12, atol=1e-14)


def test_gradient_wrt_log_probabilities_differs_from_torch_by_the_probabilities() -> None:
    """Measured: torch's ``ctc_loss`` backward returns exp(log p) − γ for the log-probabilities (the gradient with
    respect to logits, assuming a log_softmax before it), not the true −γ that lossport's autograd gives: the
    difference is exactly the probabilities at t < T_b (1.6e-15 apart in float64), 0 past the input length. Both
    agree through a log_softmax (the test above)."""
    torch = framework("torch")
    z, labels, lengths, label_lengths = _gradient_problem()
    lp = log_softmax(z)
    args = (torch.tensor(labels), torch.tensor(lengths), torch.tensor(label_lengths))
    x = torch.tensor(lp, requires_grad=True)
    lossport.ctc(x, *args, reduction="sum").backward()
    y = torch.tensor(lp).permute(1, 0, 2).requires_grad_(True)
    torch.nn.functional.ctc_loss(y, *args, reduction="sum").backward()
    inside = np.arange(6)[None, :, None] < lengths[:, None, None]
    difference = value(y.grad).transpose(1, 0, 2) - value(x.grad)
    np.testing.assert_allclose(difference, np.where(inside, np.exp(lp), 0.0), atol=1e-14)
    np.testing.assert_allclose(value(x.grad).sum(-1)[inside[..., 0]], -1.0, rtol=1e-13)  # −Σ_c γ_t(c) = −1


# ---------------------------------------------------------------------------------------------------------------
# Impossible alignments: +inf (torch), 1e5 (optax's log_epsilon), 707.7 (TensorFlow)

IMPOSSIBLE = (np.log(np.full((1, 2, 3), 1 / 3)), np.array([[1, 1]]), np.array([2]), np.array([2]))


def test_impossible_alignment_is_infinite_like_torch() -> None:
    """[1, 1] in 2 steps (the repeat needs a blank between): lossport and torch give +inf; torch's gradient is
    then NaN, lossport's finite. ``zero_infinity=True`` gives 0 and zero gradients in both."""
    torch = framework("torch")
    assert ctc_none(*IMPOSSIBLE)[0] == math.inf
    log_p, labels, lengths, label_lengths = (torch.from_numpy(a) for a in IMPOSSIBLE)
    for zero_infinity in (False, True):
        x = log_p.clone().requires_grad_(True)
        mine = lossport.ctc(x, labels, lengths, label_lengths, zero_infinity=zero_infinity, reduction="sum")
        y = log_p.clone().permute(1, 0, 2).requires_grad_(True)
        native = torch.nn.functional.ctc_loss(y, labels, lengths, label_lengths, zero_infinity=zero_infinity,
                                              reduction="sum")
        assert float(value(mine)) == float(value(native)) == (0.0 if zero_infinity else math.inf)
        mine.backward()
        native.backward()
        assert np.all(np.isfinite(value(x.grad)))
        if zero_infinity:
            assert np.all(value(x.grad) == 0) and np.all(value(y.grad) == 0)
        else:
            assert np.all(np.isnan(value(y.grad)))


def test_impossible_alignment_optax_and_tensorflow_are_finite() -> None:
    """Measured: optax's ``log_epsilon=-1e5`` stands for log 0, so it gives 1e5 (float64) for the same input;
    ``tf.nn.ctc_loss`` gives 707.7045 (float32). Neither has an infinite loss; lossport's ``zero_infinity`` is
    torch's knob, and the difference is documented."""
    optax = framework("optax")
    log_p, labels, _, _ = IMPOSSIBLE
    zeros = np.zeros((1, 2))
    np.testing.assert_allclose(value(optax.losses.ctc_loss(log_p, zeros, labels, zeros)), [1e5], rtol=1e-12)
    tf = framework("tensorflow")
    native = tf.nn.ctc_loss(labels=labels.astype(np.int32), logits=log_p.astype(F32), label_length=[2],
                            logit_length=[2], logits_time_major=False, blank_index=0)
    np.testing.assert_allclose(value(native), [707.7045], rtol=1e-6)


# ---------------------------------------------------------------------------------------------------------------
# Keras: 0 is both the blank and the label padding; every sequence has T steps


def test_keras_zero_is_blank_and_padding() -> None:
    """Measured: Keras counts the non-zero labels as the label lengths and takes every input length as T, so on
    0-padded labels it equals lossport with ``label_lengths = count_nonzero``, ``input_lengths = T`` (float32).
    A 0 inside the labels is not a label for Keras (its label length drops), while lossport raises on a blank
    within ``label_lengths``."""
    keras = framework("keras")
    rng = np.random.default_rng(7)
    log_p = log_softmax(rng.normal(size=(2, 5, 4))).astype(F32)
    labels = np.array([[1, 3, 0], [2, 0, 0]])
    native = value(keras.losses.CTC(reduction=None)(labels, log_p))
    mine = ctc_none(log_p, labels, np.array([5, 5]), np.count_nonzero(labels, axis=1))
    np.testing.assert_allclose(native, mine, rtol=2e-6)
    with pytest.raises(ValueError, match=r"must not contain the blank index 0 within `label_lengths`"):
        lossport.ctc(log_p, np.array([[1, 0, 3], [2, 0, 0]]), np.array([5, 5]), np.array([3, 1]))


# ---------------------------------------------------------------------------------------------------------------
# Bad input, on NumPy and torch

BAD_BACKENDS = [b for b in ("numpy", "torch") if b in BACKENDS]


def _inputs(backend: str, log_p: object = None, labels: object = None, lengths: object = None,
            label_lengths: object = None) -> list:
    rng = np.random.default_rng(0)
    values = [
        log_softmax(rng.normal(size=(2, 4, 3))) if log_p is None else np.asarray(log_p),
        np.array([[1, 2], [2, 0]]) if labels is None else np.asarray(labels),
        np.array([4, 3]) if lengths is None else np.asarray(lengths),
        np.array([2, 1]) if label_lengths is None else np.asarray(label_lengths),
    ]
    return [parity.convert(backend, v, "float32", device_for(backend)) for v in values]


@pytest.mark.parametrize("backend", BAD_BACKENDS)
def test_bad_kinds(backend: str) -> None:
    with pytest.raises(TypeError, match=r"`log_probabilities` must have a real floating dtype"):
        lossport.ctc(*_inputs(backend, log_p=np.zeros((2, 4, 3), dtype=np.int64)))
    with pytest.raises(TypeError, match=r"`labels` must have an integer dtype; got"):
        lossport.ctc(*_inputs(backend, labels=np.array([[1.0, 2.0], [2.0, 0.0]])))
    with pytest.raises(TypeError, match=r"`input_lengths` must have an integer dtype; got"):
        lossport.ctc(*_inputs(backend, lengths=np.array([4.0, 3.0])))
    with pytest.raises(TypeError, match=r"`label_lengths` must have an integer dtype; got"):
        lossport.ctc(*_inputs(backend, label_lengths=np.array([2.0, 1.0])))
    with pytest.raises(TypeError, match=r"`blank` must be a Python int \(a class index\); got float"):
        lossport.ctc(*_inputs(backend), blank=0.0)
    with pytest.raises(TypeError, match=r"`blank` must be a Python int \(a class index\); got bool"):
        lossport.ctc(*_inputs(backend), blank=False)
    with pytest.raises(TypeError, match=r"`zero_infinity` must be a bool; got int"):
        lossport.ctc(*_inputs(backend), zero_infinity=1)


@pytest.mark.parametrize("backend", BAD_BACKENDS)
def test_bad_shapes(backend: str) -> None:
    with pytest.raises(ValueError, match=r"`log_probabilities` must have shape \(B, T, C\).*got \(4, 3\)"):
        lossport.ctc(*_inputs(backend, log_p=np.zeros((4, 3))))
    with pytest.raises(ValueError, match=r"`labels` must have shape \(B, S\).*got \(2,\)"):
        lossport.ctc(*_inputs(backend, labels=np.array([1, 2])))
    with pytest.raises(ValueError, match=r"`labels` must have shape \(2, 2\).*got \(3, 2\)"):
        lossport.ctc(*_inputs(backend, labels=np.array([[1, 2], [2, 0], [1, 1]])))
    with pytest.raises(ValueError, match=r"`input_lengths` must have shape \(2,\) .*got \(3,\)"):
        lossport.ctc(*_inputs(backend, lengths=np.array([4, 3, 2])))
    with pytest.raises(ValueError, match=r"`label_lengths` must have shape \(2,\) .*got \(2, 1\)"):
        lossport.ctc(*_inputs(backend, label_lengths=np.array([[2], [1]])))
    with pytest.raises(ValueError, match=r"`blank` must be a class index in \[0, 3\) \(e.g. 2 for the last"):
        lossport.ctc(*_inputs(backend), blank=3)
    with pytest.raises(ValueError, match=r"`blank` must be a class index in \[0, 3\)"):
        lossport.ctc(*_inputs(backend), blank=-1)
    with pytest.raises(ValueError, match=r"`reduction` must be one of"):
        lossport.ctc(*_inputs(backend), reduction="batchmean")


@pytest.mark.parametrize("backend", BAD_BACKENDS)
def test_bad_values(backend: str) -> None:
    with pytest.raises(ValueError, match=r"`input_lengths` must be in \[0, 4\] \(at most the time dimension T\); "
                                         r"got 5"):
        lossport.ctc(*_inputs(backend, lengths=np.array([5, 3])))
    with pytest.raises(ValueError, match=r"`input_lengths` must be in \[0, 4\].*got -1"):
        lossport.ctc(*_inputs(backend, lengths=np.array([4, -1])))
    with pytest.raises(ValueError, match=r"`label_lengths` must be in \[0, 2\] \(at most the padded label length "
                                         r"S\); got 3"):
        lossport.ctc(*_inputs(backend, label_lengths=np.array([3, 1])))
    with pytest.raises(ValueError, match=r"`labels` must be class indices in \[0, 3\); got 3"):
        lossport.ctc(*_inputs(backend, labels=np.array([[1, 3], [2, 0]])))
    with pytest.raises(ValueError, match=r"`labels` must be class indices in \[0, 3\); got -1"):
        lossport.ctc(*_inputs(backend, labels=np.array([[1, 2], [-1, 0]])))
    with pytest.raises(ValueError, match=r"must not contain the blank index 0 within `label_lengths`"):
        lossport.ctc(*_inputs(backend, labels=np.array([[0, 2], [2, 0]])))
    with pytest.raises(ValueError, match=r"must not contain the blank index 2 within `label_lengths`"):
        lossport.ctc(*_inputs(backend), blank=2)
    # Values beyond label_lengths are padding: out of range or the blank, they are ignored.
    loss = lossport.ctc(*_inputs(backend, labels=np.array([[1, 2], [2, 99]])))
    assert np.isfinite(parity.to_numpy(loss))
    with lossport.value_checks(False):
        lossport.ctc(*_inputs(backend, labels=np.array([[0, 2], [2, 0]])))  # unchecked: no error


# ---------------------------------------------------------------------------------------------------------------
# ctc_forward_variables (lossport.sequence): the recursion's alphas


def _alphas_by_enumeration(p: np.ndarray, labels: list[int], blank: int) -> np.ndarray:
    """``α_t(s)`` summed over every sequence of extended-label positions (start at 0 or 1; steps 0, 1, or 2 onto a
    label that differs from the one two before): float64, by brute force over the ``(2S + 1)^T`` sequences."""
    ext = [blank]
    for y in labels:
        ext += [y, blank]
    size, steps = len(ext), p.shape[0]
    alpha = np.zeros((steps, size))
    for t in range(steps):
        for path in itertools.product(range(size), repeat=t + 1):
            if path[0] <= 1 and all(0 <= b - a <= 1 or (b - a == 2 and ext[b] != blank and ext[b] != ext[a])
                                    for a, b in itertools.pairwise(path)):
                alpha[t, path[-1]] += math.prod(p[k, ext[s]] for k, s in enumerate(path))
    return alpha


def test_forward_variables_by_enumeration() -> None:
    """Sequence 0 (labels [1, 1], 4 frames) against the brute-force sums; sequence 1 (label [2], 2 of the 4
    frames) frozen after its second frame, its positions past 2·S = 2 at -inf; the losses are ctc's."""
    r = np.random.default_rng(11)
    p = r.uniform(0.1, 1.0, size=(2, 4, 3))
    p /= p.sum(axis=-1, keepdims=True)
    labels, lengths, label_lengths = np.array([[1, 1], [2, 0]]), np.array([4, 2]), np.array([2, 1])
    loss, alpha = lossport.sequence.ctc_forward_variables(np.log(p), labels, lengths, label_lengths)
    np.testing.assert_allclose(np.exp(alpha[0]), _alphas_by_enumeration(p[0], [1, 1], 0), rtol=1e-13, atol=1e-300)
    first = _alphas_by_enumeration(p[1, :2], [2], 0)
    np.testing.assert_allclose(np.exp(alpha[1, :, :3]), first[[0, 1, 1, 1]], rtol=1e-13, atol=1e-300)
    assert np.isneginf(alpha[1, :, 3:]).all()
    np.testing.assert_allclose(loss, lossport.ctc(np.log(p), labels, lengths, label_lengths, reduction="none"),
                               rtol=1e-15)
    with pytest.raises(TypeError, match="`blank` must be a Python int"):
        lossport.sequence.ctc_forward_variables(np.log(p), labels, lengths, label_lengths, blank=0.0)
