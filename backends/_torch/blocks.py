"""The torch adapter's sigmoid focal block (backends/torch.py, ``sigmoid_focal``): lossport/_cross_entropy.py's
``_focal_parts`` on one block of a CPU tensor, every pass into the block's scratch arrays or outputs.

Imported by the adapter's native table, after torch.
"""

from __future__ import annotations

from typing import Any

import torch

__all__ = ["focal_block"]


def focal_block(x: Any, y: Any, gamma: float, smoothing: float, bits: tuple[Any, ...],
                loss: Any, grad: Any, scratch: list[Any], masks: list[Any]) -> None:
    # _focal_parts line by line (the comments name its variables), into `loss` and `grad` (which holds b until
    # the end); with γ = 0, ce is the loss. `_i` names a float array's bits.
    int_type, shift, magnitude, one, _ = bits
    sign, hard = masks
    a, b, c, d, *rest = scratch
    focal = gamma != 0
    big = grad if grad is not None else rest[0] if focal else loss
    spare = a if grad is None else rest[0]  # free until `ratio`
    a_i, b_i, c_i, big_i, spare_i = (t.view(int_type) for t in (a, b, c, big, spare))
    torch.bitwise_right_shift(x.view(int_type), shift, out=sign)  # all ones where the sign bit n is set
    if smoothing == 0:
        torch.add(y, 0.0, out=a)  # n − (−σ)·y at n = 1, (1 − n) + (−σ)·y at n = 0: y + 0
        torch.neg(y, out=b).add_(1.0)  # 1 − y
    else:
        torch.mul(y, 1.0 - smoothing, out=a).add_(0.5 * smoothing)  # positive
        torch.neg(y, out=b).add_(1.0).mul_(1.0 - smoothing).add_(0.5 * smoothing)  # other
    flips = torch.bitwise_xor(a_i, b_i, out=c_i).bitwise_and_(sign)
    torch.bitwise_xor(b_i, flips, out=big_i)  # the weight b: array `a` where n is set, else array `b`
    torch.bitwise_xor(a_i, flips, out=b_i)  # s, into `b`: array `b` where n is set, else array `a`
    if smoothing != 0:  # b = side·other + negative·positive = (the pick) + 0·(the other), s likewise
        big.add_(torch.mul(b, 0.0, out=a))
        b.add_(torch.mul(big, 0.0, out=a))
    diff: Any = torch.sub(big, b, out=a) if grad is not None and focal else None  # σ·(1 − 2y)
    minus_abs = torch.abs(x, out=c).neg_()
    e = torch.exp(minus_abs, out=d)
    small_e = b.mul_(e)
    tail = e.log1p_()  # e is not read again
    # hard = b == 0 (±0): all ones where the bits but the sign are 0; `sign` becomes its complement
    torch.bitwise_and(big_i, magnitude, out=hard).sub_(1).bitwise_right_shift_(shift)
    keep = torch.bitwise_not(hard, out=sign)
    log_v: Any = None
    ratio: Any = None
    if focal:
        v = torch.add(big, small_e, out=loss)
        v_i = v.view(int_type)  # where(hard, 1, b + s·e), then log: +0 where hard
        v_i.bitwise_xor_(torch.bitwise_xor(v_i, one, out=spare_i).bitwise_and_(hard))
        log_v = v.log_()
        if grad is not None:  # e / (b + s·e) = exp(where(hard, 0, −|x|) − log_v)
            ratio = torch.sub(minus_abs, log_v, out=rest[0])
            ratio.view(int_type).bitwise_and_(keep)
            ratio.exp_()
        log_v.view(int_type).bitwise_or_(hard.bitwise_and_(c_i))  # where(hard, −|x|, log_v): log_v is +0 there
    slope: Any = torch.sub(big, small_e, out=small_e) if grad is not None else None  # σ·(p − y)·(1 + e)
    c_i.bitwise_and_(keep)
    masked = minus_abs  # where(hard, 0, −|x|)
    ce = torch.sub(tail, big.mul_(masked), out=masked if focal else loss)
    power: Any = None if log_v is None else log_v.sub_(tail).mul_(gamma).exp_()  # u^γ = exp(γ·(log_v − l))
    if grad is None:
        if power is not None:
            power.mul_(ce)  # ℓ₀ = ce·u^γ, in `loss`
        return
    factor = tail.neg_().exp_().copysign_(x)  # σ / (1 + e)
    if power is None:
        torch.mul(slope, factor, out=grad)
        return
    slope.mul_(power)
    value = power.mul_(ce)  # ℓ₀, in `loss`
    bend = torch.mul(value, gamma, out=ce).mul_(ratio).mul_(diff)
    torch.add(slope, bend, out=grad).mul_(factor)
