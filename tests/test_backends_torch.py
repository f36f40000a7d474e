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

import math
import warnings
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


def _same(a: Any, b: Any) -> None:
    assert a.dtype == b.dtype and a.shape == b.shape
    np.testing.assert_array_equal(a.numpy(), b.numpy(), strict=True)  # NaN matches NaN


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
    answers: dict[str, list[Any]] = {name: [] for name in names}

    def spy(name: str) -> Any:
        def call(*args: Any) -> Any:
            out = NATIVES[name](*args)
            answers[name].append(out)
            return out
        return call

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
