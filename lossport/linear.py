r"""Linear cross-entropy: the softmax cross-entropy of a linear layer's logits, never holding the logits.

A language model's output layer maps ``N`` hidden states of width ``H`` to ``V`` logits: ``N × V`` floats (8 × 4096
tokens × a 256k vocabulary is 16.8 GB in float32) that a plain ``matmul`` + cross-entropy materialises, and its
gradient as many again. :func:`linear_cross_entropy` computes the same value over vocabulary chunks of
``chunk_size`` columns with an online log-sum-exp, and its backward (a rule of lossport/_gradients.py) recomputes
each chunk's logits and accumulates ``d hidden``, ``d weight`` and ``d bias`` chunk by chunk: peak memory
``O(N·chunk + N·H + V·H)``.

The forward keeps, per token, the running maximum ``m``, the sum ``o`` of ``e^{z_c − m}`` over the classes other
than the label, the label's logit ``z_y`` (and, with label smoothing, ``Σ_c w_c·z_c``); at the end
``nll = (m − z_y) + log1p(o + expm1(z_y − m))``, the accurate form of lossport's sparse cross-entropy
(lossport/_numerics.py), so a confident prediction's tiny loss keeps its relative accuracy as in the dense form.
The rule's residuals are ``m``, ``o + expm1(z_y − m)`` and ``nll``: three numbers per token.

A mean or sum (without per-token or class weights) is the rule's own, and where a backward follows (the rule's
training forward: lossport/_gradients.py) it is computed over blocks of tokens with every class instead, each
block's exact rows giving its logits' gradient at once, as Liger Kernel's fused linear cross-entropy does: ``d
hidden`` and ``d weight`` are accumulated in the forward, for a unit cotangent, and the backward scales them. Three
``N × H × V`` matmuls where the forward and a recomputing backward take four.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from lossport._cross_entropy import picked_weights
from lossport._gradients import Rule, apply
from lossport._namespace import array_namespace, device
from lossport._numerics import natives, try_native
from lossport._reduction import Reduction, check_reduction, reduce_loss
from lossport._validation import (
    check_bool,
    check_finite,
    check_floating,
    check_fraction,
    check_integer,
    check_labels_in_range,
    check_positive,
    check_shape,
    compute_dtype,
    is_array_knob,
    is_zero,
    knob,
)

# CHUNK_BUDGET and chunk_for stay in this module (lossport.linear.chunk_for)
__all__: list[str] = ["linear_cross_entropy"]

Array = Any

CHUNK_BUDGET = 1 << 23
"""The number of logits one chunk may hold when ``chunk_size=None``: ``N·chunk ≤ 2²³`` (32 MiB in float32)."""


def chunk_for(tokens: int, classes: int, /) -> int:
    """The chunk :func:`linear_cross_entropy` picks for ``chunk_size=None``.

    ``CHUNK_BUDGET // tokens`` rounded down to a multiple of 128 (a matmul-friendly width), at least 128 and at
    most ``classes``: at 4096 tokens, 2048 classes a chunk; at 8192, 1024.
    """
    chunk = max(128, (CHUNK_BUDGET // max(tokens, 1)) // 128 * 128)
    return max(1, min(chunk, classes))


# -- the rule -------------------------------------------------------------------------------------------------


def _matmul(a: Array, b: Array, dtype: Any, /, *, xp: Any) -> Array:
    """``a @ b`` accumulated and returned in ``dtype``: the adapter's ``matmul_accumulate`` where it has one (JAX's
    ``preferred_element_type``: 16-bit inputs multiplied as they are), else both operands cast to ``dtype``."""
    native = natives(xp).get("matmul_accumulate")
    if native is not None:
        return native(a, b, dtype)
    return xp.matmul(xp.astype(a, dtype, copy=False), xp.astype(b, dtype, copy=False))


def _rows(x: Array, start: Any, size: int, /, *, xp: Any) -> Array:
    """``x[start:start + size]``; ``start`` is a Python int, or a traced index inside the adapter's loop."""
    if isinstance(start, int):
        return x[start:start + size, ...]
    return natives(xp)["slice_rows"](x, start, size)


def _loop(body: Callable[..., tuple[Any, tuple[Array | None, ...]]], carry: Any, classes: int, chunk: int, /, *,
          xp: Any) -> tuple[Any, tuple[Array | None, ...]]:
    """``carry, out = body(start, size, carry)`` over the chunks of ``classes``, in order; returns the last carry and
    each output's chunks concatenated along the first axis (None where the body gives None): written into one
    buffer as they come where the adapter allows it (``_writable``), else concatenated at the end.

    The full chunks run in the adapter's ``scan_chunks`` where it has one (JAX's ``lax.scan``; TensorFlow's
    ``tf.while_loop`` inside ``tf.function``): one traced body, where a Python loop would unroll and XLA's compile
    time grow faster than the chunk count (measured: 18 s for 16 chunks and 118 s for 64 under ``jax.jit``, 1 s
    for 16 or 250 with the scan; 14 s and 85 s under ``tf.function(jit_compile=True)``); elsewhere (NumPy, torch
    eager and compiled, TensorFlow eager) a Python loop. A ragged last chunk runs after them.
    """
    full = classes // chunk  # not divmod: Dynamo rejects it on symbolic sizes (a recompile with dynamic shapes)
    rest = classes - full * chunk
    scan = natives(xp).get("scan_chunks")
    pieces: list[tuple[Array | None, ...]] = []
    written: tuple[Array | None, ...] | None = None
    scanned = NotImplemented if scan is None or full < 2 else scan(lambda i, c: body(i, chunk, c), carry, full, chunk)
    if scanned is not NotImplemented:  # the adapter's loop (it may decline: TensorFlow eager)
        carry, stacked = scanned
        pieces.append(tuple(None if a is None else xp.reshape(a, (-1, *tuple(a.shape)[2:])) for a in stacked))
    starts = [] if scanned is not NotImplemented else [i * chunk for i in range(full)]
    for start in [*starts, full * chunk] if rest else starts:
        size = chunk if start < full * chunk else rest
        carry, out = body(start, size, carry)
        if written is None and not pieces and (full + 1 if rest else full) > 1 and _writable(out, xp=xp):
            written = tuple(None if a is None else xp.zeros((classes, *tuple(a.shape)[1:]), dtype=a.dtype,
                                                            device=device(a)) for a in out)
        if written is None:
            pieces.append(out)
            continue
        for buffer, a in zip(written, out, strict=True):
            if buffer is not None:
                buffer[start:start + size, ...] = a
    if written is not None:
        return carry, written
    joined = tuple(
        None if pieces[0][k] is None else (pieces[0][k] if len(pieces) == 1 else
                                           xp.concat([p[k] for p in pieces], axis=0))
        for k in range(len(pieces[0]))
    )
    return carry, joined


def _writable(out: tuple[Array | None, ...], /, *, xp: Any) -> bool:
    """Whether the chunks' outputs may be written into buffers of their full size as they come (item assignment),
    so that no list of pieces and its concatenation are alive at once: the adapter's ``writable`` hook (eager torch
    outside autograd recording and functorch transforms; at 32000 × 512, the backward's ``d weight`` pieces and
    their concatenation were 2 × 65 MB). JAX and TensorFlow arrays are immutable, torch.compile's inductor already
    writes the concatenation's pieces in place, and NumPy never runs the backward, whose outputs these are."""
    native = natives(xp).get("writable")
    arrays = [a for a in out if a is not None]
    return native is not None and bool(arrays) and all(native(a) for a in arrays)


def _after(x: Array, *dependencies: Array | None, xp: Any) -> Array:
    """``x``, computed after ``dependencies`` (the previous chunk's whole carry) where the adapter's ``after`` hook
    orders the chunks (torch.compile, whose inductor would otherwise run every chunk's matmul first and hold
    every chunk's logits at once: backends/torch.py); ``x`` itself elsewhere."""
    native = natives(xp).get("after")
    dependencies = tuple(d for d in dependencies if d is not None)
    return x if native is None or not dependencies else native(x, dependencies)


def _logits(h: Array, w: Array, b: Array | None, start: Any, size: int, cap: float | None, dtype: Any, /, *,
            xp: Any) -> Array:
    """The logits of classes ``[start, start + size)``: ``h @ w[start:start + size].T + b[...]``, soft-capped."""
    z = _matmul(h, xp.matrix_transpose(_rows(w, start, size, xp=xp)), dtype, xp=xp)
    if b is not None:
        z = z + xp.astype(_rows(b, start, size, xp=xp), dtype, copy=False)
    return z if cap is None else cap * xp.tanh(z / cap)


def _hits(y: Array, start: Any, size: int, /, *, xp: Any, backward: bool = False) -> Array:
    """``(N, size)``: True where the column is the token's label.

    The backward compares in the other order (``classes == y``, the same booleans): under torch.compile,
    AOTAutograd's common-subexpression elimination merges identical nodes of the forward and the backward, and its
    partitioner then saved every chunk's ``(N, chunk)`` mask for the backward (15 × 8 MB at 4096 tokens, 16 chunks)
    where, kept apart, the backward recomputes them from the labels inside its fused kernel."""
    if isinstance(start, int):
        classes = xp.arange(start, start + size, dtype=y.dtype, device=device(y))
    else:
        classes = xp.arange(size, dtype=y.dtype, device=device(y)) + xp.astype(start, y.dtype)
    labels = xp.expand_dims(y, axis=1)
    return classes == labels if backward else labels == classes


# chunk, smoothing, z_loss, cap (numbers, or 0-D arrays: the knobs as arrays) and the rule's reduction: "none" for
# each token's (loss, lse), or "mean" / "sum" of the losses over a mask, which lets _train compute the gradients
Params = tuple[int, Any, Any, Any, str]


def _update(carry: tuple[Array, ...], z: Array, hit: Array, cw: Array | None, smoothing: Any, zero: Array, /, *,
            xp: Any) -> tuple[Array, ...]:
    """The online log-sum-exp's carry ``(m, o, z_y, spread)`` after one chunk of logits ``z`` (``hit``: the labels'
    columns; ``cw``: the chunk's class weights)."""
    m, others, label, spread = carry
    new = xp.maximum(m, xp.max(z, axis=1))  # m starts at −inf: e^{m − new} = 0 then
    terms = xp.sum(xp.where(hit, zero, xp.exp(z - xp.expand_dims(new, axis=1))), axis=1)
    others = others * xp.exp(m - new) + terms
    label = label + xp.sum(xp.where(hit, z, zero), axis=1)
    if not is_zero(smoothing):
        spread = spread + (xp.sum(z, axis=1) if cw is None else xp.matmul(z, cw))
    return new, others, label, spread


def _finish(params: Params, carry: tuple[Array, ...], y: Array, cw: Array | None, classes: int, /, *,
            xp: Any) -> tuple[Array, Array, tuple[Array, ...]]:
    """Each token's loss (class weight, smoothing and z-loss in) and log-sum-exp from the final carry, and the
    residuals ``(m, o + expm1(z_y − m), nll)``."""
    _, smoothing, z_loss, _, _ = params
    m, others, label, spread = carry
    excess = xp.clip(others + xp.expm1(label - m), min=0.0)  # Σ_c e^{z_c − m} − 1, exact when tiny
    log_total = xp.log1p(excess)
    nll = (m - label) + log_total
    lse = m + log_total
    picked = None if cw is None else picked_weights(cw, y, m.dtype, xp=xp)
    loss = nll if picked is None else picked * nll
    if not is_zero(smoothing):  # (1 − s)·w_y·nll − (s/C)·Σ_c w_c·log p_c, with Σ_c w_c·log p_c = Σ_c w_c·z_c − W·lse
        total_weight = classes if cw is None else xp.sum(cw)
        loss = (1.0 - smoothing) * loss - (smoothing / classes) * (spread - total_weight * lse)
    if not is_zero(z_loss):
        loss = loss + z_loss * lse * lse * (1.0 if picked is None else picked)
    return loss, lse, (m, excess, nll)


def _compute_dtype(h: Array, /, *, xp: Any) -> Any:
    return h.dtype if xp.finfo(h.dtype).bits >= 32 else xp.float32


def _forward(params: Params, h: Array, w: Array, b: Array | None, y: Array, cw: Array | None, mask: Array | None,
             *, xp: Any) -> tuple[Array, tuple[Array, ...]]:
    """Value ``stack([ℓ, lse])`` of shape ``(2, N)`` (reduction "none"), or the losses' mean or sum over ``mask``;
    residuals ``(m, o + expm1(z_y − m), nll)``. One matmul per chunk of classes."""
    chunk, smoothing, _, cap, reduction = params
    dtype = _compute_dtype(h, xp=xp)
    classes = w.shape[0]
    zero = xp.zeros((), dtype=dtype, device=device(h))
    rows = xp.zeros(tuple(h.shape)[:1], dtype=dtype, device=device(h))

    def body(start: Any, size: int, carry: tuple[Array, ...]) -> tuple[tuple[Array, ...], tuple[()]]:
        z = _logits(_after(h, *carry, xp=xp), w, b, start, size, cap, dtype, xp=xp)
        part = None if cw is None else _rows(cw, start, size, xp=xp)
        return _update(carry, z, _hits(y, start, size, xp=xp), part, smoothing, zero, xp=xp), ()

    carry, _ = _loop(body, (rows - math.inf, rows, rows, rows), classes, chunk, xp=xp)
    loss, lse, residuals = _finish(params, carry, y, cw, classes, xp=xp)
    if reduction == "none":
        return xp.stack([loss, lse]), residuals
    return reduce_loss(loss, reduction, weights=None, where=mask, out_dtype=dtype, xp=xp), residuals


def _token_cotangents(reduction: str, mask: Array | None, like: Array, /, *, xp: Any) -> Array:
    """``∂ value / ∂ℓ_i`` of the rule's "mean" or "sum" (reduce_loss's, ``where=mask``): ``[mask_i]`` over the
    kept count, or 1."""
    kept = xp.ones_like(like) if mask is None else xp.where(mask, xp.ones_like(like), xp.zeros_like(like))
    return kept / xp.sum(kept) if reduction == "mean" else kept


def _coefficients(params: Params, y: Array, cw: Array | None, residuals: tuple[Array, ...], g: Array,
                  g_lse: Array | None, classes: int, /, *, xp: Any) -> tuple[Array, Array, Array]:
    r"""The per-token factors of ``∂/∂z_c``: ``(m, row, at_label)`` with ``∂/∂z_c = e^{z_c − m}·row`` off the label
    (minus the smoothing's ``(s/C)·g·w_c``) and ``at_label`` at it (see :func:`_backward`), each ``(N, 1)``."""
    _, smoothing, z_loss, _, _ = params
    m, excess, nll = residuals
    picked = None if cw is None else picked_weights(cw, y, m.dtype, xp=xp)
    label_weight = (1.0 - smoothing) * (g if picked is None else g * picked)  # c·(1 − s)·w_y
    total_weight = classes if cw is None else xp.sum(cw)
    coef = label_weight + (smoothing / classes) * total_weight * g
    extra = 0.0 if g_lse is None else g_lse
    if z_loss:
        lse = m + xp.log1p(excess)
        extra = extra + (2.0 * z_loss) * lse * (g if picked is None else g * picked)
    row = (coef + extra) / (1.0 + excess)
    p_label = xp.exp(-nll)
    at_label = (coef * xp.expm1(-nll) if not smoothing else coef * p_label - label_weight) + extra * p_label
    if smoothing:
        at_label = at_label - (smoothing / classes) * (g if picked is None else g * picked)
    return xp.expand_dims(m, axis=1), xp.expand_dims(row, axis=1), xp.expand_dims(at_label, axis=1)


def _logit_cotangents(z: Array, hit: Array, shift: Array, row: Array, minus: Array | None, at_label: Array,
                      cap: Any, /, *, keep: bool, xp: Any) -> Array:
    """``∂/∂z`` of one chunk (``∂/∂`` the pre-cap logits under soft-capping), in place over ``z`` where the adapter
    can and ``keep`` does not ask for ``z`` afterwards (eager torch outside autograd recording and functorch
    transforms: one (N, size) array where the generic form holds three at its peak); the same operations in the
    same order, the same numbers."""
    dz = (NotImplemented if cap is not None or keep
          else try_native("softmax_grad_into", z, shift, row, minus, hit, at_label, xp=xp))
    if dz is NotImplemented:
        dz = xp.exp(z - shift) * row
        if minus is not None:
            dz = dz - minus
        dz = xp.where(hit, at_label, dz)
    return dz if cap is None else dz * (1.0 - (z / cap) * (z / cap))


def _backward(params: Params, arrays: tuple[Array, ...], residuals: tuple[Array, ...], cotangent: Array,
              needs: tuple[bool, ...], *, xp: Any) -> tuple[Array | None, ...]:
    r"""``∂/∂z_c = g·((1 − s)·w_y·(p_c − [c = y]) + (s/C)·(W·p_c − w_c)) + (2·z_loss·g·w_y·lse + g_lse)·p_c``, per
    chunk, ``g`` and ``g_lse`` the cotangents of the loss and the log-sum-exp of each token (the dense rule's
    formula, lossport/_cross_entropy.py). ``p_c = e^{z_c − m} / (1 + excess)``; at the label, ``p_y − 1`` is
    ``expm1(−nll)``. Soft-capping multiplies by ``1 − (z/c)²``; then ``d hidden += dz @ w_chunk``,
    ``d weight_chunk = dzᵀ @ hidden``, ``d bias_chunk = Σ_rows dz``, and the class weights' cotangent (only when
    asked) ``Σ_i g_i·([k = y_i]·((1 − s)·nll_i + z_loss·lse_i²) − (s/C)·(z_ik − lse_i))``. After :func:`_train`
    (a mean or sum), its gradients times the cotangent."""
    chunk, smoothing, z_loss, cap, reduction = params
    h, w, b, y, cw, mask = arrays
    if residuals[0].ndim == 2:  # _train's (d hidden, d weight[, d bias]) for a unit cotangent
        grads = [xp.astype(cotangent * r, x.dtype, copy=False) for r, x in zip(residuals, (h, w, b), strict=False)]
        return (*grads, *[None] * (6 - len(grads)))
    m, excess, nll = residuals
    dtype = m.dtype
    classes = w.shape[0]
    if reduction == "none":
        g, g_lse = cotangent[0, ...], cotangent[1, ...]
    else:
        g, g_lse = cotangent * _token_cotangents(reduction, mask, m, xp=xp), None
    shift, row, at_label = _coefficients(params, y, cw, residuals, g, g_lse, classes, xp=xp)
    zero = xp.zeros((), dtype=dtype, device=device(m))
    want_h, want_w, want_b, want_cw = needs[0], needs[1], b is not None and needs[2], cw is not None and needs[4]
    per_label = g_lse_total = None
    if want_cw:
        lse = m + xp.log1p(excess)
        per_label = xp.expand_dims(g * ((1.0 - smoothing) * nll + (z_loss * lse * lse if z_loss else 0.0)), axis=1)
        g_lse_total = xp.sum(g * lse)

    def body(start: Any, size: int, grad_h: Array | None) -> tuple[Array | None, tuple[Array | None, ...]]:
        z = _logits(_after(h, grad_h, xp=xp), w, b, start, size, cap, dtype, xp=xp)
        hit = _hits(y, start, size, xp=xp, backward=True)
        minus = None
        if smoothing:
            spread = xp.expand_dims(g, axis=1)
            minus = (smoothing / classes) * (spread if cw is None else spread * _rows(cw, start, size, xp=xp))
        dz = _logit_cotangents(z, hit, shift, row, minus, at_label, cap, keep=want_cw and bool(smoothing), xp=xp)
        part_cw = None
        if want_cw:
            part_cw = xp.sum(xp.where(hit, per_label, zero), axis=0)
            if smoothing:
                part_cw = part_cw - (smoothing / classes) * (xp.matmul(g, z) - g_lse_total)
        if want_h:
            grad_h = grad_h + _matmul(dz, _rows(w, start, size, xp=xp), dtype, xp=xp)
        part_w = _matmul(xp.matrix_transpose(dz), h, dtype, xp=xp) if want_w else None
        part_b = xp.sum(dz, axis=0) if want_b else None
        return grad_h, (part_w, part_b, part_cw)

    start = xp.zeros(tuple(h.shape), dtype=dtype, device=device(m)) if want_h else None
    grad_h, (grad_w, grad_b, grad_cw) = _loop(body, start, classes, chunk, xp=xp)
    out_h = None if grad_h is None else xp.astype(grad_h, h.dtype, copy=False)
    out_w = None if grad_w is None else xp.astype(grad_w, w.dtype, copy=False)
    out_b = None if grad_b is None else xp.astype(grad_b, b.dtype, copy=False)
    out_cw = None if grad_cw is None else xp.astype(grad_cw, cw.dtype, copy=False)
    return out_h, out_w, out_b, None, out_cw, None


def _train(params: Params, h: Array, w: Array, b: Array | None, y: Array, cw: Array | None, mask: Array | None,
           *, xp: Any) -> tuple[Array, tuple[Array, ...]]:
    """The forward when a backward follows (lossport/_gradients.py, ``Rule.train``). For a mean or sum it computes
    the gradients too, for a unit cotangent, as Liger Kernel's fused linear cross-entropy does: over blocks of
    tokens with every class, whose logits are exact rows, so each block's ``∂/∂z`` follows at once: three matmuls in all, where the forward and a
    backward recomputing the logits take four. A block holds half a chunk's logits (``tokens·chunk / 2V`` tokens):
    ``d weight``'s sum is alive beside it. The residuals are ``d hidden``, ``d weight`` (and ``d bias``),
    computed by :func:`_backward`'s formulas; the backward scales them. Each token's ``(loss, lse)`` (reduction
    "none") has per-token cotangents only known in the backward: the plain forward."""
    chunk, smoothing, _, cap, reduction = params
    if reduction == "none" or cw is not None:
        return _forward(params, h, w, b, y, cw, mask, xp=xp)
    dtype = _compute_dtype(h, xp=xp)
    classes, tokens = w.shape[0], h.shape[0]
    if natives(xp).get("matmul_accumulate") is None:
        w = xp.astype(w, dtype, copy=False)  # 16-bit: cast once, not twice per block (every block reads all of it)
    zero = xp.zeros((), dtype=dtype, device=device(h))
    coefficients = _token_cotangents(reduction, mask, xp.zeros(tuple(h.shape)[:1], dtype=dtype, device=device(h)),
                                     xp=xp)

    def body(start: Any, size: int, carry: tuple[Array, Array | None]) -> tuple[tuple[Array, Array | None],
                                                                             tuple[Array, Array]]:
        grad_w, grad_b = carry
        hb, yb, g = _rows(h, start, size, xp=xp), _rows(y, start, size, xp=xp), _rows(coefficients, start, size, xp=xp)
        z = _logits(hb, w, b, 0, classes, cap, dtype, xp=xp)
        hit = _hits(yb, 0, classes, xp=xp)
        rows = xp.zeros((size,), dtype=dtype, device=device(h))
        stats = _update((rows - math.inf, rows, rows, rows), z, hit, None, smoothing, zero, xp=xp)
        loss, _, residuals = _finish(params, stats, yb, None, classes, xp=xp)
        shift, row, at_label = _coefficients(params, yb, None, residuals, g, None, classes, xp=xp)
        minus = (smoothing / classes) * xp.expand_dims(g, axis=1) if smoothing else None
        dz = _logit_cotangents(z, hit, shift, row, minus, at_label, cap, keep=False, xp=xp)
        del z, hit  # (eager frameworks free them here: one (block, V) array alive for the matmuls)
        grad_h = _matmul(dz, w, dtype, xp=xp)
        grad_w = _add_product(grad_w, dz, hb, dtype, xp=xp)
        return (grad_w, None if grad_b is None else grad_b + xp.sum(dz, axis=0)), (grad_h, loss)

    start = (xp.zeros(tuple(w.shape), dtype=dtype, device=device(h)),
             None if b is None else xp.zeros(tuple(b.shape), dtype=dtype, device=device(h)))
    # Blocks of half a chunk's logits (tokens·chunk / 2V tokens): d weight's V × H sum is alive beside them here
    block = max(1, min(tokens, tokens * chunk // (2 * classes)))
    (grad_w, grad_b), (grad_h, loss) = _loop(body, start, tokens, block, xp=xp)
    # The value computed after the last block's `d weight` (torch.compile: otherwise the partitioner moves that
    # last sum into the backward, saving the block's (block, V) cotangent and a second V × H sum there)
    value = _after(reduce_loss(loss, reduction, weights=None, where=mask, out_dtype=dtype, xp=xp), grad_w, xp=xp)
    return value, (grad_h, grad_w) if grad_b is None else (grad_h, grad_w, grad_b)


def _add_product(total: Array, a: Array, b: Array, dtype: Any, /, *, xp: Any) -> Array:
    """``total + aᵀ @ b``: in place where the adapter can (``matmul_add_into``: torch's ``addmm_``, eager
    TensorFlow's ``assign_add`` to a variable; no second ``V × H`` sum alive), else a new array."""
    out = try_native("matmul_add_into", total, a, b, xp=xp)
    return total + _matmul(xp.matrix_transpose(a), b, dtype, xp=xp) if out is NotImplemented else out


LINEAR_CE = Rule("linear_cross_entropy", _forward, _backward, _train, train_compiled=True)


# -- the public function --------------------------------------------------------------------------------------


def _check_chunk(chunk_size: int | None) -> None:
    if chunk_size is not None and (isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1):
        msg = f"`chunk_size` must be None or a positive int; got {chunk_size!r}"
        raise ValueError(msg)


def _check_softcap(logit_softcap: float | Array | None) -> None:
    if logit_softcap is not None:
        check_finite("logit_softcap", logit_softcap)
        check_positive("logit_softcap", logit_softcap)


def _knob(value: float | Array, hidden: Array, dtype: Any, /, *, xp: Any) -> float | Array:
    """A knob as a Python float (a static parameter of the rule), or a 0-D array in the compute dtype: a 16-bit
    `hidden` may stay 16-bit (``_matmul`` accumulates in float32), the knob as the logits."""
    value = knob(value, hidden, xp=xp)
    return xp.astype(value, dtype, copy=False) if is_array_knob(value) else value


def linear_cross_entropy(
    hidden: Array,
    weight: Array,
    labels: Array,
    /,
    *,
    bias: Array | None = None,
    chunk_size: int | None = None,
    ignore_index: int | None = None,
    label_smoothing: float = 0.0,
    class_weights: Array | None = None,
    z_loss: float = 0.0,
    logit_softcap: float | None = None,
    return_lse: bool = False,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array | tuple[Array, Array]:
    r"""Softmax cross-entropy of the logits ``hidden @ weight.T + bias``, without ever holding them.

    .. math:: \ell_i = \operatorname{logsumexp}_c z_{ic} - z_{i y_i}, \quad z = \operatorname{softcap}(h W^\top + b)

    Its value is :func:`sparse_softmax_cross_entropy` of those logits, with the same knobs (``ignore_index``,
    ``class_weights``, ``label_smoothing``, ``z_loss``, ``weights``, ``where``, ``reduction``), computed over
    chunks of ``chunk_size`` classes with an online log-sum-exp: no ``(N, V)`` array exists in the forward pass.
    Its backward recomputes each chunk's logits and accumulates the gradients of ``hidden``, ``weight`` and
    ``bias`` chunk by chunk, from three saved numbers per token: peak memory ``O(N·chunk + N·H + V·H)`` against the
    dense form's ``O(N·V)``. Where a backward will follow a ``"mean"`` or ``"sum"`` (autograd recording, ``jax.grad``,
    a recording ``GradientTape``, ``torch.compile``'s autograd) and no ``weights``, ``class_weights`` or
    ``return_lse`` are given, the forward computes the gradients instead, over blocks of ``N·chunk / 2V`` tokens
    with every class, and the backward scales them: one matmul fewer, the same memory bound. It is exact: the same
    formulas as the dense form, summed in another order.

    Parameters
    ----------
    hidden : array, shape ``(..., H)``, real floating
        The hidden states (``N`` tokens: the product of the leading dimensions).
    weight : array, shape ``(V, H)``, real floating
        The classifier (``torch.nn.Linear``'s layout, and a tied embedding's).
    labels : array, shape ``(...)``, integer in ``[0, V)``
    bias : array, shape ``(V,)``, optional
    chunk_size : int, optional
        Classes per chunk. None picks :func:`chunk_for`: ``CHUNK_BUDGET // N`` (``2²³`` logits, 32 MiB in
        float32, per chunk) rounded down to a multiple of 128, at least 128, at most ``V``. The value does not
        depend on it beyond rounding.
    ignore_index, class_weights, label_smoothing, z_loss, weights, where, reduction
        As in :func:`sparse_softmax_cross_entropy`; ``class_weights`` has shape ``(V,)``.
    logit_softcap : float or 0-D array, optional
        Gemma 2's soft-capping, ``c·tanh(z/c)``, applied to the logits before everything else (the z-loss
        included).
    return_lse : bool, default False
        Also return each token's log-sum-exp (of the soft-capped logits), differentiable.
    xp : namespace, optional

    Returns
    -------
    array, or (array, array)
        The loss: 0-D, or of ``labels``' shape for ``reduction="none"`` (ignored tokens give 0), in the inputs'
        dtype. With ``return_lse``, also the log-sum-exp, of ``labels``' shape, in the compute dtype: float32 for
        float16 / bfloat16 inputs (and under ``torch.autocast``), the inputs' dtype otherwise; ignored tokens get
        theirs too.

    Notes
    -----
    float16 and bfloat16 inputs are multiplied as they are with float32 accumulation where the framework offers it
    (JAX: ``jnp.matmul(..., preferred_element_type=float32)``); torch, TensorFlow and NumPy have no portable
    16-bit-in, float32-out matmul on every device, so each chunk of ``weight`` (and ``hidden``, once) is cast to
    float32 there. The log-sum-exp and everything after it are float32. Non-finite inputs give NaN.

    Under ``jax.jit`` and ``tf.function`` the chunks run in one traced loop body (``lax.scan``,
    ``tf.while_loop``: the adapters' ``scan_chunks``), so compile time does not grow with ``V / chunk_size``;
    NumPy, torch (eager and ``torch.compile``) and eager TensorFlow loop in Python.

    ``label_smoothing``, ``z_loss`` and ``logit_softcap`` may be 0-D arrays of the inputs' framework, traced or not
    (``jax.vmap`` over a sweep, a learnable soft-cap): they enter the chunk loop as values. The loss is then
    differentiated by the framework's autodiff through the chunks, with respect to the knobs too, not by the chunked
    backward above, so the backward's memory is that of the autodiff (it keeps each chunk's logits: ``O(N·V)``);
    Python-number knobs keep the chunked backward.

    Raises
    ------
    TypeError
        If `hidden`, `weight` or `bias` is not floating, or `labels` not integer.
    ValueError
        If the shapes disagree (``weight`` not ``(V, H)`` with ``H`` = `hidden`'s last dimension, `labels` not
        `hidden`'s leading shape, `bias` or `class_weights` not ``(V,)``), ``V = 0``, a bad knob, or (on concrete
        arrays) a label outside ``[0, V)``.

    See Also
    --------
    sparse_softmax_cross_entropy, torch.nn.functional.linear_cross_entropy

    Examples
    --------
    >>> import numpy as np, lossport
    >>> hidden, weight = np.array([[1.0, 0.0]]), np.array([[0.0, 0.0], [0.0, 0.0]])
    >>> float(lossport.linear_cross_entropy(hidden, weight, np.array([1])))  # two equal logits: log 2
    0.6931471805599453
    """
    check_reduction(reduction)
    check_fraction("label_smoothing", label_smoothing)
    check_positive("z_loss", z_loss, allow_zero=True)
    _check_chunk(chunk_size)
    _check_softcap(logit_softcap)
    check_bool("return_lse", return_lse)
    xp = array_namespace(
        hidden, weight, labels, bias, class_weights, weights, where, xp=xp,
        names=("hidden", "weight", "labels", "bias", "class_weights", "weights", "where"),
    )
    for name, x in (("hidden", hidden), ("weight", weight), ("bias", bias), ("class_weights", class_weights)):
        if x is not None:
            check_floating(name, x, xp=xp)
    check_integer("labels", labels, xp=xp)
    if len(hidden.shape) < 1:  # (a TensorFlow variable has no ndim)
        msg = "`hidden` must have at least one dimension (..., H)"
        raise ValueError(msg)
    if len(weight.shape) != 2:
        msg = f"`weight` must be 2-D (V, H); got shape {tuple(weight.shape)}"
        raise ValueError(msg)
    classes, width = tuple(weight.shape)
    check_shape("weight", weight, (classes, tuple(hidden.shape)[-1]), "(V, H), H the last dimension of `hidden`")
    if classes == 0:
        msg = "`weight` must have at least one class (row)"
        raise ValueError(msg)
    shape = tuple(hidden.shape)[:-1]
    check_shape("labels", labels, shape, "`hidden`'s shape without its last dimension")
    if bias is not None:
        check_shape("bias", bias, (classes,), "one bias per class (row of `weight`)")
    if class_weights is not None:
        check_shape("class_weights", class_weights, (classes,), "one weight per class")
    floating = [x for x in (hidden, weight, bias) if x is not None]
    dtype, out_dtype = compute_dtype(*floating, xp=xp)
    if xp.finfo(xp.result_type(*floating)).bits >= 32:  # 16-bit inputs stay 16-bit: _matmul accumulates in float32
        hidden, weight = xp.astype(hidden, dtype, copy=False), xp.astype(weight, dtype, copy=False)
    elif natives(xp).get("matmul_accumulate") is None:
        hidden = xp.astype(hidden, dtype)  # cast once here, not once per chunk (weight is cast chunk by chunk)
    if bias is not None:
        bias = xp.astype(bias, dtype, copy=False)
    if class_weights is not None:
        class_weights = xp.astype(class_weights, dtype, copy=False)
    check_labels_in_range("labels", labels, classes, ignore_index=ignore_index, xp=xp)
    keep = None
    if ignore_index is not None:
        keep = labels != ignore_index
        labels = xp.where(keep, labels, xp.zeros_like(labels))  # any valid index; the token is masked
    mask = keep if where is None else (where if keep is None else xp.logical_and(keep, where))
    tokens = math.prod(shape) if all(isinstance(d, int) for d in shape) else None
    chunk = chunk_size if chunk_size is not None else chunk_for(tokens or 1, classes)
    # A mean or sum over a mask is the rule's own (its training forward then computes the gradients: _train);
    # per-token weights, class weights (differentiable scales of the mean) and the log-sum-exp reduce outside it.
    inside = (reduction != "none" and not return_lse and weights is None and class_weights is None
              and (where is None or (xp.isdtype(where.dtype, "bool") and tuple(mask.shape) == shape)))
    params = (min(chunk, classes), _knob(label_smoothing, hidden, dtype, xp=xp), _knob(z_loss, hidden, dtype, xp=xp),
              None if logit_softcap is None else _knob(logit_softcap, hidden, dtype, xp=xp),
              reduction if inside else "none")
    flat_mask = None if not inside or mask is None else xp.reshape(mask, (-1,))
    rows = apply(LINEAR_CE, params, xp.reshape(hidden, (-1, width)), weight, bias, xp.reshape(labels, (-1,)),
                 class_weights, flat_mask, xp=xp)
    if inside:
        return rows if rows.dtype == out_dtype else xp.astype(rows, out_dtype)
    loss, lse = xp.reshape(rows[0, ...], shape), xp.reshape(rows[1, ...], shape)
    picked = None if class_weights is None else picked_weights(class_weights, labels, dtype, xp=xp)
    out = reduce_loss(loss, reduction, weights=weights, where=mask, scale=picked, out_dtype=out_dtype, xp=xp)
    return (out, lse) if return_lse else out
