"""Input checks, with one message template: "`name` must …; got …".

Metadata checks (dtype, shape, options) always run: they read static metadata and cost nothing on a device.
Value checks (labels in range, probabilities in [0, 1], ...) read array values, so they run only on concrete
arrays (never on JAX tracers, symbolic TensorFlow tensors or under ``torch.compile``), and by default only on
the CPU, where they cost no device synchronisation. ``LOSSPORT_CHECKS=1`` turns them on on accelerators too,
``LOSSPORT_CHECKS=0`` turns them off everywhere, and :func:`value_checks` does either for a block of code (in its
own thread or asyncio task only). Arrays whose values cannot be read without forcing them (traced, fake, meta,
vmap-batched, or lazy like Dask's) are never value-checked.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import os
from collections.abc import Iterator, Sequence
from typing import Any

from lossport import backends
from lossport._namespace import array_namespace, device, is_scalar

__all__ = [
    "check_array_knob",
    "check_floating",
    "check_integer",
    "check_option",
    "check_positive",
    "check_same_shape",
    "check_shape",
    "class_index_inputs",
    "compute_dtype",
    "elementwise_inputs",
    "is_array_knob",
    "is_zero",
    "knob",
    "knob_math",
    "value_checks",
    "values_checked",
]

Array = Any


def _mode_from_env() -> str | None:
    value = os.environ.get("LOSSPORT_CHECKS", "").strip().lower()
    if value in ("", "auto"):
        return None
    if value in ("0", "false", "off", "no"):
        return "off"
    if value in ("1", "true", "on", "yes"):
        return "on"
    msg = f"`LOSSPORT_CHECKS` must be one of 0, 1, auto; got {value!r}"
    raise ValueError(msg)


# None: on for concrete CPU arrays only; "on": on for every concrete array; "off": never. The environment variable
# sets the process-wide default; value_checks() sets it for its own thread or asyncio task only, as
# decimal.localcontext and numpy.errstate do (a context variable: other threads and tasks keep their own).
_ENV_MODE = _mode_from_env()
_mode: contextvars.ContextVar[str | None] = contextvars.ContextVar("lossport_value_checks", default=_ENV_MODE)


@contextlib.contextmanager
def value_checks(enabled: bool = True) -> Iterator[None]:
    """Turn lossport's value checks on or off inside a ``with`` block.

    Value checks read array values (integer labels in range, probabilities in [0, 1], ±1 labels): they raise
    ``ValueError`` where JAX would silently return NaN and TensorFlow on a GPU would return 0. They never run on
    traced arrays. By default they run on CPU arrays only; ``value_checks(True)`` runs them on accelerators too
    (at the cost of a device synchronisation per check), ``value_checks(False)`` skips them everywhere.

    Examples
    --------
    >>> import numpy as np, lossport
    >>> with lossport.value_checks(False):
    ...     loss = lossport.binary_cross_entropy(np.array([0.5]), np.array([1.0]))
    """
    token = _mode.set("on" if enabled else "off")
    try:
        yield
    finally:
        _mode.reset(token)


def values_checked(x: Array) -> bool:
    """Whether value checks run for ``x``: it is concrete, and checks are on for its device."""
    adapter = backends.adapter_for(x)
    if adapter is not None and not adapter.is_concrete(x):
        return False
    mode = _mode.get()
    if mode == "off":
        return False
    if adapter is None:
        # Any other Array API library: no value check on a lazy array (Dask, ndonnx), where reading a value
        # would compute the graph inside the call. array-api-compat tells without importing the library.
        import array_api_compat

        return not array_api_compat.is_lazy_array(x)
    return mode == "on" or adapter.is_cpu(x)


def _fails(ok: Array, /, *, xp: Any) -> bool:
    """Whether the boolean 0-D ``ok`` is concrete and False.

    Checked on the result, not only on the inputs: under ``jax.jit`` or ``tf.function``, operations on concrete
    constants captured by the traced function still give traced results, whose value is unknown.
    """
    return _readable(ok) and not bool(ok)


def _readable(result: Array) -> bool:
    """Whether the value of a computed ``result`` can be read without tracing or forcing (see ``_fails``)."""
    adapter = backends.adapter_for(result)
    if adapter is not None:
        return bool(adapter.is_concrete(result))
    import array_api_compat

    return not array_api_compat.is_lazy_array(result)


def check_option(name: str, value: object, allowed: Sequence[object]) -> None:
    if value not in allowed:
        msg = f"`{name}` must be one of {tuple(allowed)}; got {value!r}"
        raise ValueError(msg)


def is_array_knob(value: object) -> bool:
    """Whether a numeric knob was given as an array (a 0-D array of the call's framework, traced or not), not as
    a Python number. A NumPy scalar (``np.float32(0.1)``) counts as a number, whatever the inputs' framework."""
    return not isinstance(value, (int, float)) and not is_scalar(value) and hasattr(value, "dtype")


def check_array_knob(name: str, value: Any, bound: str, ok: Any) -> bool:
    """Check ``value``'s kind; for a 0-D array, also ``ok(value, xp)`` when its value can be read. True for an
    array, False for a Python number (left to the caller)."""
    if not is_array_knob(value):
        if isinstance(value, bool) or (not isinstance(value, (int, float)) and not is_scalar(value)):
            msg = f"`{name}` must be a Python number or a 0-D array; got {type(value).__name__}"
            raise TypeError(msg)
        return False
    if tuple(value.shape) != ():
        msg = f"`{name}` must be a Python number or a 0-D array; got shape {tuple(value.shape)}"
        raise ValueError(msg)
    xp = array_namespace(value)
    if not xp.isdtype(value.dtype, ("real floating", "integral")):
        msg = f"`{name}` must be a Python number or a real 0-D array; got dtype {value.dtype}"
        raise TypeError(msg)
    if values_checked(value) and _fails(xp.logical_and(ok(value, xp), xp.isfinite(value)), xp=xp):
        msg = f"`{name}` must be {bound}; got {float(value)!r}"
        raise ValueError(msg)
    return True


def check_positive(name: str, value: float | Array, *, allow_zero: bool = False) -> None:
    """A numeric knob (``delta``, ``eps``, ...) that must be positive and finite: a Python number, or a 0-D array
    (checked when its value can be read; a traced one, under ``jax.vmap`` or ``jit``, is taken as it is)."""
    bound = ("non-negative" if allow_zero else "positive") + " and finite"
    if check_array_knob(name, value, bound, lambda v, xp: v >= 0 if allow_zero else v > 0):
        return
    number = float(value)
    ok = number >= 0 if allow_zero else number > 0
    if not ok or not math.isfinite(number):
        msg = f"`{name}` must be {bound}; got {value!r}"
        raise ValueError(msg)


def knob(value: float | Array, like: Array, /, *, xp: Any) -> float | Array:
    """A checked numeric knob as a loss computes with it: a Python float (a static parameter of the loss's rule),
    or a 0-D array of ``like``'s framework cast to ``like``'s dtype, as a Python number would be (then the loss is
    differentiated through its forward, the knob included: see lossport._gradients.apply)."""
    if not is_array_knob(value):
        return float(value)
    array_namespace(like, value, names=("the inputs", "a knob"))  # one framework
    return xp.astype(value, like.dtype)


def knob_math(function: str, value: float | Array, /, *, xp: Any) -> float | Array:
    """``math.<function>(value)`` for a number knob (it stays a static Python float), ``xp.<function>(value)`` for
    an array knob (traced and differentiated with it): ``log``, ``log1p``, ``cos``, ``sin``."""
    return getattr(xp, function)(value) if is_array_knob(value) else getattr(math, function)(value)


def is_zero(value: float | Array) -> bool:
    """Whether a knob is the number 0, statically: an array knob (its value unknown when traced) is not."""
    return not is_array_knob(value) and value == 0


def check_floating(name: str, x: Array, /, *, xp: Any) -> None:
    if not xp.isdtype(x.dtype, "real floating"):
        msg = f"`{name}` must have a real floating dtype; got {x.dtype}"
        raise TypeError(msg)


def check_integer(name: str, x: Array, /, *, xp: Any) -> None:
    if not xp.isdtype(x.dtype, "integral"):
        msg = f"`{name}` must have an integer dtype (class indices); got {x.dtype}"
        raise TypeError(msg)


def _shape(x: Array) -> tuple[int | None, ...]:
    return tuple(x.shape)


def _same(a: Sequence[int | None], b: Sequence[int | None]) -> bool:
    # None is a dimension unknown until run time (a symbolic TensorFlow tensor): it can't be checked here.
    return len(a) == len(b) and all(i is None or j is None or i == j for i, j in zip(a, b))


def check_same_shape(name_a: str, a: Array, name_b: str, b: Array) -> None:
    """Equal shapes: no silent broadcasting of ``(N,)`` against ``(N, 1)`` into ``(N, N)``."""
    if not _same(_shape(a), _shape(b)):
        msg = (
            f"`{name_a}` and `{name_b}` must have the same shape; got {_shape(a)} and {_shape(b)}"
        )
        raise ValueError(msg)


def check_shape(name: str, x: Array, expected: Sequence[int | None], what: str) -> None:
    if not _same(_shape(x), tuple(expected)):
        msg = f"`{name}` must have shape {tuple(expected)} ({what}); got {_shape(x)}"
        raise ValueError(msg)


def check_broadcastable(name: str, x: Array, shape: Sequence[int | None], what: str) -> None:
    """``x`` broadcasts to ``shape`` without changing it (a weight or mask of the loss's shape)."""
    xs = _shape(x)
    ok = len(xs) <= len(shape) and all(
        i is None or j is None or i in (1, j) for i, j in zip(reversed(xs), reversed(tuple(shape)))
    )
    if not ok:
        msg = f"`{name}` must broadcast to the {what} shape {tuple(shape)}; got {xs}"
        raise ValueError(msg)


def compute_dtype(*arrays: Array, xp: Any) -> tuple[Any, Any]:
    """The dtype to compute in and the dtype to return, for the floating ``arrays`` (others ignored).

    The floating inputs promote to one dtype (the standard's table, so float32 is never silently upcast).
    float16 and bfloat16 are computed in float32 and returned in their own dtype, or in float32 where the adapter
    says a mixed-precision region wants it (under ``torch.autocast`` torch's own losses return float32).
    """
    floating = [a for a in arrays if xp.isdtype(a.dtype, "real floating")]
    dtype = xp.result_type(*floating)
    if xp.finfo(dtype).bits < 32:
        autocast = getattr(backends.adapter_for_namespace(xp), "returns_float32", None)
        return xp.float32, (xp.float32 if autocast is not None and autocast(floating[0]) else dtype)
    return dtype, dtype


# -- value checks -------------------------------------------------------------------------------------------


def _within(x: Array, low: float, high: float, /, *, xp: Any) -> bool:
    """Whether a concrete ``x`` lies in ``[low, high]`` by its minimum and maximum: the passing case of a range check
    in two reductions, without the full-size masks (three for an interval) that the error path then builds to name
    the offending value. NaN gives False (``min`` and ``max`` propagate it, as the standard requires and every
    backend does); so does an empty ``x``'s absence of a minimum, which the masks then pass."""
    if math.prod(x.shape) == 0:
        return False
    lo, hi = xp.min(x), xp.max(x)
    # compared as arrays: a bool array has no gradient (float() of torch's lo, from an input that requires grad, warns)
    return not _readable(lo) or bool(xp.logical_and(lo >= low, hi <= high))


def _fmt(value: Any) -> str:
    try:
        return repr(float(value))
    except (TypeError, ValueError):
        return str(value)


def check_labels_in_range(
    name: str, labels: Array, num_classes: int | None, /, *, ignore_index: int | None, xp: Any
) -> None:
    """Integer class labels in ``[0, num_classes)``, besides ``ignore_index``; a value check."""
    if num_classes is None or not values_checked(labels) or _within(labels, 0, num_classes - 1, xp=xp):
        return
    valid = (labels >= 0) & (labels < num_classes)
    if ignore_index is not None:
        valid = valid | (labels == ignore_index)
    if _fails(xp.all(valid), xp=xp):
        bad = xp.where(valid, xp.zeros_like(labels), labels)
        lo, hi = int(xp.min(bad)), int(xp.max(bad))
        got = lo if lo < 0 else hi
        extra = f" or {ignore_index} (ignore_index)" if ignore_index is not None else ""
        msg = f"`{name}` must be class indices in [0, {num_classes}){extra}; got {got}"
        raise ValueError(msg)


def check_in_unit_interval(name: str, x: Array, /, *, xp: Any) -> None:
    """Values in ``[0, 1]`` (probabilities); a value check. NaN fails it too."""
    if not values_checked(x) or _within(x, 0, 1, xp=xp):
        return
    valid = (x >= 0) & (x <= 1)
    if _fails(xp.all(valid), xp=xp):
        bad = xp.where(valid, xp.full_like(x, 0.5), x)
        lo, hi = xp.min(bad), xp.max(bad)
        got = _fmt(lo) if bool(lo < 0) else _fmt(hi)
        if bool(xp.any(xp.isnan(x))):
            got = "nan"
        msg = f"`{name}` must be probabilities in [0, 1]; got {got}"
        raise ValueError(msg)


def check_sign_labels(name: str, x: Array, /, *, xp: Any) -> None:
    """Labels that are -1 or +1; a value check whose message suggests ``2 * labels - 1`` for 0/1 labels."""
    if not values_checked(x):
        return
    valid = (x == 1) | (x == -1)
    if _fails(xp.all(valid), xp=xp):
        bad = xp.where(valid, xp.ones_like(x), x)
        got = _fmt(xp.min(bad)) if bool(xp.any(bad < 1)) else _fmt(xp.max(bad))
        hint = ""
        if bool(xp.all((x == 0) | (x == 1))):
            hint = "; for 0/1 labels pass `2 * labels - 1`"
        msg = f"`{name}` must be -1 or +1; got {got}{hint}"
        raise ValueError(msg)


def check_greater_than(name: str, x: Array, bound: float, /, *, xp: Any) -> None:
    """Values strictly greater than ``bound`` (e.g. > -1 for ``log1p``); a value check."""
    if not values_checked(x):
        return
    if _fails(xp.all(x > bound), xp=xp):
        msg = f"`{name}` must be greater than {bound}; got {_fmt(xp.min(x))}"
        raise ValueError(msg)


def elementwise_inputs(
    predictions: Array,
    targets: Array,
    weights: Array | None,
    where: Array | None,
    /,
    *,
    names: tuple[str, str] = ("predictions", "targets"),
    xp: Any,
) -> tuple[Any, Array, Array, Any]:
    """The entry of an elementwise loss: namespace, dtype and shape checks, and one compute dtype.

    Returns ``(xp, predictions, targets, out_dtype)`` with both arrays cast to the compute dtype (integer or
    boolean targets too), so that every later operator sees one dtype.
    """
    scalar = is_scalar(targets) and not is_scalar(predictions)
    xp = array_namespace(predictions, None if scalar else targets, weights, where, xp=xp,
                         names=(*names, "weights", "where"))
    check_floating(names[0], predictions, xp=xp)
    if scalar:
        targets = broadcast_scalar(names[1], targets, predictions, xp=xp)
    check_same_shape(names[0], predictions, names[1], targets)
    dtype, out_dtype = compute_dtype(predictions, targets, xp=xp)
    predictions = xp.astype(predictions, dtype, copy=False)
    targets = xp.astype(targets, dtype, copy=False)
    return xp, predictions, targets, out_dtype


def broadcast_scalar(name: str, value: Any, like: Array, /, *, xp: Any, integer: bool = False) -> Array:
    """A Python or NumPy scalar ``value`` given for the array argument ``name``, as an array of ``like``'s shape,
    namespace and device: a target broadcast as ``predictions - 1.0`` would broadcast it. Its dtype is ``like``'s
    (the predictions decide, as for a Python scalar in the standard), or the default integer with ``integer``."""
    value = value.item() if hasattr(value, "item") else value
    if isinstance(value, complex) or (integer and not isinstance(value, int)):
        kind = "an integer" if integer else "a real number"
        msg = f"`{name}` must be {kind} when given as a scalar; got {value!r}"
        raise TypeError(msg)
    if not integer:
        return xp.full_like(like, value)
    index = xp.asarray(int(value), device=device(like))
    return index + xp.zeros_like(like, dtype=index.dtype)


# -- knobs and axes shared by the families ------------------------------------------------------------------


def check_finite(name: str, value: float | Array) -> None:
    """A numeric knob of either sign (a margin, poly-1's epsilon) that must be finite (a Python number or a 0-D
    array, as in :func:`check_positive`)."""
    if check_array_knob(name, value, "finite", lambda v, xp: xp.isfinite(v)):
        return
    if not math.isfinite(value):
        msg = f"`{name}` must be finite; got {value!r}"
        raise ValueError(msg)


def check_fraction(name: str, value: float | Array, *, open_low: bool = False) -> None:
    """A numeric knob in ``[0, 1]`` (``(0, 1]`` with ``open_low``), a Python number or a 0-D array."""
    interval = "(0, 1]" if open_low else "[0, 1]"
    low = (lambda v, xp: v > 0) if open_low else (lambda v, xp: v >= 0)
    if check_array_knob(name, value, f"in {interval}", lambda v, xp: xp.logical_and(low(v, xp), v <= 1)):
        return
    check_positive(name, value, allow_zero=not open_low)
    if value > 1:
        msg = f"`{name}` must be in {interval}; got {value!r}"
        raise ValueError(msg)


def check_bool(name: str, value: object) -> None:
    if not isinstance(value, bool):
        msg = f"`{name}` must be a bool; got {type(value).__name__}"
        raise TypeError(msg)


def axis_last(name: str, x: Array, axis: int, /, *, what: str = "class", xp: Any) -> Array:
    """``x`` with its class (or feature) ``axis`` moved last, a no-op for the default ``axis=-1``; checks ``axis``."""
    ndim = len(x.shape)
    if ndim == 0:
        msg = f"`{name}` must have a {what} axis; got a 0-D array"
        raise ValueError(msg)
    if isinstance(axis, bool) or not isinstance(axis, int):
        msg = f"`axis` must be an int; got {type(axis).__name__}"
        raise TypeError(msg)
    if not -ndim <= axis < ndim:
        msg = f"`axis` must be in [{-ndim}, {ndim}) for {ndim}-D `{name}`; got {axis}"
        raise ValueError(msg)
    return x if axis in (-1, ndim - 1) else xp.moveaxis(x, axis, -1)


def _check_sign(name: str, x: Array, keep: Array, what: str, /, *, xp: Any) -> None:
    if _fails(xp.all(keep), xp=xp):
        bad = xp.where(keep, xp.zeros_like(x), x)
        got = "nan" if bool(xp.any(xp.isnan(x))) else _fmt(xp.min(bad))
        msg = f"`{name}` must be {what}; got {got}"
        raise ValueError(msg)


def check_non_negative_values(name: str, x: Array, /, *, xp: Any) -> None:
    """Values ``>= 0`` (counts, rates, variances, measures); a value check. NaN fails it."""
    if values_checked(x) and not _within(x, 0, math.inf, xp=xp):
        _check_sign(name, x, x >= 0, "non-negative", xp=xp)


def check_positive_values(name: str, x: Array, /, *, xp: Any) -> None:
    """Values ``> 0``; a value check. NaN fails it."""
    if values_checked(x):
        _check_sign(name, x, x > 0, "positive", xp=xp)

def class_index_inputs(
    name: str,
    scores: Array,
    labels: Array,
    axis: int,
    ignore_index: int | None,
    class_weights: Array | None,
    weights: Array | None,
    where: Array | None,
    xp: Any,
) -> tuple[Any, Array, Array, Any, Array | None]:
    """The entry of the integer-label losses: returns ``xp, scores, labels, out_dtype, keep``.

    ``scores`` come back with the class axis last, in the compute dtype; labels equal to ``ignore_index`` are
    replaced by 0 (any valid index) and ``keep`` is False there (None without ``ignore_index``).
    """
    scalar = is_scalar(labels) and not is_scalar(scores)
    xp = array_namespace(
        scores, None if scalar else labels, class_weights, weights, where, xp=xp,
        names=(name, "labels", "class_weights", "weights", "where"),
    )
    check_floating(name, scores, xp=xp)
    scores = axis_last(name, scores, axis, xp=xp)
    if scalar:
        labels = broadcast_scalar("labels", labels, scores[..., 0], xp=xp, integer=True)
    check_integer("labels", labels, xp=xp)
    check_shape("labels", labels, tuple(scores.shape)[:-1], f"`{name}`'s shape without the class axis")
    num_classes = tuple(scores.shape)[-1]
    if class_weights is not None:
        check_floating("class_weights", class_weights, xp=xp)
        check_shape("class_weights", class_weights, (num_classes,), "one weight per class")
    dtype, out_dtype = compute_dtype(scores, xp=xp)
    scores = xp.astype(scores, dtype, copy=False)
    check_labels_in_range("labels", labels, num_classes, ignore_index=ignore_index, xp=xp)
    keep = None
    if ignore_index is not None:
        keep = labels != ignore_index
        labels = xp.where(keep, labels, xp.zeros_like(labels))  # any valid index; the entry is masked
    return xp, scores, labels, out_dtype, keep
