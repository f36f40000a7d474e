"""The torch adapter's row-rule natives (backends/torch.py: ``multi_margin[_vjp]``, ``kl_divergence``).

Each runs the generic form's operations in the generic form's order, in place on its own temporary, so its numbers
are the generic form's exactly: the reference here is that form, run in the same process with the adapter's table
hidden (``natives`` patched to an empty table), compared bit for bit (NaN for NaN). The rows hold the special
values: infinities and NaN on and off the label, a term exactly at the hinge's kink, zero probabilities beside
``log q = ±inf`` or NaN. The parity matrix (tests/test_matrix.py) checks both paths' values and gradients against
JAX float64 references; this file checks that the fast path is the same function, leaves its inputs alone, declines
where autograd records, and is the one the public losses take.
"""

from __future__ import annotations

import functools
import itertools
import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import array_api_compat.torch as xp  # noqa: E402  (after the skip)

import lossport  # noqa: E402
from lossport import _numerics, divergence, margin  # noqa: E402

INF, NAN = math.inf, math.nan
NATIVES = _numerics.natives(xp)


def _generic(monkeypatch: pytest.MonkeyPatch, module: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` with the native table empty (``_numerics.try_native``'s and ``module``'s view of
    it): the generic form."""
    with monkeypatch.context() as m:
        m.setattr(_numerics, "natives", lambda _xp: {})
        if hasattr(module, "natives"):
            m.setattr(module, "natives", lambda _xp: {})
        return fn(*args, **kwargs)


def _spies(names: tuple[str, ...]) -> tuple[dict[str, list[Any]], Callable[[str], Any]]:
    """``(answers, spy)``: ``spy(name)`` calls the native ``name`` and records what it returned in ``answers``."""
    answers: dict[str, list[Any]] = {name: [] for name in names}

    def spy(name: str) -> Any:
        def call(*args: Any) -> Any:
            out = NATIVES[name](*args)
            answers[name].append(out)
            return out
        return call

    return answers, spy


def _same(a: Any, b: Any) -> None:
    assert a.dtype == b.dtype and a.shape == b.shape
    np.testing.assert_array_equal(a.numpy(), b.numpy(), strict=True)  # NaN matches NaN


def _same_signed(a: Any, b: Any) -> None:
    """``_same``, and the sign of every zero too (``assert_array_equal`` has 0 == −0)."""
    _same(a, b)
    numbers = ~torch.isnan(a)
    assert torch.equal(torch.signbit(a)[numbers], torch.signbit(b)[numbers])


# -- multi_margin ----------------------------------------------------------------------------------------------

# Scores on a dyadic grid (every difference exact), class axis last, label in LABELS. Row 0: z = (s_c − s_y) + 1 is
# exactly 0 at class 1 (the kink: no gradient for p = 1), 0.75 at class 2, −0.5 at class 3; then +inf off the
# label, −inf at the label (every term inf), +inf at the label (its own z is NaN, zeroed), NaN off and at the
# label, −inf off the label, a row of ties.
SCORES = [
    [0.5, -0.5, 0.25, -1.0],
    [0.0, INF, 1.0, -2.0],
    [-INF, 0.5, 0.0, 1.0],
    [0.25, INF, -1.0, 3.0],
    [1.0, NAN, 0.0, 0.5],
    [2.0, 0.0, NAN, -1.0],
    [-1.0, -INF, 0.75, 0.0],
    [0.5, 0.5, 0.5, 0.5],
]
LABELS = [0, 0, 0, 1, 0, 2, 0, 3]


def _margin_inputs(dtype: Any, rng: np.random.Generator) -> list[tuple[Any, Any]]:
    special = (torch.tensor(SCORES, dtype=dtype), torch.tensor(LABELS))
    s3 = torch.tensor(rng.normal(size=(2, 3, 6)), dtype=dtype)  # leading axes
    y3 = torch.tensor(rng.integers(0, 6, size=(2, 3)))
    return [special, (s3, y3)]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("m", [0.0, 0.3, 1.0])
def test_multi_margin_native_is_the_generic_form(monkeypatch: pytest.MonkeyPatch, dtype: str, p: int,
                                                 m: float) -> None:
    rng = np.random.default_rng(7)
    dt = getattr(torch, dtype)
    for s, y in _margin_inputs(dt, rng):
        kept = s.clone()
        rows = tuple(s.shape[:-1])
        out = margin._multi_margin((p, m), s, y, xp=xp)
        _same(out, _generic(monkeypatch, margin, margin._multi_margin, (p, m), s, y, xp=xp))
        # A 0-D scale (an unweighted mean) and per-row scales with a zero and negative entries.
        per_row = torch.tensor(rng.uniform(-1.0, 2.0, size=rows), dtype=dt)
        per_row.view(-1)[0] = 0.0
        for scale in (torch.tensor(0.125, dtype=dt), per_row):
            grad, none = margin._multi_margin_vjp((p, m), s, y, scale=scale, needs=(True, False), xp=xp)
            ref = _generic(monkeypatch, margin, margin._multi_margin_vjp, (p, m), s, y, scale=scale,
                           needs=(True, False), xp=xp)[0]
            assert none is None
            _same(grad, ref)
        _same(s, kept)  # the inputs are read, never written


def test_multi_margin_keeps_the_margin_beside_large_scores() -> None:
    """z = (s_c − s_y) + m: the difference is exact (Sterbenz), so the term keeps the margin's digits where torch's
    kernel's (m − s_y) + s_c rounds them away. By hand, in float64 from the float32 inputs and margin (torch adds a
    Python margin to float32 scores in float32): ((1000 − float32(1000.3)) + float32(0.3)) / 2 classes."""
    s = torch.tensor([[1000.3, 1000.0]])
    f32 = np.float32
    expected = ((1000.0 - float(f32(1000.3))) + float(f32(0.3))) / 2  # 6.109476e-06
    for grad in (False, True):  # the rule's forward (under autograd) and the plain call
        x = s.clone().requires_grad_(grad)
        got = lossport.multi_margin(x, torch.tensor([0]), margin=0.3, reduction="none")
        assert float(got[0].detach()) == pytest.approx(expected, rel=2**-23)


# -- kl_divergence ---------------------------------------------------------------------------------------------

# (log q, p) by rows: p = 0 beside log q = −inf, +inf, NaN (each term 0); p > 0 beside log q = −inf (+inf); a NaN
# p; a negative p (with value checks off, log p is 0 there, as in the generic form); p = +inf.
LOG_Q = [
    [-INF, -0.5, -1.5, -2.0],
    [INF, -0.5, -1.0, -3.0],
    [NAN, -0.25, -2.0, -1.0],
    [-INF, -1.0, -0.5, -2.0],
    [-1.0, -0.5, -2.0, -3.0],
    [-1.0, -0.5, -2.0, -3.0],
    [-1.0, -0.5, -2.0, -3.0],
]
P = [
    [0.0, 0.25, 0.5, 0.25],
    [0.0, 0.5, 0.25, 0.25],
    [0.0, 0.5, 0.5, 0.0],
    [0.25, 0.25, 0.5, 0.0],
    [NAN, 0.5, 0.25, 0.25],
    [-0.5, 0.5, 0.5, 0.5],
    [INF, 0.0, 0.0, 0.0],
]
# Log-targets: −inf (p = 0) beside log q = −inf, a finite −200 whose e^t is 0 in float32 beside log q = −inf, NaN,
# +inf.
LOG_P = [
    [-INF, -1.0, -1.0, -2.0],
    [-200.0, -1.0, -0.5, -2.0],
    [NAN, -1.0, -0.5, -2.0],
    [INF, -1.0, -0.5, -2.0],
    [-INF, -INF, 0.0, -INF],
]
LOG_Q_FOR_LOG_P = [
    [-INF, -0.5, -1.5, -2.0],
    [-INF, -0.5, -1.0, -3.0],
    [-1.0, -0.25, -2.0, -1.0],
    [-1.0, -0.25, -2.0, -1.0],
    [-INF, NAN, -0.5, INF],
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("log_targets", [False, True])
def test_kl_native_is_the_generic_form(monkeypatch: pytest.MonkeyPatch, dtype: str, log_targets: bool) -> None:
    rng = np.random.default_rng(8)
    dt = getattr(torch, dtype)
    if log_targets:
        special = (torch.tensor(LOG_Q_FOR_LOG_P, dtype=dt), torch.tensor(LOG_P, dtype=dt))
        t3 = torch.log_softmax(torch.tensor(rng.normal(size=(2, 3, 5)), dtype=dt), dim=-1)
    else:
        special = (torch.tensor(LOG_Q, dtype=dt), torch.tensor(P, dtype=dt))
        t3 = torch.tensor(rng.dirichlet(np.ones(5), size=(2, 3)), dtype=dt)
    q3 = torch.log_softmax(torch.tensor(rng.normal(size=(2, 3, 5)), dtype=dt), dim=-1)
    for log_q, t in (special, (q3, t3)):
        kept = (log_q.clone(), t.clone())
        out = divergence._kl((log_targets, None), log_q, t, xp=xp)
        _same(out, _generic(monkeypatch, divergence, divergence._kl, (log_targets, None), log_q, t, xp=xp))
        _same(log_q, kept[0])
        _same(t, kept[1])


# -- when the natives run --------------------------------------------------------------------------------------


def test_the_natives_decline_while_autograd_records() -> None:
    """In place is only safe where nothing records: a recorded input (composition, double backward) gets
    NotImplemented, and the generic form runs."""
    s = torch.tensor([[0.5, -0.5, 0.25]], requires_grad=True)
    y = torch.tensor([0])
    log_q = torch.log_softmax(s, dim=-1)
    p = torch.tensor([[0.25, 0.5, 0.25]])
    scale = torch.tensor(1.0)
    assert NATIVES["multi_margin"](s, y, 1, 1.0) is NotImplemented
    assert NATIVES["multi_margin_vjp"](s, y, 1, 1.0, scale) is NotImplemented
    assert NATIVES["kl_divergence"](log_q, p, False) is NotImplemented
    with torch.no_grad():
        assert isinstance(NATIVES["multi_margin"](s, y, 1, 1.0), torch.Tensor)
        assert isinstance(NATIVES["multi_margin_vjp"](s, y, 1, 1.0, scale), torch.Tensor)
        assert isinstance(NATIVES["kl_divergence"](log_q, p, False), torch.Tensor)


@pytest.mark.parametrize(("module", "loss", "names"), [
    (margin, "multi_margin", ("multi_margin", "multi_margin_vjp")),
    (divergence, "kl_divergence", ("kl_divergence",)),
])
def test_the_public_losses_take_the_natives(monkeypatch: pytest.MonkeyPatch, module: Any, loss: str,
                                            names: tuple[str, ...]) -> None:
    """Forward and backward of the public loss on eager torch run the natives (which return arrays, not
    NotImplemented): the custom-gradient Function's forward and backward record nothing."""
    answers, spy = _spies(names)
    table = {**NATIVES, **{name: spy(name) for name in names}}
    monkeypatch.setattr(_numerics, "natives", lambda _xp: table)  # what try_native reads
    x = torch.log_softmax(torch.tensor([[0.5, -0.5, 0.25], [1.0, 2.0, -1.0]]), dim=-1).requires_grad_(True)
    second = torch.tensor([0, 2]) if loss == "multi_margin" else torch.tensor([[0.25, 0.5, 0.25], [1.0, 0.0, 0.0]])
    getattr(lossport, loss)(x, second).backward()
    assert x.grad is not None
    for name in names:
        assert answers[name] and all(isinstance(a, torch.Tensor) for a in answers[name]), name


def test_vmap_over_one_input() -> None:
    """torch.func.vmap over the predictions alone (targets, labels shared): the natives decline functorch's
    batched tensors (a temporary made from the unbatched input cannot take a batched operand in place, and clamp_
    and scatter_ have no batching rule), so the generic form runs. Reference: the loss of each slice, unbatched."""
    rng = np.random.default_rng(9)
    scores = torch.tensor(rng.normal(size=(3, 4, 5)))
    labels = torch.tensor([0, 1, 4, 2])
    log_q = torch.log_softmax(torch.tensor(rng.normal(size=(3, 4, 5))), dim=-1)
    p = torch.tensor(rng.dirichlet(np.ones(5), size=4))
    calls = [(lambda s: lossport.multi_margin(s, labels), scores),
             (lambda s: lossport.multi_margin(s, labels, p=2, margin=0.5), scores),
             (lambda q: lossport.kl_divergence(q, p), log_q),
             (lambda q: lossport.kl_divergence(q, torch.log(p), log_targets=True), log_q)]
    for fn, batch in calls:
        with warnings.catch_warnings():
            warnings.filterwarnings("error", message=".*batching rule")
            got = torch.func.vmap(fn)(batch)
        np.testing.assert_array_equal(got.numpy(), torch.stack([fn(b) for b in batch]).numpy())


def test_int32_labels_give_the_int64_result() -> None:
    """Every loss with integer inputs, on torch, with them as int32: the standard allows any integer index dtype,
    and ``torch.take_along_dim`` wants int64 (nine losses raised before the adapter's namespace cast them). The
    reference is the same call with the case's int64 arrays."""
    from lossport.backends.parity.cases import cases_for

    from lossport._registry import LOSSES

    def tensors(values: Any, int32: bool) -> Any:
        if isinstance(values, (list, tuple)):
            return type(values)(tensors(v, int32) for v in values)
        if not isinstance(values, np.ndarray):
            return values
        return torch.from_numpy(values.astype(np.int32) if int32 and values.dtype.kind == "i" else values)

    checked = []
    for loss in sorted(LOSSES):
        for case in cases_for(loss):
            if not any(isinstance(a, np.ndarray) and a.dtype.kind == "i" for a in case.args):
                continue
            kwargs = {k: tensors(v, False) for k, v in case.kwargs.items()}
            got = getattr(lossport, loss)(*tensors(case.args, True), **kwargs)
            _same(got, getattr(lossport, loss)(*tensors(case.args, False), **kwargs))
            checked.append(loss)
            break
    assert len(checked) >= 20, checked  # the integer-label losses (28 when this was written)


def test_vmap_over_one_input_declines_the_in_place_natives() -> None:
    """``torch.func.vmap`` over the labels alone: the in-place natives' temporary, made from the unbatched logits,
    cannot take the batched labels in place (sigmoid_ce raised "vmap: inplace arithmetic ... is not possible"), so
    they decline on functorch's wrapped tensors. The reference is the loop of per-slice calls."""
    x = torch.linspace(-3.0, 3.0, 12, dtype=torch.float64).reshape(3, 4)
    y = (torch.arange(60, dtype=torch.float64).reshape(5, 3, 4) % 3 == 0).to(torch.float64)
    loss = lambda labels: lossport.binary_cross_entropy_with_logits(x, labels)  # noqa: E731
    _same(torch.func.vmap(loss)(y), torch.stack([loss(labels) for labels in y]))


# -- sigmoid focal (backends/torch.py `sigmoid_focal`: _cross_entropy._focal_parts in blocks, in place) -----------

# Logits × labels, every pair: signed zeros, infinities, NaN, tiny and confident logits; hard labels on either side
# of the logit (b = 0: log u = −|x| exactly), a label of −0, soft and nearly-hard ones.
FOCAL_LOGITS = [0.0, -0.0, INF, -INF, NAN, 1e-30, -1e-30, 1e-8, 0.5, -0.5, 3.0, -3.0, 20.0, -20.0, 90.0, -90.0,
                1e4, -1e4]
FOCAL_LABELS = [0.0, -0.0, 1.0, 0.5, 0.25, 0.9, 1e-7, 1.0 - 2.0**-24]


def _elementwise_inputs(dt: Any, logits: list[float], labels: list[float], shape: tuple[int, int],
                        seed: int) -> list[tuple[Any, Any]]:
    """Every pair of ``logits`` × ``labels`` (a grid), and random logits with hard and soft labels mixed, of
    ``shape`` (sized against backends/torch.py's blocks of 2^16)."""
    grid = torch.tensor(logits, dtype=dt)[:, None] * torch.ones(len(labels), dtype=dt)
    hard = torch.tensor(labels, dtype=dt).expand(len(logits), -1).contiguous()
    rng = np.random.default_rng(seed)
    x = torch.tensor(rng.normal(size=shape) * 8.0, dtype=dt)
    y = torch.tensor(np.where(rng.random(shape) < 0.5, rng.integers(0, 2, shape), rng.random(shape)), dtype=dt)
    return [(grid, hard), (x, y)]


def _focal_inputs(dt: Any) -> list[tuple[Any, Any]]:
    # 2^16 + 99 elements: a second block, ragged
    return _elementwise_inputs(dt, FOCAL_LOGITS, FOCAL_LABELS, (5, 13127), 11)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_sigmoid_focal_native_is_the_generic_form(monkeypatch: pytest.MonkeyPatch, dtype: str, gamma: float,
                                                  smoothing: float) -> None:
    """The rule's forward, with the native and with the table hidden: the loss (α applied after) and the saved
    derivative ∂ℓ₀/∂x bit for bit, signed zeros included, as the training forward computes them; and the loss alone
    where no backward follows (``backward=False``, the plain forward). The inputs are left as they were."""
    from lossport import _cross_entropy

    assert "sigmoid_focal" in NATIVES
    for x, y in _focal_inputs(getattr(torch, dtype)):
        kept = (x.clone(), y.clone())
        for alpha in (None, 0.25):
            knobs = (alpha, gamma, smoothing)
            loss, (grad,) = _cross_entropy._sigmoid_focal(knobs, x, y, xp=xp, backward=True)
            ref, (ref_grad,) = _generic(monkeypatch, _cross_entropy, _cross_entropy._sigmoid_focal, knobs, x, y, xp=xp,
                                        backward=True)
            _same_signed(loss, ref)
            _same_signed(grad, ref_grad)
            alone, residuals = _cross_entropy._sigmoid_focal(knobs, x, y, xp=xp, backward=False)
            assert residuals == ()
            _same_signed(alone, _generic(monkeypatch, _cross_entropy, _cross_entropy._sigmoid_focal, knobs, x, y,
                                         xp=xp, backward=False)[0])
            _same_signed(alone, ref)
        _same(x, kept[0])
        _same(y, kept[1])


def test_the_focal_native_declines_what_it_does_not_cover() -> None:
    """NotImplemented (the generic form runs) for a recorded input, a knob given as an array, broadcast labels,
    labels of another dtype, a non-contiguous or 16-bit input; a pair of arrays otherwise."""
    native = NATIVES["sigmoid_focal"]
    x = torch.linspace(-3.0, 3.0, 12).reshape(3, 4)
    y = (torch.arange(12).reshape(3, 4) % 2).to(torch.float32)
    assert native(x.clone().requires_grad_(True), y, 2.0, 0.0, True) is NotImplemented
    assert native(x, y, torch.tensor(2.0), 0.0, True) is NotImplemented
    assert native(x, y, 2.0, torch.tensor(0.1), True) is NotImplemented
    assert native(x, y[:1], 2.0, 0.0, True) is NotImplemented
    assert native(x, y.double(), 2.0, 0.0, True) is NotImplemented
    assert native(x.t(), y.t(), 2.0, 0.0, True) is NotImplemented
    assert native(x.half(), y.half(), 2.0, 0.0, True) is NotImplemented
    with torch.no_grad():
        loss, grad = native(x.clone().requires_grad_(True), y, 2.0, 0.0, True)
    assert loss.shape == grad.shape == x.shape
    loss, nothing = native(x, y, 2.0, 0.0, False)
    assert nothing is None and loss.shape == x.shape


def test_sigmoid_focal_computes_the_derivative_only_for_a_backward(monkeypatch: pytest.MonkeyPatch) -> None:
    """The public loss on eager torch takes the native, asking for ∂ℓ₀/∂x only where a backward can follow
    (the rule's training forward, in the torch Function; the plain forward runs when no input is recorded:
    ``no_grad``, or no input requiring grad). Values and gradient equal the generic form's bit for bit."""
    asked: list[bool] = []

    def spy(*args: Any) -> Any:
        out = NATIVES["sigmoid_focal"](*args)
        assert out is not NotImplemented
        asked.append(args[-1])
        return out

    x = torch.tensor([[-2.0, 0.5, 30.0, -0.0], [1.0, -7.0, 0.25, 4.0]])
    y = torch.tensor([[0.0, 1.0, 1.0, 0.5], [0.0, 0.0, 0.75, 1.0]])
    with monkeypatch.context() as m:
        m.setattr(_numerics, "natives", lambda _xp: {**NATIVES, "sigmoid_focal": spy})
        grad_x = x.clone().requires_grad_(True)
        loss = lossport.sigmoid_focal(grad_x, y, alpha=0.25)
        loss.backward()
        with torch.no_grad():
            quiet = lossport.sigmoid_focal(grad_x, y, alpha=0.25)
        plain = lossport.sigmoid_focal(x, y, alpha=0.25, reduction="none")
    assert asked == [True, False, False]
    ref_x = x.clone().requires_grad_(True)
    ref = _generic(monkeypatch, lossport, lossport.sigmoid_focal, ref_x, y, alpha=0.25)
    ref.backward()
    _same(loss.detach(), ref.detach())
    _same(quiet, ref.detach())
    _same(grad_x.grad, ref_x.grad)
    _same(plain, _generic(monkeypatch, lossport, lossport.sigmoid_focal, x, y, alpha=0.25, reduction="none"))


def test_sigmoid_focal_vmap_over_the_labels() -> None:
    """``torch.func.vmap`` over the labels alone: the native declines functorch's wrapped tensors (as
    ``sigmoid_ce``); the reference is the loop of per-slice calls."""
    x = torch.linspace(-3.0, 3.0, 12, dtype=torch.float64).reshape(3, 4)
    y = (torch.arange(60, dtype=torch.float64).reshape(5, 3, 4) % 3 == 0).to(torch.float64)
    loss = lambda labels: lossport.sigmoid_focal(x, labels, label_smoothing=0.1)  # noqa: E731
    _same(torch.func.vmap(loss)(y), torch.stack([loss(labels) for labels in y]))


# -- softmax cross-entropy on label distributions, cross-entropy on probabilities ---------------------------------

_SOFT_CE_NATIVES = ("soft_ce", "soft_ce_vjp", "probability_ce", "probability_ce_vjp")


# Logits by rows, labels beside them: a tie for the max (the first is the argmax); a NaN logit off the labels' mass
# (the row is NaN); a masked class (−inf, label 0: mul0's zero); −inf under a label (the loss +inf); a padding row
# of −inf under zero labels; +inf off the label, and two +inf (inf − inf = NaN); a confident prediction (the loss
# 2.8e-13, kept by log1p); large negative logits under soft labels; zero labels on finite logits (−0, as −Σ);
# a NaN logit under zero labels (0, as mul0 gives).
SOFT_Z = [
    [1.0, 3.0, 3.0, 0.0],
    [NAN, 1.0, 2.0, 5.0],
    [-INF, 0.5, 2.0, 1.0],
    [-INF, 0.5, 2.0, 1.0],
    [-INF, -INF, -INF, -INF],
    [INF, 1.0, 0.0, 2.0],
    [INF, 1.0, INF, 2.0],
    [30.0, 0.0, 0.0, 0.0],
    [-1000.0, -1001.0, -1002.0, -1000.5],
    [0.5, 1.0, 2.0, 3.0],
    [0.5, NAN, 2.0, 3.0],
]
SOFT_Y = [
    [0.5, 0.5, 0.0, 0.0],
    [0.0, 1.0, 0.0, 0.0],
    [0.0, 0.25, 0.75, 0.0],
    [0.5, 0.0, 0.5, 0.0],
    [0.0, 0.0, 0.0, 0.0],
    [0.0, 1.0, 0.0, 0.0],
    [1.0, 0.0, 0.0, 0.0],
    [1.0, 0.0, 0.0, 0.0],
    [0.1, 0.2, 0.3, 0.4],
    [0.0, 0.0, 0.0, 0.0],
    [0.0, 0.0, 0.0, 0.0],
]


def _soft_ce_inputs(dtype: Any, rng: np.random.Generator) -> list[tuple[Any, Any]]:
    special = (torch.tensor(SOFT_Z, dtype=dtype), torch.tensor(SOFT_Y, dtype=dtype))
    z3 = torch.tensor(5.0 * rng.normal(size=(2, 3, 7)), dtype=dtype)  # leading axes
    soft = torch.tensor(rng.dirichlet(np.full(7, 0.5), size=(2, 3)), dtype=dtype)
    hard = torch.nn.functional.one_hot(torch.tensor(rng.integers(0, 7, size=(2, 3))), 7).to(dtype)
    # the class axis moved last (axis=0 in the public call: strided views), with masked classes in two rows
    moved = torch.tensor(rng.normal(size=(7, 2, 3)), dtype=dtype).movedim(0, -1)
    labels = soft.clone()
    moved[0, 1, 2] = moved[1, 0, 5] = -INF
    labels[0, 1, 2] = labels[1, 0, 5] = 0.0
    return [special, (z3, soft), (z3, hard), (moved, labels.movedim(-1, 0).contiguous().movedim(0, -1)),
            (torch.tensor([2.0, -INF, 0.5], dtype=dtype), torch.tensor([0.25, 0.0, 0.75], dtype=dtype))]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("smoothing", "z_loss"), [(0.0, 0.0), (0.1, 0.0), (0.0, 1e-3), (0.2, 0.5)])
def test_soft_ce_native_is_the_generic_form(monkeypatch: pytest.MonkeyPatch, dtype: str, smoothing: float,
                                            z_loss: float) -> None:
    """Loss, residuals (max, Σ others, argmax) and both cotangents, bit for bit (signs of zeros included), against
    the generic form with the native table hidden."""
    from lossport import _cross_entropy as ce

    rng = np.random.default_rng(10)
    dt = getattr(torch, dtype)
    knobs = (smoothing, z_loss)
    for z, y in _soft_ce_inputs(dt, rng):
        kept = (z.clone(), y.clone())
        assert NATIVES["soft_ce"](z, ce._smoothed(smoothing, y), z_loss) is not NotImplemented  # the native runs
        loss, residuals = ce._soft_ce(knobs, z, y, xp=xp)
        ref_loss, ref_residuals = _generic(monkeypatch, ce, ce._soft_ce, knobs, z, y, xp=xp)
        _same_signed(loss, ref_loss)
        for got, ref in zip(residuals, ref_residuals, strict=True):
            _same_signed(got, ref)
        per_row = torch.tensor(rng.uniform(-1.0, 2.0, size=tuple(z.shape[:-1])), dtype=dt)
        per_row.view(-1)[0] = 0.0
        for scale in (torch.tensor(0.125, dtype=dt), per_row):
            grads = ce._soft_ce_vjp(knobs, z, y, scale=scale, needs=(True, True), residuals=residuals, xp=xp)
            refs = _generic(monkeypatch, ce, ce._soft_ce_vjp, knobs, z, y, scale=scale, needs=(True, True),
                            residuals=residuals, xp=xp)
            for got, ref in zip(grads, refs, strict=True):
                _same_signed(got, ref)
        _same(z, kept[0])  # the inputs are read, never written
        _same(y, kept[1])


# Labels for SOFT_Z's rows: at a tie for the max, beside a NaN logit, at a masked class (−inf: the loss +inf), off
# one, in a padding row of −inf, beside one and two +inf logits, at a confident prediction's max, at large negative
# logits, and at the max and off it.
SPARSE_Y = [1, 2, 0, 3, 0, 1, 0, 0, 2, 3, 0]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("smoothing", "z_loss", "weighted"),
                         [(0.0, 0.0, False), (0.1, 0.0, True), (0.0, 1e-3, False), (0.2, 0.5, True)])
def test_sparse_ce_backward_native_is_the_generic_form(monkeypatch: pytest.MonkeyPatch, dtype: str,
                                                       smoothing: float, z_loss: float, weighted: bool) -> None:
    """The sparse CE rule's logit cotangent with the torch native ``softmax_at_vjp`` (one fresh array, in place),
    bit for bit (signs of zeros included) against the generic form with the native table hidden: every reduction,
    class weights, row weights and a mask, special rows and leading axes, with the plain forward's residuals and
    with the training forward's (which adds each row's shift and exponential sum)."""
    from lossport import _cross_entropy as ce

    rng = np.random.default_rng(13)
    dt = getattr(torch, dtype)
    cases = [(torch.tensor(SOFT_Z, dtype=dt), torch.tensor(SPARSE_Y)),
             (torch.tensor(5.0 * rng.normal(size=(2, 3, 7)), dtype=dt), torch.tensor(rng.integers(0, 7, (2, 3))))]
    for z, y in cases:
        kept = z.clone()
        rows = tuple(y.shape)
        cw = torch.tensor(rng.uniform(0.5, 2.0, z.shape[-1]), dtype=dt) if weighted else None
        w = torch.tensor(rng.uniform(0.0, 2.0, rows), dtype=dt) if weighted else None
        m = torch.tensor(rng.random(rows) < 0.8) if weighted else None
        for reduction, backward in itertools.product(("mean", "sum", "none"), (False, True)):
            params = (smoothing, z_loss, reduction)
            value, residuals = ce._sparse_ce_forward(params, z, y, w, m, cw, xp=xp, backward=backward)
            assert len(residuals) == (3 if backward else 1)
            g = torch.tensor(rng.uniform(-1.0, 2.0, tuple(value.shape)), dtype=dt)
            args = (params, (z, y, w, m, cw), residuals, g, (True, False, False, False, False))
            grad = ce._sparse_ce_backward(*args, xp=xp)[0]
            _same_signed(grad, _generic(monkeypatch, ce, ce._sparse_ce_backward, *args, xp=xp)[0])
        _same(z, kept)  # the logits are read, never written
    z, y = cases[1]
    shift, row = torch.amax(z, -1, keepdim=True), torch.ones(2, 3, 1, dtype=dt)
    at_label = torch.zeros(2, 3, 1, dtype=dt)
    assert isinstance(NATIVES["softmax_at_vjp"](z, shift, None, row, None, y[..., None], at_label), torch.Tensor)
    assert NATIVES["softmax_at_vjp"](z.requires_grad_(True), shift, None, row, None, y[..., None],
                                     at_label) is NotImplemented


# Probabilities by rows: 0 under a label (log clamped to −100, gradient 0) and under none; NaN (log p −100 as the
# generic where gives, gradient 0); around the floor e^{−100} = 3.7e-44 (below it: gradient 0; above: −y/p); the
# clip's bounds 1e-7 and 1 − 1e-7 themselves (kept) and 1e-8 (clipped); values outside [0, 1] (value checks off).
PROBS = [
    [0.0, 0.25, 0.75, 0.0],
    [NAN, 0.5, 0.5, 0.0],
    [1e-45, 3.7e-44, 4e-44, 1.0],
    [1e-7, 1.0 - 1e-7, 0.5, 1e-8],
    [-0.5, 0.5, 2.0, INF],
]
PROB_LABELS = [
    [0.5, 0.5, 0.5, 0.0],
    [0.25, 0.25, 0.25, 0.25],
    [0.25, 0.25, 0.25, 0.25],
    [0.1, 0.2, 0.3, 0.4],
    [0.5, 0.5, 0.25, 0.5],
]
PROB_CLASSES = [0, 0, 2, 3, 1]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("eps", [None, 1e-7, 0.25])
def test_probability_ce_native_is_the_generic_form(monkeypatch: pytest.MonkeyPatch, dtype: str,
                                                   eps: float | None) -> None:
    """Loss and both cotangents of categorical_cross_entropy's rule, with label distributions and with integer
    labels (whose forward has no native: a gather of one entry per row), bit for bit against the generic form."""
    from lossport import _cross_entropy as ce

    rng = np.random.default_rng(11)
    dt = getattr(torch, dtype)
    p3 = torch.tensor(rng.dirichlet(np.ones(6), size=(2, 3)), dtype=dt)
    cases = [(torch.tensor(PROBS, dtype=dt), torch.tensor(PROB_LABELS, dtype=dt)),
             (torch.tensor(PROBS, dtype=dt), torch.tensor(PROB_CLASSES)),
             (p3, torch.tensor(rng.dirichlet(np.ones(6), size=(2, 3)), dtype=dt)),
             (p3, torch.tensor(rng.integers(0, 6, size=(2, 3))))]
    for p, y in cases:
        kept = (p.clone(), y.clone())
        dense = y.ndim == p.ndim
        if dense:
            assert NATIVES["probability_ce"](p, y, eps, -100.0) is not NotImplemented  # the native runs
        _same_signed(ce._probability_ce((eps,), p, y, xp=xp),
                   _generic(monkeypatch, ce, ce._probability_ce, (eps,), p, y, xp=xp))
        per_row = torch.tensor(rng.uniform(-1.0, 2.0, size=tuple(p.shape[:-1])), dtype=dt)
        per_row.view(-1)[0] = 0.0
        for scale in (torch.tensor(0.125, dtype=dt), per_row):
            wide = scale if scale.ndim == 0 else scale.unsqueeze(-1)
            assert NATIVES["probability_ce_vjp"](p, y, eps, ce._FLOOR_P, wide) is not NotImplemented
            grads = ce._probability_ce_vjp((eps,), p, y, scale=scale, needs=(True, dense), xp=xp)
            refs = _generic(monkeypatch, ce, ce._probability_ce_vjp, (eps,), p, y, scale=scale,
                            needs=(True, dense), xp=xp)
            _same_signed(grads[0], refs[0])
            if dense:
                _same_signed(grads[1], refs[1])
        _same(p, kept[0])
        _same(y, kept[1])


def test_the_cross_entropy_natives_decline() -> None:
    """NotImplemented (the generic form runs) while autograd records, for a knob given as an array, and for labels
    of another shape or dtype."""
    z = torch.tensor([[0.5, -0.5, 0.25]], requires_grad=True)
    y = torch.tensor([[0.25, 0.5, 0.25]])
    m, k = torch.max(z.detach(), dim=-1, keepdim=True)
    rest, scale = torch.tensor([[0.9]]), torch.tensor(1.0)
    assert NATIVES["soft_ce"](z, y, 0.0) is NotImplemented
    assert NATIVES["soft_ce_vjp"](z, y, 0.0, m, rest, k, scale) is NotImplemented
    assert NATIVES["probability_ce"](z, y, None, -100.0) is NotImplemented
    assert NATIVES["probability_ce_vjp"](z, y, None, 1e-44, scale) is NotImplemented
    with torch.no_grad():
        assert isinstance(NATIVES["soft_ce"](z, y, 0.0)[0], torch.Tensor)
        assert isinstance(NATIVES["soft_ce_vjp"](z, y, 0.0, m, rest, k, scale), torch.Tensor)
        assert isinstance(NATIVES["probability_ce"](z, y, None, -100.0), torch.Tensor)
        assert isinstance(NATIVES["probability_ce_vjp"](z, y, None, 1e-44, scale), torch.Tensor)
        assert NATIVES["soft_ce"](z, y, torch.tensor(0.1)) is NotImplemented  # an array knob
        assert NATIVES["probability_ce"](z, y, torch.tensor(0.1), -100.0) is NotImplemented
        assert NATIVES["soft_ce"](z, y[..., :2], 0.0) is NotImplemented  # another shape
        assert NATIVES["soft_ce"](z, y.double(), 0.0) is NotImplemented  # another dtype
        assert NATIVES["probability_ce"](z, y.expand(2, 3), None, -100.0) is NotImplemented


@pytest.mark.parametrize(("loss", "kwargs", "labels", "names"), [
    ("softmax_cross_entropy", {}, "soft", ("soft_ce", "soft_ce_vjp")),
    ("softmax_cross_entropy", {"label_smoothing": 0.1, "z_loss": 1e-3}, "soft", ("soft_ce", "soft_ce_vjp")),
    ("categorical_cross_entropy", {}, "soft", ("probability_ce", "probability_ce_vjp")),
    ("categorical_cross_entropy", {"eps": 1e-7}, "soft", ("probability_ce", "probability_ce_vjp")),
    ("categorical_cross_entropy", {}, "classes", ("probability_ce_vjp",)),
])
def test_the_public_cross_entropies_take_the_natives(monkeypatch: pytest.MonkeyPatch, loss: str,
                                                     kwargs: dict[str, Any], labels: str,
                                                     names: tuple[str, ...]) -> None:
    """Forward and backward of the public losses on eager torch run the natives (arrays, not NotImplemented), and
    the gradients, with respect to the labels too, are the ones of the generic form (the four natives hidden)."""
    answers, spy = _spies(names)
    x0 = torch.softmax(torch.tensor([[0.5, -0.5, 0.25], [1.0, 2.0, -1.0]], dtype=torch.float64), dim=-1)
    y0 = torch.tensor([0, 2]) if labels == "classes" else torch.tensor([[0.25, 0.5, 0.25], [1.0, 0.0, 0.0]],
                                                                       dtype=torch.float64)
    results = []
    for table in ({**NATIVES, **{name: spy(name) for name in names}},
                  {name: f for name, f in NATIVES.items() if name not in _SOFT_CE_NATIVES}):
        monkeypatch.setattr(_numerics, "natives", lambda _xp, table=table: table)  # what try_native reads
        x = x0.clone().requires_grad_(True)
        y = y0.clone().requires_grad_(labels != "classes")
        value = getattr(lossport, loss)(x, y, weights=torch.tensor([0.5, 2.0], dtype=torch.float64), **kwargs)
        results.append((value, *torch.autograd.grad(value, [x, y] if y.requires_grad else [x])))
    for name in names:
        assert answers[name] and all(isinstance(a, (torch.Tensor, tuple)) for a in answers[name]), name
    for got, ref in zip(*results, strict=True):
        _same_signed(got.detach(), ref.detach())


def test_cross_entropies_vmap_over_one_input() -> None:
    """torch.func.vmap over the logits (probabilities) alone and over the labels alone: the natives decline
    functorch's wrapped tensors; the reference is the loop of per-slice calls."""
    rng = np.random.default_rng(12)
    z = torch.tensor(rng.normal(size=(3, 4, 5)))
    p = torch.softmax(z, dim=-1)
    y = torch.tensor(rng.dirichlet(np.ones(5), size=(3, 4)))
    calls = [(lambda a: lossport.softmax_cross_entropy(a, y[0], z_loss=1e-3), z),
             (lambda b: lossport.softmax_cross_entropy(z[0], b, label_smoothing=0.1), y),
             (lambda a: lossport.categorical_cross_entropy(a, y[0]), p),
             (lambda b: lossport.categorical_cross_entropy(p[0], b, eps=1e-7), y)]
    for fn, batch in calls:  # (the generic form's log_softmax warns that scatter_ has no batching rule)
        _same(torch.func.vmap(fn)(batch), torch.stack([fn(b) for b in batch]))


# Under torch.compile the four natives take forms of their own (backends/torch.py, above soft_ce), written
# for inductor's fusion: other operations than the eager natives', so the same numbers to rounding, not bit for
# bit. Traced here by Dynamo with the "eager" backend (torch.compiler.is_compiling() is true, fullgraph finds any
# graph break; no code generation, which takes seconds per graph): the forms' formulas. Inductor's code for them
# is checked by tests/test_matrix.py (test_value_torch_compile, test_gradient_torch_compile).

def _traced(fn: Callable[..., Any]) -> Callable[..., Any]:
    return torch.compile(fn, fullgraph=True, dynamic=False, backend="eager")


def _close_to(got: Any, ref: Any, dtype: Any, *, ulps: float = 4.0, terms: Any = None) -> None:
    """Within ``ulps`` of ``ref``, relative to each element, or to ``terms`` (the magnitude of the terms whose
    difference it is, where they cancel), with the same infinities and NaN."""
    assert got.dtype == ref.dtype and got.shape == ref.shape
    eps = ulps * torch.finfo(dtype).eps
    size = ref.abs() if terms is None else torch.maximum(ref.abs(), terms.nan_to_num(nan=0.0, posinf=0.0))
    finite = torch.isfinite(ref)
    np.testing.assert_array_equal(got[~finite].numpy(), ref[~finite].numpy())  # inf for inf, NaN for NaN
    assert torch.all((got[finite] - ref[finite]).abs() <= eps * size[finite]), (got, ref)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("smoothing", "z_loss"), [(0.0, 0.0), (0.2, 0.5)])
def test_soft_ce_compiled_form(dtype: str, smoothing: float, z_loss: float) -> None:
    """The loss, the residuals and the logits' cotangent under torch.compile against the eager natives' (4 ulps,
    of the terms ``S·p`` and ``y`` where the cotangent cancels; the max and the argmax exactly), on SOFT_Z's
    special rows and soft labels over leading axes, the compiled backward fed either forward's residuals. Two rows
    differ by design: a row with a NaN logit has a NaN cotangent throughout (eager mends its argmax entry to
    −y_k), and every +inf of a row is mended as its argmax (eager: the first, NaN beside it)."""
    from lossport import _cross_entropy as ce

    torch._dynamo.reset()
    rng = np.random.default_rng(13)
    dt = getattr(torch, dtype)
    knobs = (smoothing, z_loss)

    def vjp(z: Any, y: Any, scale: Any, residuals: tuple[Any, ...]) -> Any:
        return ce._soft_ce_vjp(knobs, z, y, scale=scale, needs=(True, False), residuals=residuals, xp=xp)[0]

    def compiled(z: Any, y: Any, scale: Any, given: tuple[Any, ...]) -> Any:
        loss, residuals = ce._soft_ce(knobs, z, y, xp=xp)
        native = NATIVES["soft_ce"](z, ce._smoothed(smoothing, y), z_loss)
        return native, loss, residuals, vjp(z, y, scale, residuals), vjp(z, y, scale, given)

    traced = _traced(compiled)
    special, (z3, soft) = _soft_ce_inputs(dt, rng)[:2]
    for z, y in (special, (z3, soft)):
        ref_loss, ref_residuals = ce._soft_ce(knobs, z, y, xp=xp)  # eager: the natives
        scale = torch.tensor(rng.uniform(-1.0, 2.0, size=z.shape[:-1]), dtype=dt)
        native, loss, residuals, *grads = traced(z, y, scale, ref_residuals)
        assert isinstance(native, tuple)  # the compiled form ran, not NotImplemented
        _close_to(loss, ref_loss, dt)
        _same(residuals[0], ref_residuals[0])
        _close_to(residuals[1], ref_residuals[1], dt)
        _same(residuals[2], ref_residuals[2])
        wide, y_s = scale.unsqueeze(-1), ce._smoothed(smoothing, y)
        ref = vjp(z, y, scale, ref_residuals)
        tied_inf = (z == INF) & ((z == INF).sum(-1, keepdim=True) > 1)
        ref = torch.where(torch.isnan(z).any(-1, keepdim=True), NAN, torch.where(tied_inf, -y_s * wide, ref))
        total, p = y_s.sum(-1, keepdim=True), torch.softmax(torch.where(torch.isnan(z), 0.0, z), dim=-1)
        top = z == z.amax(-1, keepdim=True)  # (S − y) − S·s/(1 + s) there: terms of S
        terms = torch.where(top, total, total * p + y_s.abs()) * wide.abs()
        for grad in grads:
            _close_to(grad, ref, dt, terms=terms)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("eps", [None, 1e-7, 0.25])
def test_probability_ce_compiled_form(dtype: str, eps: float | None) -> None:
    """categorical_cross_entropy's rule under torch.compile: the loss as the eager native's (PROBS: 0, NaN, the
    floor, the clip's bounds, values outside [0, 1]), the cotangent within an ulp of it (y·(−scale) / p, where eager
    divides first); integer labels take the generic form."""
    from lossport import _cross_entropy as ce

    torch._dynamo.reset()
    rng = np.random.default_rng(14)
    dt = getattr(torch, dtype)

    def vjp(p: Any, y: Any, scale: Any) -> Any:
        return ce._probability_ce_vjp((eps,), p, y, scale=scale, needs=(True, False), xp=xp)[0]

    def compiled(p: Any, y: Any, scale: Any) -> Any:
        native = NATIVES["probability_ce"](p, y, eps, -100.0)
        return native, ce._probability_ce((eps,), p, y, xp=xp), vjp(p, y, scale)

    traced = _traced(compiled)
    p3 = torch.tensor(rng.dirichlet(np.ones(6), size=(2, 3)), dtype=dt)
    for p, y in [(torch.tensor(PROBS, dtype=dt), torch.tensor(PROB_LABELS, dtype=dt)),
                 (p3, torch.tensor(rng.dirichlet(np.ones(6), size=(2, 3)), dtype=dt))]:
        scale = torch.tensor(rng.uniform(-1.0, 2.0, size=p.shape[:-1]), dtype=dt)
        native, loss, grad = traced(p, y, scale)
        assert isinstance(native, torch.Tensor)  # the compiled form ran, not NotImplemented
        _close_to(loss, ce._probability_ce((eps,), p, y, xp=xp), dt, ulps=0.0)
        _close_to(grad, vjp(p, y, scale), dt, ulps=1.0)
    classes, one = torch.tensor(PROB_CLASSES), torch.tensor(1.0, dtype=dt)
    eager = NATIVES["probability_ce_vjp"](torch.tensor(PROBS, dtype=dt), classes, eps, ce._FLOOR_P, one)
    assert isinstance(eager, torch.Tensor)  # eager: one scattered entry per row
    assert _traced(lambda p, y, s: NATIVES["probability_ce_vjp"](p, y, eps, ce._FLOOR_P, s))(
        torch.tensor(PROBS, dtype=dt), classes, one) is NotImplemented  # integer labels: the generic form


def test_the_compiled_forms_decline_while_autograd_records() -> None:
    """Under torch.compile too, a recorded input (the tests' composition, a double backward's recomputation) gets
    NotImplemented: the generic forms, differentiable through their wheres, run."""
    z = torch.tensor([[0.5, -0.5, 0.25]], requires_grad=True)
    y = torch.tensor([[0.25, 0.5, 0.25]])
    m, k = torch.max(z.detach(), dim=-1, keepdim=True)
    rest, scale = torch.tensor([[0.9]]), torch.tensor(1.0)
    calls = [lambda: NATIVES["soft_ce"](z, y, 0.0), lambda: NATIVES["soft_ce_vjp"](z, y, 0.0, m, rest, k, scale),
             lambda: NATIVES["probability_ce"](z, y, None, -100.0),
             lambda: NATIVES["probability_ce_vjp"](z, y, None, 1e-44, scale)]
    for call in calls:
        assert _traced(call)() is NotImplemented


# -- binary cross-entropy with logits (backends/torch.py `sigmoid_ce`, `sigmoid_ce_vjp`: in blocks, in place) -----

# Logits × labels, every pair: signed zeros, infinities, NaN (both signs: the sign bit picks the branch), tiny and
# confident logits; hard labels (a label of −0 too), soft ones, and labels outside [0, 1] (2, −1, ±inf, NaN), which
# the loss computes through (c = 0 only at y = 1 beside x ≥ +0 and y = ±0 beside x ≤ −0: mul0's zero).
BCE_LOGITS = [0.0, -0.0, INF, -INF, NAN, -NAN, 1e-30, -1e-30, 0.5, -0.5, 3.0, -3.0, 20.0, -20.0, 90.0, -90.0, 1e4,
              -1e4]
BCE_LABELS = [0.0, -0.0, 1.0, 0.5, 0.25, 1e-7, 1.0 - 2.0**-24, 2.0, -1.0, INF, -INF, NAN]


def _bce_inputs(dt: Any) -> list[tuple[Any, Any]]:
    # 2 × 2^16 + 1 elements: three blocks, the last of one element
    return _elementwise_inputs(dt, BCE_LOGITS, BCE_LABELS, (3, 43691), 13)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sigmoid_ce_natives_are_the_generic_form(monkeypatch: pytest.MonkeyPatch, dtype: str) -> None:
    """_numerics.sigmoid_ce and sigmoid_ce_vjp (w = 1, no smoothing) with the natives and with the table hidden: bit
    for bit, signed zeros included; the gradient under a 0-D scale (a "mean": 1/n, and −inf, which makes every
    product NaN or ±inf) and under one of the input's shape (a "none"), with NaN and ±0 among it. The inputs are
    left as they were."""
    dt = getattr(torch, dtype)
    rng = np.random.default_rng(14)
    for x, y in _bce_inputs(dt):
        kept = (x.clone(), y.clone())
        assert NATIVES["sigmoid_ce"](x, y, None, 0.0) is not NotImplemented
        _same_signed(_numerics.sigmoid_ce(x, y, None, 0.0, xp=xp),
                     _generic(monkeypatch, _numerics, _numerics.sigmoid_ce, x, y, None, 0.0, xp=xp))
        full = torch.tensor(rng.normal(size=x.shape), dtype=dt)
        full.view(-1)[:3] = torch.tensor([NAN, 0.0, -0.0], dtype=dt)
        for scale in (torch.tensor(1.0 / x.numel(), dtype=dt), torch.tensor(-INF, dtype=dt), full):
            assert NATIVES["sigmoid_ce_vjp"](x, y, None, 0.0, scale) is not NotImplemented
            _same_signed(_numerics.sigmoid_ce_vjp(x, y, None, 0.0, scale, xp=xp),
                         _generic(monkeypatch, _numerics, _numerics.sigmoid_ce_vjp, x, y, None, 0.0, scale, xp=xp))
        _same(x, kept[0])
        _same(y, kept[1])


def test_the_sigmoid_ce_natives_decline_what_they_do_not_cover() -> None:
    """NotImplemented (the generic form runs) for pos_weight, smoothing, broadcast labels, labels of another dtype, a
    non-contiguous or 16-bit input, a recorded input, a device other than the CPU (meta tensors: nothing runs), and
    a scale of another dtype or a broadcast shape; an array otherwise."""
    ce, vjp = NATIVES["sigmoid_ce"], NATIVES["sigmoid_ce_vjp"]
    x = torch.linspace(-3.0, 3.0, 12).reshape(3, 4)
    y = (torch.arange(12).reshape(3, 4) % 2).to(torch.float32)
    g = torch.tensor(0.5)
    declined = [((x, y, 2.0, 0.0), g), ((x, y, torch.tensor(2.0), 0.0), g), ((x, y, None, 0.1), g),
                ((x, y[:1], None, 0.0), g), ((x, y.double(), None, 0.0), g), ((x.t(), y.t(), None, 0.0), g),
                ((x.half(), y.half(), None, 0.0), g.half()), ((x.bfloat16(), y.bfloat16(), None, 0.0), g.bfloat16()),
                ((x.clone().requires_grad_(True), y, None, 0.0), g),
                ((x.to("meta"), y.to("meta"), None, 0.0), g.to("meta"))]
    for args, scale in declined:
        assert ce(*args) is NotImplemented
        assert vjp(*args, scale) is NotImplemented
    for scale in (g.double(), torch.ones(1, 4), torch.ones(3, 4).t(), g.clone().requires_grad_(True)):
        assert vjp(x, y, None, 0.0, scale) is NotImplemented
    assert ce(x, y, None, 0.0).shape == vjp(x, y, None, 0.0, g).shape == vjp(x, y, None, 0.0, x).shape == x.shape
    with torch.no_grad():
        assert isinstance(ce(x.clone().requires_grad_(True), y, None, 0.0), torch.Tensor)
    empty = torch.empty(0, 5)
    _same(ce(empty, empty, None, 0.0), empty)
    _same(vjp(empty, empty, None, 0.0, g), empty)


@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_binary_cross_entropy_with_logits_takes_the_natives(monkeypatch: pytest.MonkeyPatch, reduction: Any) -> None:
    """The public loss's forward and backward on eager torch run both natives (arrays, not NotImplemented), and its
    value and gradient are the generic form's bit for bit (the same call with the table hidden)."""
    answers, spy = _spies(("sigmoid_ce", "sigmoid_ce_vjp"))
    x, y = _bce_inputs(torch.float32)[1]
    cotangent = torch.tensor(np.random.default_rng(15).normal(size=x.shape), dtype=torch.float32)

    def run() -> tuple[Any, Any]:
        logits = x.clone().requires_grad_(True)
        loss = lossport.binary_cross_entropy_with_logits(logits, y, reduction=reduction)
        loss.backward(cotangent if reduction == "none" else None)
        return loss.detach(), logits.grad

    table = {**NATIVES, **{name: spy(name) for name in answers}}
    with monkeypatch.context() as m:
        m.setattr(_numerics, "natives", lambda _xp: table)
        loss, grad = run()
    for name, outs in answers.items():
        assert outs and all(isinstance(a, torch.Tensor) for a in outs), name
    ref_loss, ref_grad = _generic(monkeypatch, _numerics, run)
    _same_signed(loss, ref_loss)
    _same_signed(grad, ref_grad)


# -- rules in blocks (in_blocks) --------------------------------------------------------------------------------


def _sprinkled(x: np.ndarray, every: int, values: tuple[float, ...] = (math.inf, -math.inf, math.nan, 0.0, -0.0)
               ) -> np.ndarray:
    """``x`` with ``values`` at every ``every``-th entry (from successive offsets)."""
    flat = x.reshape(-1)
    for offset, value in enumerate(values):
        flat[offset::every] = value
    return x


def _blocks_inputs(kind: str, shape: tuple[int, ...], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    if kind == "logs":  # log-probabilities: -inf on either side and on both, one row equal on both sides
        a, b = (np.log(rng.dirichlet(np.ones(shape[-1]), size=shape[:-1])) for _ in range(2))
        a.reshape(-1)[::97] = -math.inf
        b.reshape(-1)[::89] = -math.inf
        b.reshape(-1, shape[-1])[5] = a.reshape(-1, shape[-1])[5]
        return a, b
    if kind == "kl":  # log-probabilities (-inf among them) and probabilities (zeros among them)
        a = np.log(rng.dirichlet(np.ones(shape[-1]), size=shape[:-1]))
        b = rng.dirichlet(np.ones(shape[-1]), size=shape[:-1])
        a.reshape(-1)[::97] = -math.inf
        b.reshape(-1)[::89] = 0.0
        return a, b
    if kind == "positive":  # rates and counts, zeros and infinities among them
        return (_sprinkled(rng.uniform(0.0, 3.0, shape), 4001, (math.inf, 0.0)),
                _sprinkled(rng.integers(0, 5, shape) * 1.0, 3001, (math.inf, 0.0)))
    if kind == "signs":
        return _sprinkled(rng.normal(size=shape) * 3.0, 4001), np.sign(rng.normal(size=shape))
    return _sprinkled(rng.normal(size=shape) * 3.0, 4001), _sprinkled(rng.normal(size=shape) * 3.0, 3001)


_BLOCKED = {  # the losses whose rules set `blocks`, and their inputs
    "js_divergence": (lossport.js_divergence, "logs"),
    "kl_divergence": (lossport.kl_divergence, "kl"),
    "generalized_kl_divergence": (lossport.generalized_kl_divergence, "positive"),
    "mean_absolute_error": (lossport.mean_absolute_error, "pair"),
    "mean_squared_logarithmic_error": (lossport.mean_squared_logarithmic_error, "positive"),
    "pseudo_huber": (lossport.pseudo_huber, "pair"),
    "wing": (lossport.wing, "pair"),
    "log_cosh": (lossport.log_cosh, "pair"),
    "quantile": (functools.partial(lossport.quantile, quantile=0.3), "pair"),
    "poisson_nll": (lossport.poisson_nll, "positive"),
    "gaussian_nll": (lambda p, t, **kw: lossport.gaussian_nll(p, t, torch.ones_like(p) * 0.5, **kw), "pair"),
    "hinge": (lossport.hinge, "signs"),
    "perceptron": (lossport.perceptron, "signs"),
    "squared_hinge": (lossport.squared_hinge, "signs"),
    "soft_margin": (lossport.soft_margin, "signs"),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("loss", sorted(_BLOCKED))
def test_rules_in_blocks_are_the_generic_form(monkeypatch: pytest.MonkeyPatch, loss: str, dtype: str) -> None:
    """Each loss whose rule sets ``blocks``, on eager torch inputs of more than one block: the forward and the
    backward run their form on blocks (``in_blocks`` answers arrays, not NotImplemented), and the value and both
    inputs' gradients are the same form's on the whole arrays (the table without ``in_blocks``) bit for bit,
    signed zeros included. Row rules
    on rows of a width that is a multiple of 64 or not (blocks of 64 rows or more) with leading axes; elementwise
    ones on a length that is not a multiple of 64 (a short last block) and on 2-D input; special values, every
    reduction (per-element cotangents for "none").

    One intra-op thread: torch splits a whole-array pass among its threads at ``n / threads``, not at a multiple
    of the vector width, and the elements around that seam take the scalar path (an ulp off the vectorised one in
    ``sigmoid``, say), so the generic form's own bits depend on the thread count there; blocks end at multiples of
    64 elements."""
    fn, kind = _BLOCKED[loss]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        _check_blocks(monkeypatch, fn, kind, getattr(torch, dtype), loss)
    finally:
        torch.set_num_threads(threads)


def _check_blocks(monkeypatch: pytest.MonkeyPatch, fn: Callable[..., Any], kind: str, dt: Any, loss: str) -> None:
    rng = np.random.default_rng(21)
    shapes = [(600, 1000), (3, 70, 1301), (40000, 7)] if "divergence" in loss else [(300001,), (700, 401)]
    assert NATIVES["in_blocks"](lambda a: a, (torch.zeros(8, 8),), False) is NotImplemented  # one block: generic
    for shape, reduction in zip(shapes, ("mean", "none", "sum")):
        a, b = (torch.tensor(v, dtype=dt) for v in _blocks_inputs(kind, shape, rng))
        run = functools.partial(_value_and_grads, fn, a, b, reduction)
        answers, spy = _spies(("in_blocks",))
        table = {**NATIVES, "in_blocks": spy("in_blocks")}
        with monkeypatch.context() as m:
            m.setattr(_numerics, "natives", lambda _xp, table=table: table)
            got = run()
        outs = answers["in_blocks"]
        assert len(outs) == 2 and all(out is not NotImplemented for out in outs), shape  # forward and backward
        whole = {name: f for name, f in NATIVES.items() if name != "in_blocks"}  # the other natives as they are
        with monkeypatch.context() as m:
            m.setattr(_numerics, "natives", lambda _xp, whole=whole: whole)
            expected = run()
        for x, y in zip(got, expected):
            _same_signed(x, y)


def _value_and_grads(fn: Callable[..., Any], a: Any, b: Any, reduction: str) -> tuple[Any, ...]:
    x, y = a.clone().requires_grad_(True), b.clone().requires_grad_(True)
    value = fn(x, y, reduction=reduction)
    value.backward(torch.ones_like(value) * 0.75 if reduction == "none" else None)
    return value.detach(), x.grad, y.grad
