"""The ``torch.autograd.Function`` that runs every lossport rule (lossport/_gradients.py).

Imported by the torch adapter's ``custom_gradient`` on first use, never before the user has imported torch.
New-style (``setup_context``), so that ``torch.func`` transforms and ``vmap`` (``generate_vmap_rule``) work;
Dynamo traces it under ``torch.compile(fullgraph=True)``. The forward runs without autograd recording, so nothing
but the inputs and the rule's residuals is kept for the backward. The backward is ordinary torch code: with
``create_graph=True`` autograd records it, and second derivatives follow.
"""

from __future__ import annotations

from typing import Any

import torch
from lossport.backends import unpack

__all__ = ["LossportRule", "addmm_into"]


# lossport.linear's training forward under torch.compile: each block of tokens' `d weight` added into one V × H
# sum. As an op that mutates its input, inductor writes it in place (its reinplacing pass on mutating custom ops),
# where `total + aᵀ @ b` allocates a second V × H sum per block (the compiled forward held 2 × 65 MB at 32000 × 512).
@torch.library.custom_op("lossport::addmm_into", mutates_args=("total",))
def addmm_into(total: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> None:
    total.addmm_(a.T, b)


@addmm_into.register_fake
def _(total: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> None:
    return None


class LossportRule(torch.autograd.Function):
    generate_vmap_rule = True

    @staticmethod
    def forward(rule: Any, params: Any, xp: Any, slots: tuple[int, ...], *present: Any) -> Any:
        # A backward follows: the rule's training forward, where it has one (under torch.compile only where the
        # rule says it pays there: Rule.train_compiled)
        compiled = torch.compiler.is_compiling()
        run = rule.train if rule.train is not None and (rule.train_compiled or not compiled) else rule.forward
        value, residuals = run(params, *unpack(slots, present), xp=xp)
        # A residual that is the value itself (a per-row loss under reduction="none") is copied: marking
        # it non-differentiable would mark the value too.
        return (value, *(r.clone() if r is value else r for r in residuals))

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[Any, ...], output: tuple[Any, ...]) -> None:
        ctx.rule, ctx.params, ctx.xp, ctx.slots = inputs[:4]
        ctx.save_for_backward(*inputs[4:], *output[1:])
        ctx.mark_non_differentiable(*output[1:])

    @staticmethod
    def backward(ctx: Any, cotangent: Any, *_: Any) -> tuple[Any, ...]:
        slots, saved = ctx.slots, ctx.saved_tensors
        count = len(slots) - 1
        arrays = unpack(slots, saved[:count])
        residuals = saved[count:]
        if torch.is_grad_enabled() and residuals:
            # create_graph=True: the saved residuals are constants to autograd, so recompute them from the
            # inputs for second derivatives to flow through them (only then: it costs a forward).
            residuals = ctx.rule.forward(ctx.params, *arrays, xp=ctx.xp)[1]
        needs = unpack(slots, ctx.needs_input_grad[4:], fill=False)
        grads = ctx.rule.backward(ctx.params, arrays, residuals, cotangent, needs, xp=ctx.xp)
        return (None, None, None, None, *(grads[i] for i in slots[1:]))

