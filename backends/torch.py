"""PyTorch adapter: ``array_api_compat.torch`` as the namespace; ``torch.nn.functional`` for the primitives."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

from lossport.backends import LazyNative, layout

NAME = "torch"
NAMESPACE_NAMES = ("array_api_compat.torch",)


def framework_imported() -> bool:
    return "torch" in sys.modules


def is_array(x: object) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(x, torch.Tensor)


def namespace() -> ModuleType:
    # array-api-compat's, with int32 indices repaired (backends/_torch/namespace.py)
    from lossport.backends._torch.namespace import NAMESPACE

    return NAMESPACE


def _native() -> Mapping[str, Callable[..., Any]]:
    import torch
    import torch.nn.functional as F

    # The log-sum-exp family keeps lossport's accurate form, m + log1p(Σ_{j≠argmax} e^(x_j − m)) (see
    # _numerics.py): torch.log_softmax, torch.logsumexp and F.cross_entropy round 1 + 1e-13 to 1 and return 0 for a
    # confident prediction's loss. Each function has two bodies, both free of value branches:
    # - eager: every operation is one pass over memory, so use the fewest: log_softmax_at drops the label's own
    #   term (its index is known: an amax, no argmax); logsumexp and log_softmax take torch.max's index (the max
    #   and the argmax in one pass). The dropped term is an in-place -inf (a scatter of one element per row)
    #   before an in-place exp: 3 reads and 2 writes of the input's size, against 5 and 4 and a boolean mask for
    #   the generic form;
    # - under torch.compile: the generic form (amax, a where on x == m, ties counted apart), which inductor fuses
    #   into the pass after the max; torch.max's index and a where on the label's index fuse worse there.
    # torch.compiler.is_compiling() is a constant to Dynamo, so the choice is made at trace time: no graph break.
    # Measurements: benchmarks/formulations.py, benchmarks/README.md.
    is_compiling = torch.compiler.is_compiling
    wrapped = torch._C._functorch.is_functorch_wrapped_tensor

    def generic_form(x: Any) -> bool:  # also under functorch: scatter_ has no batching rule (a slow, warning fallback)
        return is_compiling() or wrapped(x)
    inf, nan = float("inf"), float("nan")

    def _excess_fused(x: Any, axis: int) -> tuple[Any, Any]:
        # (m, log1p(s)) by the generic form: inductor fuses the where and both sums into one pass.
        # m is detached, and the maximal terms enter as expm1(x − m): 0 in value, exp(x − m) in gradient, so the
        # gradient is the softmax with no path through amax. Inductor in torch 2.13 (CPU) miscompiles the
        # backward of amax beside a gather (gather(x) − amax(x) − log Σ exp(x − amax(x)) loses the gather's
        # gradient; tests/test_matrix.py::test_gradient_torch_compile caught it).
        m = torch.amax(x, dim=axis, keepdim=True).detach()
        m_safe = torch.where(m == -inf, 0.0, m)
        shifted = x - m_safe
        is_max = x == m
        top = torch.expm1(torch.where(m == -inf, 0.0, shifted))
        rest = torch.where(is_max, top, torch.exp(shifted)).sum(axis, keepdim=True)
        ties = is_max.sum(axis, keepdim=True, dtype=x.dtype)
        return m, torch.log1p(rest + (ties - 1.0).clamp(min=0.0))

    # m with -inf (a row of -inf) replaced by 0, or every non-finite value: one kernel each, where isfinite and
    # where would be five (small inputs pay per kernel).
    def _shift(m: Any) -> Any:
        return m.nan_to_num(nan=nan, posinf=inf, neginf=0.0)

    def _finite_or_zero(m: Any) -> Any:
        return m.nan_to_num(nan=0.0, posinf=0.0, neginf=0.0)

    def logsumexp(x: Any, *, axis: int = -1, keepdims: bool = False) -> Any:
        if generic_form(x):
            m, excess = _excess_fused(x, axis)
        else:
            m, k = torch.max(x, dim=axis, keepdim=True)
            terms = x - _finite_or_zero(m)
            terms.scatter_(axis, k, -inf)  # drop the maximal term, which is exactly 1
            excess = torch.log1p(terms.exp_().sum(axis, keepdim=True))
        finite = torch.isfinite(m)
        out = torch.where(finite, _finite_or_zero(m) + excess, m)
        return out if keepdims else out.squeeze(axis)

    def log_softmax(x: Any, *, axis: int = -1) -> Any:
        if generic_form(x):
            m, excess = _excess_fused(x, axis)
            return (x - torch.where(m == -inf, 0.0, m)) - excess
        m, k = torch.max(x, dim=axis, keepdim=True)
        m_safe = _shift(m)
        shifted = x - m_safe
        shifted.scatter_(axis, k, -inf)
        # exp saves its output for the backward pass, not its input: `shifted` may be written again below.
        excess = torch.log1p(torch.exp(shifted).sum(axis, keepdim=True))
        shifted.scatter_(axis, k, m - m_safe)  # the maximal entry's x − m: 0, or NaN beside a +inf
        return shifted.sub_(excess)

    def _at_eager(x: Any, index: Any, axis: int) -> tuple[Any, Any, Any, Any]:
        # (value, m_safe, others, x_i − m_safe): the picked index is known, so it is summed apart with no argmax
        # (see _numerics._log_softmax_at_generic); one full-size temporary, exponentiated in place.
        m_safe = _finite_or_zero(torch.amax(x, dim=axis, keepdim=True))
        terms = x - m_safe
        terms.scatter_(axis, index, -inf)
        others = terms.exp_().sum(axis, keepdim=True)
        shifted = x.gather(axis, index) - m_safe
        excess = torch.log1p((others + torch.expm1(shifted)).clamp(min=0.0))
        return (shifted - excess).squeeze(axis), m_safe, others, shifted

    def log_softmax_at(x: Any, indices: Any, *, axis: int = -1) -> Any:
        index = indices.unsqueeze(axis).long()
        if generic_form(x):
            # Inductor fuses the generic form's where on x == m and its two sums into the pass after the max:
            # 1.04 x F.cross_entropy compiled, against 1.21 x for a where on the label's index (formulations.py).
            m, excess = _excess_fused(x, axis)
            return ((x.gather(axis, index) - torch.where(m == -inf, 0.0, m)) - excess).squeeze(axis)
        return _at_eager(x, index, axis)[0]

    # sparse CE's training forward (_numerics.log_softmax_at_parts), eager: the row sums come free, and the backward
    # (softmax_at_vjp) then reads the logits once instead of three times (max, sum, the gradient's pass).
    def log_softmax_at_parts(x: Any, indices: Any) -> Any:
        if generic_form(x):
            return NotImplemented
        value, m_safe, others, shifted = _at_eager(x, indices.unsqueeze(-1).long(), -1)
        return value, m_safe, others + shifted.exp()

    def softplus(x: Any) -> Any:
        # F.softplus returns x itself above `threshold`; the default 20 drops exp(-20) = 2e-9, which float64
        # resolves. Above 40, exp(-x) is below half an ulp of x in float64 too, so the result is exact.
        return F.softplus(x, beta=1.0, threshold=40.0)

    def log_sigmoid(x: Any) -> Any:
        return F.logsigmoid(x)  # min(x, 0) - log1p(exp(-|x|))

    def sign(x: Any) -> Any:
        # torch.sign(NaN) is 0: NaN is put back on the fresh result by masked_fill_ (2.4 x faster than a where on the
        # CPU at 1e7; unlike array-api-compat's masked assignment, index_put_, it has a torch.func.vmap rule)
        return torch.sign(x).masked_fill_(torch.isnan(x), math.nan) if x.dtype.is_floating_point else torch.sign(x)

    def mul0(a: Any, b: Any) -> Any:
        # The generic a * where(a == 0, zeros_like(b), b), without the zeros tensor (a Python 0 is fine here).
        return a * torch.where(a == 0, 0.0, b)

    def clamped_log(p: Any, *, floor: float = -100.0) -> Any:
        # The generic double where, with clamp for array-api-compat's slower clip: 5 kernels instead of 7. When
        # nothing records (a rule's forward), one temporary rewritten in place: NaN and −inf (p ≤ 0, NaN) to the
        # floor, as the generic form's `p > 0` does.
        if _in_place(p):
            return torch.log(p).nan_to_num_(nan=floor, posinf=math.inf, neginf=floor).clamp_(min=floor)
        positive = p > 0
        return torch.where(positive, torch.log(torch.where(positive, p, 1.0)).clamp(min=floor), floor)

    def xlogy(x: Any, y: Any) -> Any:
        # torch.xlogy(0, y) is NaN for a NaN y, and its gradient in y is 0/0 = NaN at x = y = 0: feeding it 1
        # where x == 0 gives the generic version's semantics (0 there, and zero gradients).
        return torch.xlogy(x, torch.where(x == 0, 1.0, y))

    def one_hot(labels: Any, num_classes: int, *, dtype: Any, axis: int = -1) -> Any:
        # Not F.one_hot: it raises on out-of-range labels (the generic version gives a row of zeros) and takes
        # int64 only; one comparison against arange is as fast and compiles without a graph break.
        classes = torch.arange(num_classes, device=labels.device, dtype=labels.dtype)
        out = (labels.unsqueeze(-1) == classes).to(dtype)
        return out if axis in (-1, out.ndim - 1) else torch.movedim(out, -1, axis)

    # The elementwise losses' kernels (lossport/_numerics.py, "fused kernels"): torch's own loss kernels with
    # reduction="none" compute lossport's formulas in one pass ((p − t)², and Huber as 0.5·e² or δ(|e| − δ/2)),
    # and their backward kernels scale the derivative in the same pass (aten's mse_loss_backward is
    # (p − t)·2·g, huber_loss_backward clamp(p − t, −δ, δ)·g). Both are differentiable again and compile.
    aten = torch.ops.aten

    def squared_error(p: Any, t: Any) -> Any:
        return F.mse_loss(p, t, reduction="none")

    def squared_error_vjp(p: Any, t: Any, scale: Any) -> Any:
        return aten.mse_loss_backward(scale, p, t, 0)

    def huber_error(p: Any, t: Any, delta: float) -> Any:
        return F.huber_loss(p, t, reduction="none", delta=delta)

    def huber_error_vjp(p: Any, t: Any, delta: float, scale: Any) -> Any:
        return aten.huber_loss_backward(scale, p, t, 0, delta)

    def smooth_l1_error(p: Any, t: Any, beta: float) -> Any:  # ½e²/β below β, |e| − β/2 from it (one rounding)
        return F.smooth_l1_loss(p, t, reduction="none", beta=beta)

    # The in-place natives run only where nothing records their arrays (the rules' forward and first backward run
    # with grad off): not under autograd recording (double backward, the tests' composition), torch.compile (inductor
    # fuses the generic forms itself) or on functorch's wrapped tensors (under torch.func.vmap over one input only, a
    # temporary made from the other is unbatched, and an in-place operation cannot take a batched operand:
    # sigmoid_ce over the labels raised).
    def _in_place(*arrays: Any) -> bool:
        return not (is_compiling() or (torch.is_grad_enabled() and any(a.requires_grad for a in arrays))
                    or any(wrapped(a) for a in arrays))

    # -- elementwise rules in blocks (sigmoid cross-entropy, sigmoid focal) ----------------------------------------
    # The generic form's operations, so the same numbers bit for bit, on eager CPU tensors nothing records:
    # `block` elements at a time, every pass writing into block-sized scratch arrays or the outputs (out= and
    # in-place operations). The passes then run on data in cache, and nothing full-size is allocated but the
    # results, where the generic form allocates a fresh array per operation (memory never touched: a page fault per
    # 4 KiB) and holds several at its peak. Blocks are multiples of the vector width, so each element meets the same
    # vectorised or scalar kernel path as in one pass over the whole array. The generic forms' `where`s run on the
    # floats' bits, where(m, a, b) = b ^ ((a ^ b) & m) with m all ones or all zeros: torch's CPU `where`,
    # `masked_fill_` and comparisons are 4-18 times slower than a multiplication (2^16 float32 elements, torch 2.14:
    # 500, 700 and 150 µs against 38; the bitwise operations 20-55). Declined (NotImplemented: the generic form
    # runs) beside `_in_place`'s cases for non-contiguous or 16-bit inputs, inputs of other shapes or dtypes (a
    # broadcast), and devices other than the CPU (a kernel launch per block).
    block = 1 << 16
    # dtype: (its bits' integer type, the sign bit's shift, all bits but the sign, the bits of 1.0, the sign bit),
    # the constants as 0-D tensors of that type: a Python int operand costs 4-8 µs more per bitwise operation
    def _bit_constants(int_type: Any, *values: int) -> tuple[Any, ...]:
        return (int_type, *(torch.tensor(v, dtype=int_type) for v in values))

    float_bits = {torch.float32: _bit_constants(torch.int32, 31, 0x7FFF_FFFF, 0x3F80_0000, -(1 << 31)),
                  torch.float64: _bit_constants(torch.int64, 63, 0x7FFF_FFFF_FFFF_FFFF, 0x3FF0_0000_0000_0000,
                                                -(1 << 63))}

    def _blockwise(x: Any, *others: Any) -> bool:  # x and others (of x's shape and dtype) go through _in_blocks
        return (x.device.type == "cpu" and x.dtype in float_bits and x.is_contiguous()
                and all(a.dtype == x.dtype and a.shape == x.shape and a.device == x.device and a.is_contiguous()
                        for a in others) and _in_place(x, *others))

    def _in_blocks(body: Callable[..., None], arrays: list[Any], outputs: list[Any], floats: int, ints: int) -> None:
        # body(arrays' blocks, outputs' blocks, float scratch, integer scratch) for each block; a 0-D array is
        # passed whole. The outputs are fresh contiguous arrays of the arrays' shape.
        dtype = outputs[0].dtype
        n = outputs[0].numel()
        if n <= block:  # one block: the arrays themselves (slicing costs more than the passes on small inputs)
            body(arrays, outputs, [torch.empty_like(outputs[0]) for _ in range(floats)],
                 [torch.empty_like(outputs[0], dtype=float_bits[dtype][0]) for _ in range(ints)])
            return
        size = block
        scratch = [torch.empty(size, dtype=dtype) for _ in range(floats)]
        masks = [torch.empty(size, dtype=float_bits[dtype][0]) for _ in range(ints)]
        flat = [a if a.ndim == 0 else a.reshape(-1) for a in arrays]
        flat_out = [o.view(-1) for o in outputs]
        for start in range(0, n, block):
            stop = min(n, start + block)
            k = stop - start
            body([a if a.ndim == 0 else a[start:stop] for a in flat], [o[start:stop] for o in flat_out],
                 [s[:k] for s in scratch], [m[:k] for m in masks])

    # A rule's generic form on blocks of its inputs (lossport/_gradients.py, `blocks`: js divergence, ...), the same
    # operations on each block: its full-size temporaries become block-sized ones, in cache. `fn(*blocks)` returns
    # an array or a tuple of them (or None); `arrays` are of the first's shape, 0-D, or (`rows`) of its rows' shape.
    # Elementwise rules go in blocks of 4 × `block` elements; row rules in whole rows, as many as fit in 4 × `block`
    # and a multiple of 64 elements where the row length allows: each element meets the kernels' vectorised path as
    # in one pass, and each row is summed alone, as in one pass. Blocks of 2^18 elements: fewer calls for losses of
    # twenty-odd operations (js at 1024 × 32000: 1.02 × the native's time, against 1.23 with 2^16). Declined where
    # one block would do, for other shapes (a broadcast), and in `_blockwise`'s cases.
    def in_blocks(fn: Callable[..., Any], arrays: tuple[Any, ...], rows: bool) -> Any:
        x = arrays[0]
        shape, lead = tuple(x.shape), tuple(x.shape[:-1]) if rows else ()
        if x.numel() <= 4 * block or (rows and x.ndim < 2) or any(
                a.ndim and tuple(a.shape) not in (shape, lead) for a in arrays):
            return NotImplemented
        full = [a for a in arrays if a.ndim and tuple(a.shape) == shape]
        if not (_blockwise(*full) and _in_place(*arrays)):
            return NotImplemented
        width = x.shape[-1] if rows else 1
        step = 64 // math.gcd(width, 64)  # rows per multiple of 64 elements
        per_block = max(step, 4 * block // width // step * step)
        flat = [a if a.ndim == 0 else a.reshape(-1, width) if rows and a.ndim == x.ndim else a.reshape(-1)
                for a in arrays]
        outs: Any = None
        for start in range(0, x.numel() // width, per_block):
            parts = fn(*(a if a.ndim == 0 else a[start:start + per_block] for a in flat))
            single = not isinstance(parts, tuple)
            parts = (parts,) if single else parts
            if outs is None:
                outs = [None if q is None else torch.empty((x.numel() // width, *q.shape[1:]), dtype=q.dtype)
                        for q in parts]
            for o, q in zip(outs, parts):
                if o is not None:
                    o[start:start + per_block] = q
        shaped = [None if o is None else o.reshape((lead if rows else shape) + tuple(o.shape[1:])) for o in outs]
        return shaped[0] if single else tuple(shaped)

    # Sigmoid cross-entropy with w = 1 and no smoothing (_numerics.sigmoid_ce: ℓ = mul0(c, x) + log1p(e^{−|x|}),
    # and sigmoid_ce_vjp: (c − copysign(σ(−|x|), x))·g) in blocks. c = where(signbit(x), −y, 1 − y) is formed as
    # [x's sign bit clear] − y, the same number but +0 for −y = −0 (x negative, y = 0): a zero that only meets the
    # forward's `+ tail` (tail ≥ +0: the sum is +0 either way) and the backward's `− copysign(σ, x)` (σ = +0 only at
    # x = −inf, where −0 − (−0) and +0 − (−0) are both +0). pos_weight, smoothing and broadcast labels: the generic
    # form.
    def _positive_side(x: Any, out: Any, bits: tuple[Any, ...]) -> Any:  # [sign bit of x clear]
        int_type, shift, _, one, _ = bits
        torch.bitwise_not(x.view(int_type), out=out.view(int_type)).bitwise_right_shift_(shift).bitwise_and_(one)
        return out

    def _sigmoid_ce_block(arrays: list[Any], outputs: list[Any], scratch: list[Any], masks: list[Any]) -> None:
        x, y = arrays
        (loss,) = outputs
        (tail,) = scratch
        (keep,) = masks
        bits = float_bits[x.dtype]
        int_type, shift, magnitude, _, sign_bit = bits
        x_i = x.view(int_type)
        c = _positive_side(x, loss, bits).sub_(y)  # c, in `loss`
        # mul0(c, x) = c·where(c == 0, 0, x): `keep` all ones where c is not ±0, then x's bits and-ed with it
        torch.bitwise_and(c.view(int_type), magnitude, out=keep).neg_().bitwise_right_shift_(shift)
        c.mul_(keep.bitwise_and_(x_i).view(x.dtype))
        torch.bitwise_or(x_i, sign_bit, out=tail.view(int_type))  # −|x|: the generic where(signbit(x), x, −x)
        loss.add_(tail.exp_().log1p_())  # mul0(c, x) + log1p(exp(−|x|))

    def _sigmoid_ce_vjp_block(arrays: list[Any], outputs: list[Any], scratch: list[Any], masks: list[Any]) -> None:
        x, y, scale = arrays
        (grad,) = outputs
        (small,) = scratch
        bits = float_bits[x.dtype]
        c = _positive_side(x, grad, bits).sub_(y)  # c, in `grad`
        # small = 1/(1 + exp(|x|)) (torch's 1.0/t is t.reciprocal()·1.0; its sigmoid kernel rounds otherwise, by an
        # ulp in float32), |x| the generic where(signbit(x), −x, x), then signed as x
        torch.bitwise_and(x.view(bits[0]), bits[2], out=small.view(bits[0]))
        small.exp_().add_(1.0).reciprocal_().copysign_(x)
        c.sub_(small).mul_(scale)

    def sigmoid_ce(x: Any, y: Any, w: Any, smoothing: float) -> Any:
        if w is not None or smoothing or not _blockwise(x, y):
            return NotImplemented  # _numerics' generic form
        loss = torch.empty_like(x, memory_format=torch.contiguous_format)
        _in_blocks(_sigmoid_ce_block, [x, y], [loss], 1, 1)
        return loss

    def sigmoid_ce_vjp(x: Any, y: Any, w: Any, smoothing: float, scale: Any) -> Any:
        # scale: 0-D (a "mean" or "sum") or of x's shape, of x's dtype
        if (w is not None or smoothing or scale.dtype != x.dtype or scale.device != x.device
                or not (_blockwise(x, y, scale) if scale.ndim else _blockwise(x, y) and _in_place(scale))):
            return NotImplemented
        grad = torch.empty_like(x, memory_format=torch.contiguous_format)
        _in_blocks(_sigmoid_ce_vjp_block, [x, y, scale], [grad], 1, 0)
        return grad

    # Row rules of lossport.margin and lossport.divergence, in place on one temporary when nothing records (as
    # sigmoid_ce): the generic forms' operations in the generic forms' order, so the same numbers, with one full-size
    # temporary alive (two for KL's log-targets) instead of four and masks. NotImplemented elsewhere: autograd
    # recording, torch.compile, and functorch's wrapped tensors (torch.func.vmap over one input only: the temporary
    # made from the other is unbatched, and an in-place operation cannot take a batched operand; clamp_ and scatter_
    # have no batching rule): `_in_place`.

    # multi_margin: z = (s − s_y) + m, not F.multi_margin_loss, whose kernel forms (m − s_y) + s_c, rounding the
    # margin beside large scores (float32 s = [1000.3, 1000], label 0, m = 0.3: z = 1.2e-5, the kernel's term 0),
    # and sums each row in order in the input's dtype (a float32 row of 32000 classes: 6.3 ulps off, torch.sum 0.6).
    def _label_index(y: Any) -> Any:
        index = y.unsqueeze(-1)
        return index if index.dtype == torch.int64 else index.long()

    def _margins(s: Any, index: Any, margin: float) -> Any:  # z = (s − s_y) + m, a new array
        return torch.sub(s, s.gather(-1, index)).add_(margin)

    def multi_margin(s: Any, y: Any, p: int, margin: float) -> Any:
        if not _in_place(s, y):
            return NotImplemented
        index = _label_index(y)
        terms = _margins(s, index, margin).clamp_(min=0.0).scatter_(-1, index, 0.0)
        if p == 2:
            terms.mul_(terms)
        return terms.sum(-1).div_(s.shape[-1])

    def multi_margin_vjp(s: Any, y: Any, p: int, margin: float, scale: Any) -> Any:
        # c·[z > 0] (p = 1) or c·max(0, z) (p = 2) off the label, minus their row sum at it. One difference from the
        # generic form's `where`: an inactive class gets 0·c, NaN where the cotangent c is not finite (not 0).
        if not _in_place(s, y, scale):
            return NotImplemented
        index = _label_index(y)
        c = (scale if scale.ndim == 0 else scale.unsqueeze(-1)) * (p / s.shape[-1])
        grad = _margins(s, index, margin)
        (grad.gt_(0.0) if p == 1 else grad.clamp_(min=0.0)).mul_(c).scatter_(-1, index, 0.0)
        return grad.scatter_(-1, index, grad.sum(-1, keepdim=True).neg_())

    def kl_divergence(log_q: Any, targets: Any, log_targets: bool) -> Any:
        # Σ mul0(p, log p − log q) per row, without clip. log p: log(targets) with −inf (p = 0) and NaN (p < 0 or NaN)
        # made 0, as the generic form's log(where(p > 0, p, 1)); or the log-targets themselves, which differ from
        # the generic form's where(p > 0, ·, 0) only where p = e^t is 0 or NaN, entries the product zeroes or
        # makes NaN anyway. mul0's zero where p = 0 is a masked fill after the product (0·inf there is NaN).
        if not _in_place(log_q, targets):
            return NotImplemented
        if log_targets:
            p = torch.exp(targets)
            terms = torch.sub(targets, log_q)
        else:
            p = targets
            terms = torch.log(p).nan_to_num_(nan=0.0, posinf=math.inf, neginf=0.0).sub_(log_q)
        return terms.mul_(p).masked_fill_(p == 0, 0.0).sum(-1)

    # -- softmax cross-entropy on label distributions, and cross-entropy on probabilities --------------------------
    # The rules SOFT_CE and PROBABILITY_CE (lossport/_cross_entropy.py), in place on one full-size temporary when
    # nothing records, compiles or wraps (`_in_place`); under torch.compile, forms of their own (below); NotImplemented
    # elsewhere, and for anything unusual (an array knob, labels of another shape or dtype, an empty input): the
    # caller runs the generic form. In eager torch a fresh full-size array costs more than a pass over one (its
    # pages are faulted in: 1024 × 32000 float32, one thread: about 70 ms against 15 for an in-place pass), so each
    # function allocates one.
    # soft_ce: the generic −Σ mul0(y, log p) with log_softmax's operations: the temporary holds e^{z − m} (the top
    # term scattered out) for log1p(s), then log p = (z − m) − log1p(s), then its product with y, summed: the same
    # bits. A product is NaN where mul0 gives 0 (y = 0 against log p = −inf, a masked class; or NaN there): when a
    # row's sum is NaN, log p is formed again and summed with mul0's zeros (a masked fill where y = 0: four more
    # passes and a one-byte mask; a row of NaN logits stays NaN unless its labels are 0, as in the generic form).
    # The residuals (m, expm1(−log p_k), k) and the z_loss term are the generic form's.
    # soft_ce_vjp: the generic operations in order on one array (exp, ·coefficient, − y, the top entry mended by
    # scatter_, · scale): the same bits.
    # Under torch.compile, where nothing records (the rules' forward and first backward; a recording caller gets the
    # generic forms, differentiable through their wheres), forms written for inductor's fusion, on any device
    # (docs/performance.md, "Sixth round": 2.8 × F.cross_entropy's time before). soft_ce in three passes, as the
    # native's (amax; Σ e^{z − m} with the maximal terms left out by `z == m`, no expm1, and counted apart; −Σ
    # mul0(y, log p)); its argmax residual is unread, so dropped. soft_ce_vjp in two (Σ y; the gradient, with every
    # maximal entry, found by `z >= m`, mended as the argmax: (S − y_j) − S·s/(1 + s) = S·p_j − y_j), the cotangent
    # inside the terms: applied last, AOTAutograd's partitioner computes the rest in the forward and saves it
    # full-size (with `z == m`, it saves that mask). Each exp or log has one reader: inductor (CPU) writes one read
    # twice to a full-size buffer of its own.
    def _compiled(*arrays: Any) -> bool:
        return is_compiling() and not (torch.is_grad_enabled() and any(a.requires_grad for a in arrays))

    def soft_ce(z: Any, y: Any, z_loss: Any) -> Any:
        if (not isinstance(z_loss, float) or y.shape != z.shape or y.dtype != z.dtype or z.ndim == 0
                or z.numel() == 0):
            return NotImplemented
        if _compiled(z, y):
            m = torch.amax(z, dim=-1, keepdim=True)
            m_safe, is_max = _shift(m), z == m
            rest = torch.where(is_max, 0.0, torch.exp(z - m_safe)).sum(-1, keepdim=True)
            excess = torch.log1p(rest + (is_max.sum(-1, keepdim=True, dtype=z.dtype) - 1.0).clamp(min=0.0))
            loss = -(y * torch.where(y == 0, 0.0, (z - m_safe) - excess)).sum(-1)
            k = torch.argmax(z, dim=-1, keepdim=True)
        # (CPU only: reading whether a sum is NaN would make a GPU wait for the device at every call)
        elif z.device.type != "cpu" or not _in_place(z, y):
            return NotImplemented
        else:
            m, k = torch.max(z, dim=-1, keepdim=True)
            m_safe = _shift(m)
            terms = z - m_safe
            excess = torch.log1p(terms.scatter_(-1, k, -inf).exp_().sum(-1, keepdim=True))
            loss = torch.sub(z, m_safe, out=terms).sub_(excess).mul_(y).sum(-1)
            if bool(torch.isnan(loss).any()):  # again with mul0's zeros (y = 0 beside a −inf or NaN log p)
                log_p = torch.sub(z, m_safe, out=terms).sub_(excess)
                loss = log_p.masked_fill_(y == 0, 0.0).mul_(y).sum(-1)
            del terms
            loss = loss.neg_()
        top = (m - m_safe) - excess  # log p_k
        if z_loss:
            lse = (m - top).squeeze(-1)
            loss = loss + z_loss * lse * lse
        return loss, m, torch.expm1(-top), k

    def soft_ce_vjp(z: Any, y: Any, z_loss: float, m: Any, rest: Any, k: Any, scale: Any) -> Any:
        if y.shape != z.shape or y.dtype != z.dtype or z.ndim == 0 or z.numel() == 0:
            return NotImplemented
        compiled = _compiled(z, y, m, rest, scale)
        if not (compiled or _in_place(z, y, m, rest, scale)):
            return NotImplemented
        total = y.sum(-1, keepdim=True)
        finite = torch.isfinite(m)
        shift = _finite_or_zero(m)
        extra: Any = 0.0
        if z_loss:
            extra = (2.0 * z_loss) * (shift + torch.where(finite, torch.log1p(rest), 0.0))
        others = torch.where(finite, rest / (1.0 + rest), 1.0)
        at_top = (total - (y if compiled else y.gather(-1, k))) - total * others
        if z_loss:
            at_top = at_top + extra * (1.0 - others)
        if compiled:
            grad = torch.exp(z - shift) * (((total + extra) / (1.0 + rest)) * scale) - y * scale
            return torch.where(z >= m, at_top * scale, grad)
        grad = torch.sub(z, shift).exp_().mul_((total + extra) / (1.0 + rest)).sub_(y)
        return grad.scatter_(-1, k, at_top).mul_(scale)

    # probability_ce: −Σ y·clamped_log(clip(p)) with clamped_log's in-place form and the product in its array.
    # probability_ce_vjp: (y / safe)·(−scale), safe = p where the gradient is not 0 (inside the clip, above the
    # floor) and +inf elsewhere, as the generic where: F.threshold (x ≤ floor → inf; NaN stays NaN, hence
    # nan_to_num_), or for eps the clamped array itself (it equals p exactly where p is kept: NaN ≠ NaN too).
    # Integer labels: the gradient's one entry per row scattered into (−scale)/inf (−0, as the generic form's).
    def _kept(p: Any, eps: float | None, floor_p: float) -> Any:  # p where the gradient is not 0, +inf elsewhere
        if eps is None:
            return F.threshold(p, floor_p, inf).nan_to_num_(nan=inf, posinf=inf, neginf=inf)
        safe = torch.clamp(p, eps, 1.0 - eps)
        return safe.masked_fill_(safe != p, inf)

    # Under torch.compile (`_compiled`, see soft_ce): one pass each way, as the native −Σ t·log p's; the clamped log
    # as log(where(p > 0, p, 0)) at least the floor (one where, log read once), −scale inside the gradient's terms.
    def probability_ce(p: Any, y: Any, eps: Any, floor: float) -> Any:
        if (not (eps is None or isinstance(eps, float)) or y.shape != p.shape or y.dtype != p.dtype
                or p.ndim == 0):
            return NotImplemented
        if _compiled(p, y):
            q = p if eps is None else torch.clamp(p, eps, 1.0 - eps)
            return -(torch.log(torch.where(q > 0, q, 0.0)).clamp(min=floor) * y).sum(-1)
        if not _in_place(p, y):
            return NotImplemented
        logs = torch.log(p) if eps is None else torch.clamp(p, eps, 1.0 - eps).log_()
        logs.nan_to_num_(nan=floor, posinf=inf, neginf=floor).clamp_(min=floor)
        return logs.mul_(y).sum(-1).neg_()

    def probability_ce_vjp(p: Any, y: Any, eps: float | None, floor_p: float, scale: Any) -> Any:
        if p.ndim == 0 or p.numel() == 0:
            return NotImplemented
        if y.shape == p.shape and y.dtype == p.dtype and _compiled(p, y, scale):
            kept = p > floor_p if eps is None else (p >= eps) & (p <= 1.0 - eps)
            return (y * -scale) / torch.where(kept, p, inf)
        if not _in_place(p, y, scale):
            return NotImplemented
        minus = scale.neg()
        if y.ndim == p.ndim:
            if y.shape != p.shape or y.dtype != p.dtype:
                return NotImplemented
            safe = _kept(p, eps, floor_p)
            return torch.div(y, safe, out=safe).mul_(minus)
        if y.shape != p.shape[:-1] or y.is_floating_point():
            return NotImplemented
        index = _label_index(y)
        at = minus / _kept(p.gather(-1, index), eps, floor_p)
        grad = torch.empty_like(p).copy_(minus / inf)
        return grad.scatter_(-1, index, at.expand(index.shape))

    # -- sigmoid focal ---------------------------------------------------------------------------------------------
    # The rule's forward (lossport/_cross_entropy._focal_parts: the loss ℓ₀ = u^γ·ce and, when a backward follows,
    # ∂ℓ₀/∂x) in blocks (`_in_blocks`), as the generic form's operations: the twenty-odd passes run on data in cache,
    # where the generic form holds about eight full-size arrays at its peak. Its sign-bit folds are picks:
    # b, s = (1 − n) + (−σ)·y, n − (−σ)·y (n the sign bit, σ the sign) are 1 − y and y + 0 (the `+ 0` turns a label
    # of −0 into +0, as the sums do); with smoothing, b = o + 0·p and s = p + 0·o (o, p the smoothed labels, picked
    # by n; the `0·` keeps the generic form's NaN for a label of ±inf). Declined (`_blockwise`), and for knobs given
    # as arrays.
    def sigmoid_focal(x: Any, y: Any, gamma: Any, smoothing: Any, derivative: bool) -> Any:
        if type(gamma) not in (int, float) or type(smoothing) not in (int, float) or not _blockwise(x, y):
            return NotImplemented
        loss = torch.empty_like(x, memory_format=torch.contiguous_format)
        grad = torch.empty_like(loss) if derivative else None
        bits = float_bits[x.dtype]
        from lossport.backends._torch.blocks import focal_block  # _focal_parts line by line

        def body(arrays: list[Any], outputs: list[Any], scratch: list[Any], masks: list[Any]) -> None:
            focal_block(arrays[0], arrays[1], float(gamma), float(smoothing), bits, outputs[0],
                        outputs[1] if derivative else None, scratch, masks)

        _in_blocks(body, [x, y], [loss] if grad is None else [loss, grad], 5 if derivative or gamma else 4, 2)
        return loss, grad

    def after(x: Any, dependencies: tuple[Any, ...]) -> Any:
        # lossport.linear's chunk loop under torch.compile: inductor runs every chunk's matmul first and fuses all
        # the chunks' elementwise passes into one kernel after them, so every chunk's logits are alive at once
        # (forward at 4096 tokens × 32000 classes: 502 MB, the dense logits' size). A zero computed from the
        # previous chunk's results (all of them: a sum left out of the chain is deferred, its chunk kept alive),
        # added to the matmul's input, makes each matmul wait for the chunk before it. Eager torch runs in order
        # anyway: nothing to add there.
        if not is_compiling():
            return x
        total = torch.sum(dependencies[0])
        for d in dependencies[1:]:
            total = total + torch.sum(d)
        return x + torch.nan_to_num(total * 0.0)

    # lossport.linear's chunk loop in eager torch: each chunk's `d weight` written into one buffer (the pieces and
    # their concatenation were alive at once: 2 × 65 MB at 32000 × 512), and a chunk's logits turned into their
    # cotangent in place (one (N, chunk) array where the generic form holds three). Only on tensors nothing records
    # or wraps: not under autograd recording (double backward), functorch transforms (the rule's vmap, whose
    # batched operands an unbatched buffer cannot take) or torch.compile (inductor writes the concatenation's
    # pieces in place and fuses the elementwise passes itself).
    def softmax_grad_into(z: Any, shift: Any, row: Any, minus: Any, hit: Any, at_label: Any) -> Any:
        operands = (z, shift, row, hit, at_label) if minus is None else (z, shift, row, hit, at_label, minus)
        if not _in_place(*operands):
            return NotImplemented
        z.sub_(shift).exp_().mul_(row)
        if minus is not None:
            z.sub_(minus)
        return torch.where(hit, at_label, z, out=z)

    # sparse CE's backward (lossport/_cross_entropy.py) on one fresh array, the generic form's operations in order:
    # exp(z − shift), · row / Σ (the training forward's Σ, where it saved one), − minus, the label's entry scattered
    # in (the generic where's values): the same bits.
    def softmax_at_vjp(z: Any, shift: Any, total: Any, row: Any, minus: Any, index: Any, at_label: Any) -> Any:
        if not _in_place(*(a for a in (z, shift, total, row, minus, at_label) if isinstance(a, torch.Tensor))):
            return NotImplemented
        grad = torch.sub(z, shift).exp_()
        grad.mul_(row / (grad.sum(-1, keepdim=True) if total is None else total))
        if minus is not None:
            grad.sub_(minus)
        return grad.scatter_(-1, index.long(), at_label.expand(index.shape))

    # lossport.linear's training forward: `total + aᵀ @ b`, each block of tokens' `d weight` added into one V × H
    # buffer by addmm_, with no V × H product per block (under the same conditions as above); under torch.compile
    # by the custom op `addmm_into` (backends/_torch), which inductor runs in place.
    def matmul_add_into(total: Any, a: Any, b: Any) -> Any:
        if not total.dtype == a.dtype == b.dtype:
            return NotImplemented
        recording = torch.is_grad_enabled() and (total.requires_grad or a.requires_grad or b.requires_grad)
        if is_compiling() and not recording:  # (functorch's `wrapped` does not trace)
            from lossport.backends._torch import addmm_into

            addmm_into(total, a, b)
            return total
        if not _in_place(total, a, b):
            return NotImplemented
        return total.addmm_(a.T, b)

    return {
        "after": after, "writable": _in_place, "softmax_grad_into": softmax_grad_into, "in_blocks": in_blocks,
        "softmax_at_vjp": softmax_at_vjp, "matmul_add_into": matmul_add_into, "sigmoid_ce": sigmoid_ce,
        "sigmoid_ce_vjp": sigmoid_ce_vjp, "sigmoid_focal": sigmoid_focal, "sigmoid": torch.sigmoid,
        "huber_error": huber_error, "huber_error_vjp": huber_error_vjp, "smooth_l1_error": smooth_l1_error,
        "kl_divergence": kl_divergence, "probability_ce": probability_ce, "probability_ce_vjp": probability_ce_vjp,
        "soft_ce": soft_ce, "soft_ce_vjp": soft_ce_vjp, "multi_margin": multi_margin,
        "multi_margin_vjp": multi_margin_vjp, "squared_error": squared_error, "squared_error_vjp": squared_error_vjp,
        "clamped_log": clamped_log, "log_sigmoid": log_sigmoid, "log_softmax": log_softmax,
        "log_softmax_at": log_softmax_at, "log_softmax_at_parts": log_softmax_at_parts, "logsumexp": logsumexp,
        "mul0": mul0, "sign": sign, "one_hot": one_hot, "softplus": softplus, "xlogy": xlogy,
    }


native = LazyNative(_native)


def custom_gradient(rule: Any, params: Any, arrays: tuple[Any, ...], xp: Any) -> Any:
    import torch

    if not (torch.is_grad_enabled() and any(a is not None and a.requires_grad for a in arrays)):
        return rule.forward(params, *arrays, xp=xp)[0]  # nothing to differentiate: no Function bookkeeping
    # The Function class lives in a module of its own, imported here: Dynamo cannot trace a class statement,
    # but an import it runs for real, so a first call under torch.compile(fullgraph=True) works too.
    from lossport.backends._torch import LossportRule

    where = layout(arrays)
    return LossportRule.apply(rule, params, xp, where, *(arrays[i] for i in where[1:]))[0]


def returns_float32(x: Any) -> bool:
    """Whether a loss of 16-bit ``x`` returns float32: under ``torch.autocast`` for its device, as torch's losses
    do there (autocast's float32 op list; lossport computes in float32 anyway)."""
    return sys.modules["torch"].is_autocast_enabled(x.device.type)


def is_concrete(x: Any) -> bool:
    torch = sys.modules.get("torch")
    if torch is None:
        return True
    if torch.compiler.is_compiling():
        return False
    # FakeTensors (export, meta tracing) carry no values either, nor do torch.func.vmap's batched tensors (one
    # value per batch entry: reading one raises), however deep under other functorch wrappers (vmap of grad).
    if x.is_meta or type(x).__name__ == "FakeTensor" or _is_fake(x):
        return False
    functorch = torch._C._functorch
    while functorch.is_functorch_wrapped_tensor(x):
        if functorch.is_batchedtensor(x):
            return False
        x = functorch.get_unwrapped(x)
    return True


def _is_fake(x: Any) -> bool:
    """A FakeTensor, or one under functionalization (torch.export, make_fx's fake mode): no values to read."""
    fake = sys.modules.get("torch._subclasses.fake_tensor")
    return fake is not None and fake.is_fake(x)


def is_cpu(x: Any) -> bool:
    return x.device.type == "cpu"


def device(x: Any) -> Any:
    return x.device


def to_numpy(x: Any) -> Any:
    import torch

    x = x.detach().cpu()
    if x.dtype == torch.bfloat16:
        x = x.float()
    return x.numpy()
