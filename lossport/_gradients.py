"""Custom gradients: a loss's forward and backward, written once against the Array API, bound per framework.

Autodiff through a composition saves every intermediate it may need and replays each operation's backward: for
an elementwise loss that is several full-size arrays and passes where a native loss has one. A :class:`Rule`
states the backward too. Its ``forward`` returns the value and the residuals the backward needs (per-row or
per-call scalars such as a log-sum-exp or a weight sum, not full-size intermediates: the inputs are available to
the backward anyway; the exception is an elementwise derivative that shares every pass of the value, sigmoid
focal's: one array kept against a recomputed forward); its ``backward`` returns one cotangent per input, computed
from the inputs, the residuals and the output's cotangent in as few passes as the mathematics allows.

Each adapter binds a rule to its framework's mechanism in ``custom_gradient(rule, params, arrays, xp)``:
``torch.autograd.Function`` (``torch.compile`` and ``torch.func`` included), ``jax.custom_vjp``,
``tf.custom_gradient``. A namespace whose adapter has none (NumPy, array-api-strict, any other library) calls the
forward: it has no autodiff to serve. The backward is itself written in differentiable operations, so second
derivatives work wherever the framework differentiates a backward (``create_graph=True``, ``jax.grad`` of
``jax.grad``, nested tapes). The parity matrix checks every gradient against JAX float64 autodiff of the plain
composition, so a rule cannot drift from its forward.

``params`` carries the call's static knobs (Python numbers, strings, tuples): it must be hashable, since JAX keys
its traces on it. ``arrays`` may hold None (an omitted ``weights``, ``where``); only the arrays reach the
framework, and the rule sees None where the caller passed None.
"""

from __future__ import annotations

import contextlib
import functools
import math
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass
from typing import Any

from lossport import backends
from lossport._numerics import natives, try_native
from lossport._reduction import reduce_loss

__all__ = ["RULES", "Rule", "apply", "composition", "count", "elementwise_rule", "mask_weights", "of_difference", "row_rule", "sum_to_shape", "unbroadcast"]

Array = Any
Forward = Callable[..., tuple[Array, tuple[Array, ...]]]
"""``forward(params, *arrays, xp=xp) -> (value, residuals)``."""
Backward = Callable[..., tuple[Array | None, ...]]
"""``backward(params, arrays, residuals, cotangent, needs, xp=xp) -> one cotangent (or None) per array``."""


@dataclass(frozen=True, eq=False)
class Rule:
    """A loss's value and its vector-Jacobian product.

    Attributes
    ----------
    name : str
        For error messages and traces.
    forward : callable
        ``forward(params, *arrays, xp=xp) -> (value, residuals)``: the value, and a tuple of arrays that the
        backward needs beyond the inputs.
    backward : callable
        ``backward(params, arrays, residuals, cotangent, needs, xp=xp)``: the cotangent of every array (None for
        an array that is not differentiable, or whose ``needs`` entry is False, or that is None), given the
        cotangent of the value. ``needs[i]`` says whether the framework wants array ``i``'s cotangent; a backward
        may compute it anyway (JAX and TensorFlow drop what nobody asked for).
    train : callable, optional
        ``train(params, *arrays, xp=xp) -> (value, residuals)``, run instead of ``forward`` where the adapter
        knows a backward follows (torch's ``Function``, JAX's ``custom_vjp`` forward, TensorFlow under a recording
        tape): it may move work from the backward into the forward (lossport.linear: every gradient for a unit
        cotangent, one matmul fewer). ``backward`` must accept either's residuals: an adapter recomputing them
        for second derivatives, or TensorFlow tracing without a tape, calls ``forward``.
    train_compiled : bool
        Whether ``torch.compile`` runs ``train`` too. Inductor fuses a recomputing backward's elementwise passes
        into one kernel, so there an elementwise training forward only keeps a full-size residual alive (False,
        the default); one that saves a matmul is worth it (lossport.linear).
    """

    name: str
    forward: Forward
    backward: Backward
    train: Forward | None = None
    train_compiled: bool = False

    def __post_init__(self) -> None:
        RULES[self.name] = self


RULES: dict[str, Rule] = {}
"""Every rule by its loss's name (tests/test_gradients.py checks each backward against autodiff)."""


# (namespace name) -> the adapter's binder, or None. Adapters never change, so the lookup is made once.
_binders: dict[str, Callable[..., Array] | None] = {}


def _binder(xp: Any) -> Callable[..., Array] | None:
    key = getattr(xp, "__name__", None) or type(xp).__name__
    try:
        return _binders[key]
    except KeyError:
        pass
    adapter = backends.adapter_for_namespace(xp)
    found = None if adapter is None else getattr(adapter, "custom_gradient", None)
    _binders[key] = found
    return found


_unbound: list[bool] = []  # non-empty inside `composition()`


@contextlib.contextmanager
def composition() -> Iterator[None]:
    """Within it, rules are not bound: autodiff differentiates the forward's composition. The tests' reference
    for every rule's backward (tests/test_gradients.py); not thread-safe, not for users."""
    _unbound.append(True)
    try:
        yield
    finally:
        _unbound.pop()


def _static(params: Any) -> bool:
    """Whether ``params`` holds only Python numbers, strings, None and tuples of them: no array knob."""
    if isinstance(params, tuple):
        return all(_static(p) for p in params)
    return params is None or isinstance(params, (int, float, str))


def apply(rule: Rule, params: Hashable, *arrays: Array | None, xp: Any) -> Array:
    """``rule.forward(params, *arrays)``'s value, differentiated by ``rule.backward`` in ``xp``'s framework.

    A knob given as an array (``jax.vmap`` over a ``delta``, a learnable temperature) is not a static parameter:
    then the forward's composition runs, and autodiff differentiates it, with respect to the knob too.
    """
    bind = _binder(xp)
    if bind is None or _unbound or not _static(params):
        return rule.forward(params, *arrays, xp=xp)[0]
    natives(xp)  # read the native table now, outside the framework's custom-gradient trace
    return bind(rule, params, arrays, xp)


# -- elementwise losses ----------------------------------------------------------------------------------------

Value = Callable[..., Array]
"""``value(knobs, predictions, targets, *extras, xp=xp) -> ℓ``, elementwise."""
Derivative = Callable[..., tuple[Array | None, ...]]
"""``derivative(knobs, predictions, targets, *extras, scale=, needs=, xp=)``: ``scale·∂ℓ/∂a`` for ``a`` in
``(predictions, targets, *extras)``, None where ``needs`` says nobody asked."""


def elementwise_rule(name: str, value: Value, derivative: Derivative, *, saves: bool = False,
                     trains: bool = False, blocks: bool = False) -> Rule:
    """The rule of a loss ``ℓ(p, t, *extras)`` taken elementwise, then weighted, masked and reduced.

    Its arrays are ``(predictions, targets, weights, where, *extras)`` (extras: array knobs such as a
    ``pos_weight``, broadcast against the loss) and its ``params`` are ``(knobs, reduction)``. The backward forms
    the cotangent of each element of ``ℓ`` (a 0-D scale for an unweighted ``"mean"`` or ``"sum"``;
    ``g·w·mask / Σ w·mask`` otherwise) and hands it to ``derivative``, which multiplies it in where it is cheapest.
    The weights' cotangent is ``g·mask·ℓ`` (``"sum"``, ``"none"``) or ``g·mask·(ℓ − value) / Σ w·mask``
    (``"mean"``); it recomputes ``ℓ``, and only when asked. Cotangents of broadcast arrays (weights, extras) are
    summed over the axes they were broadcast along. The rule saves nothing but its inputs, unless ``saves``: then
    ``value`` returns ``(ℓ, residuals)`` and ``derivative`` receives them as ``residuals=`` (full-size arrays, such
    as a derivative that shares the value's intermediates: one array kept instead of a recomputed forward). With
    ``trains`` too, ``value`` takes ``backward=``: True in the rule's training forward (a backward follows), False
    in its plain one, whose residuals may then be ``()``, which ``derivative`` receives and makes up for.

    With ``blocks`` (a loss of many elementwise passes, and no residuals), an adapter may run ``value`` and
    ``derivative`` on blocks of the inputs, each block's temporaries in cache (the torch adapter's
    ``in_blocks``, eager CPU): the same operations on each element, so the same numbers.
    """
    if blocks:
        value, derivative = _in_blocks(name, value, derivative, rows=False, saves=saves)
    return _reduced_rule(name, value, derivative, rows=False, saves=saves, trains=trains)


def row_rule(name: str, value: Value, derivative: Derivative, *, saves: bool = False, blocks: bool = False) -> Rule:
    """:func:`elementwise_rule` for a loss with one value per row: ``ℓ(z, y)`` reduces the last (class) axis.

    Weights and ``where`` broadcast against the rows; ``derivative`` receives each row's ``scale`` (0-D, or of the
    rows' shape) and returns cotangents of the inputs' full shape. With ``saves``, ``value`` returns ``(ℓ,
    residuals)`` (per-row arrays, such as a log-sum-exp) and ``derivative`` receives them as ``residuals=``.
    ``blocks`` as for :func:`elementwise_rule`, in blocks of whole rows.
    """
    if blocks:
        value, derivative = _in_blocks(name, value, derivative, rows=True, saves=saves)
    return _reduced_rule(name, value, derivative, rows=True, saves=saves)


def _in_blocks(name: str, value: Value, derivative: Derivative, *, rows: bool,
               saves: bool) -> tuple[Value, Derivative]:
    """``value`` and ``derivative`` through the adapter's ``in_blocks`` where it has one and takes the call."""
    if saves:  # residuals would be cut into blocks too, and a training forward's flag passed to each block
        msg = f"rule {name!r}: `blocks` takes a rule without residuals (`saves`)"
        raise ValueError(msg)

    def blocked_value(knobs: Any, *arrays: Array, xp: Any) -> Array:
        run = functools.partial(value, knobs, xp=xp)
        out = try_native("in_blocks", run, arrays, rows, xp=xp)
        return run(*arrays) if out is NotImplemented else out

    def blocked_derivative(knobs: Any, *arrays: Array, scale: Array, needs: tuple[bool, ...],
                           xp: Any) -> tuple[Array | None, ...]:
        def run(*blocks: Array) -> tuple[Array | None, ...]:
            return derivative(knobs, *blocks[:-1], scale=blocks[-1], needs=needs, xp=xp)

        out = try_native("in_blocks", run, (*arrays, scale), rows, xp=xp)
        return run(*arrays, scale) if out is NotImplemented else out

    return blocked_value, blocked_derivative


def _reduced_rule(name: str, value: Value, derivative: Derivative, *, rows: bool, saves: bool = False,
                  trains: bool = False) -> Rule:
    def loss_of(knobs: Any, p: Array, t: Array, *extras: Array, xp: Any,
                backward: bool = False) -> tuple[Array, tuple[Array, ...]]:
        out = value(knobs, p, t, *extras, xp=xp, backward=backward) if trains else value(knobs, p, t, *extras, xp=xp)
        return out if saves else (out, ())

    def forward(params: Any, p: Array, t: Array, w: Array | None, m: Array | None, *extras: Array,
                xp: Any, backward: bool = False) -> Any:
        knobs, reduction = params
        loss, residuals = loss_of(knobs, p, t, *extras, xp=xp, backward=backward)
        return reduce_loss(loss, reduction, weights=w, where=m, out_dtype=loss.dtype, xp=xp), residuals

    def backward(params: Any, arrays: tuple[Array, ...], residuals: tuple[Array, ...], g: Array,
                 needs: tuple[bool, ...], *, xp: Any) -> tuple[Array | None, ...]:
        knobs, reduction = params
        p, t, w, m, *extras = arrays
        shaped = p[..., 0] if rows else p  # an array of the loss's shape
        weight = mask_weights(w, m, shaped, xp=xp)
        if reduction == "mean":
            total = count(shaped, xp=xp) if weight is None else xp.sum(weight + xp.zeros_like(shaped))
            g = g / total
        scale = g if weight is None else g * weight
        if rows and scale.ndim:
            scale = scale + xp.zeros_like(shaped)  # every row's own
        wanted = (needs[0], needs[1], *needs[4:])
        saved = {"residuals": residuals} if saves else {}
        grads = derivative(knobs, p, t, *extras, scale=scale, needs=wanted, xp=xp, **saved)
        grad_extras = [None if gx is None else unbroadcast(gx, x, xp=xp) for gx, x in zip(grads[2:], extras)]
        grad_w = None
        if w is not None and needs[2]:
            loss = loss_of(knobs, p, t, *extras, xp=xp)[0]
            if reduction == "mean":  # ∂(Σ wℓ / Σ w)/∂w = (ℓ − mean) / Σ w; the 1 / Σ w is in g already
                loss = loss - xp.sum(weight * loss) / total
            grad_w = unbroadcast(loss * g if m is None else xp.where(m, loss * g, 0.0), w, xp=xp)
        return (grads[0], grads[1], grad_w, None, *grad_extras)

    return Rule(name, forward, backward, functools.partial(forward, backward=True) if trains else None)


def of_difference(grad: Array, needs: tuple[bool, ...], /) -> tuple[Array | None, Array | None]:
    """``(∂ℓ/∂p, ∂ℓ/∂t)`` of a loss of ``p − t`` from ``grad = ∂ℓ/∂p``: the second is ``−grad``, when asked."""
    return (grad if needs[0] else None), (-grad if needs[1] else None)


def unbroadcast(grad: Array, x: Array, /, *, xp: Any) -> Array:
    """``grad`` summed to ``x``'s shape (over the axes ``x`` was broadcast along) and cast to its dtype."""
    return xp.astype(sum_to_shape(grad, tuple(x.shape), xp=xp), x.dtype, copy=False)


def mask_weights(w: Array | None, m: Array | None, like: Array, /, *, xp: Any) -> Array | None:
    """``w·mask`` in ``like``'s dtype (broadcast as given), or None when both are absent."""
    if w is not None:
        w = xp.astype(w, like.dtype, copy=False)
    if m is None:
        return w
    ones = xp.ones_like(like) if w is None else w
    return xp.where(m, ones, xp.zeros_like(ones))


def count(x: Array, /, *, xp: Any) -> Any:
    """The element count of ``x``: a Python int when its shape is static, else a 0-D array (symbolic TF)."""
    if all(isinstance(d, int) for d in x.shape):
        return math.prod(x.shape)
    return xp.sum(xp.ones_like(x))


def sum_to_shape(x: Array, shape: tuple[int, ...], /, *, xp: Any) -> Array:
    """Sum ``x`` over the axes along which an array of ``shape`` was broadcast to ``x``'s shape."""
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, d in enumerate(shape) if d == 1 and x.shape[lead + i] != 1)
    if axes:
        x = xp.sum(x, axis=axes, keepdims=True)
    return xp.reshape(x, shape) if lead else x
