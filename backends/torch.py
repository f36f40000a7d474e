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
        if is_compiling():
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
        if is_compiling():
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

    def log_softmax_at(x: Any, indices: Any, *, axis: int = -1) -> Any:
        # The picked index is known, so it is summed apart with no argmax (see _numerics._log_softmax_at_generic).
        index = indices.unsqueeze(axis)
        if index.dtype != torch.int64:
            index = index.long()
        if is_compiling():
            # Inductor fuses the generic form's where on x == m and its two sums into the pass after the max:
            # 1.04 x F.cross_entropy compiled, against 1.21 x for a where on the label's index (formulations.py).
            m, excess = _excess_fused(x, axis)
            return ((x.gather(axis, index) - torch.where(m == -inf, 0.0, m)) - excess).squeeze(axis)
        m_safe = _finite_or_zero(torch.amax(x, dim=axis, keepdim=True))
        terms = x - m_safe
        terms.scatter_(axis, index, -inf)
        others = terms.exp_().sum(axis, keepdim=True)
        shifted = x.gather(axis, index) - m_safe
        excess = torch.log1p((others + torch.expm1(shifted)).clamp(min=0.0))
        return (shifted - excess).squeeze(axis)

    def softplus(x: Any) -> Any:
        # F.softplus returns x itself above `threshold`; the default 20 drops exp(-20) = 2e-9, which float64
        # resolves. Above 40, exp(-x) is below half an ulp of x in float64 too, so the result is exact.
        return F.softplus(x, beta=1.0, threshold=40.0)

    def log_sigmoid(x: Any) -> Any:
        return F.logsigmoid(x)  # min(x, 0) - log1p(exp(-|x|))

    def sign(x: Any) -> Any:
        # torch.sign(NaN) is 0; NaN is kept by a where (array-api-compat's masked assignment breaks torch.func.vmap)
        return torch.where(torch.isnan(x), x, torch.sign(x)) if x.dtype.is_floating_point else torch.sign(x)

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

    # Sigmoid cross-entropy (_numerics.sigmoid_ce: c·x + k·log1p(e^{−|x|}), and c − k·copysign(σ(−|x|), x)·g), in
    # place on its own temporaries when nothing records them (the rule's forward and first backward run with grad
    # off): two arrays live at once, as F.binary_cross_entropy_with_logits, instead of five. Elsewhere (autograd
    # recording: double backward, the tests' composition; torch.compile, whose inductor fuses the generic form into
    # one pass; pos_weight, smoothing or broadcast labels) NotImplemented hands the call to the generic form. Nor on
    # functorch's wrapped tensors: under torch.func.vmap over one input only, a temporary made from the other is
    # unbatched, and an in-place operation cannot take a batched operand (sigmoid_ce over the labels raised).
    def _in_place(*arrays: Any) -> bool:
        wrapped = torch._C._functorch.is_functorch_wrapped_tensor
        return not (is_compiling() or (torch.is_grad_enabled() and any(a.requires_grad for a in arrays))
                    or any(wrapped(a) for a in arrays))

    def _coefficient(x: Any, y: Any) -> Any:  # [x's sign bit clear] − y, the w = 1 case's c
        # (`neg(y).add_(mask)` would be one pass fewer, but adding a bool tensor allocates a float copy of it)
        return torch.signbit(x).logical_not_().to(x.dtype).sub_(y)

    def sigmoid_ce(x: Any, y: Any, w: Any, smoothing: float) -> Any:
        if w is not None or smoothing or y.shape != x.shape or not _in_place(x, y):
            return NotImplemented  # _numerics' generic form
        c = _coefficient(x, y)
        zero = c == 0
        c.mul_(x).masked_fill_(zero, 0.0)
        del zero
        return c.add_(x.abs().neg_().exp_().log1p_())

    def sigmoid_ce_vjp(x: Any, y: Any, w: Any, smoothing: float, scale: Any) -> Any:
        if w is not None or smoothing or y.shape != x.shape or not _in_place(x, y, scale):
            return NotImplemented
        small = x.abs().neg_().sigmoid_().copysign_(x)
        return _coefficient(x, y).sub_(small).mul_(scale)

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

    return {
        "after": after,
        "writable": _in_place,
        "softmax_grad_into": softmax_grad_into,
        "sigmoid_ce": sigmoid_ce,
        "sigmoid_ce_vjp": sigmoid_ce_vjp,
        "sigmoid": torch.sigmoid,
        "huber_error": huber_error,
        "huber_error_vjp": huber_error_vjp,
        "kl_divergence": kl_divergence,
        "multi_margin": multi_margin,
        "multi_margin_vjp": multi_margin_vjp,
        "squared_error": squared_error,
        "squared_error_vjp": squared_error_vjp,
        "clamped_log": clamped_log,
        "log_sigmoid": log_sigmoid,
        "log_softmax": log_softmax,
        "log_softmax_at": log_softmax_at,
        "logsumexp": logsumexp,
        "mul0": mul0,
        "sign": sign,
        "one_hot": one_hot,
        "softplus": softplus,
        "xlogy": xlogy,
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
