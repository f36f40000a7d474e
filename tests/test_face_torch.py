"""lossport.torch: one ``torch.nn.Module`` per loss, generated from the registry (issue 8).

Knobs at construction, data at call; array knobs are buffers; the modules run under ``torch.compile(fullgraph=True)``,
``torch.func`` and inside a ``DistributedDataParallel`` model (two gloo processes on the CPU); under ``torch.autocast``
they return float32, as torch's own losses do.
"""

from __future__ import annotations

import inspect
import os
import pathlib
import re
import socket
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from lossport.backends.parity.cases import CASES, cases_for

import lossport
from lossport._registry import LOSSES

torch = pytest.importorskip("torch")
F = torch.nn.functional
lt = pytest.importorskip("lossport.torch")

ROOT = pathlib.Path(lossport.__file__).resolve().parents[1]


def _tensor(x: object) -> object:
    if isinstance(x, list):
        return [_tensor(v) for v in x]
    if isinstance(x, np.ndarray):
        return torch.from_numpy(x.astype(np.float32) if x.dtype.kind == "f" else x)
    return x


def _case(loss: str) -> tuple[list, dict]:
    case = cases_for(loss)[0]
    return [_tensor(a) for a in case.args], {k: _tensor(v) for k, v in case.kwargs.items()}


def _close(a: object, b: object) -> None:
    assert a.dtype == b.dtype and a.shape == b.shape, (a.dtype, b.dtype, a.shape, b.shape)
    np.testing.assert_allclose(a.detach().double().numpy(), b.detach().double().numpy(), rtol=1e-5, atol=1e-6)


# -- the classes and their names -------------------------------------------------------------------------------


def test_every_loss_has_a_class_with_a_stable_name() -> None:
    assert set(lt.CLASS_NAMES) == set(LOSSES)
    assert len(set(lt.CLASS_NAMES.values())) == len(lt.CLASS_NAMES)
    expected = {
        "sparse_softmax_cross_entropy": "SparseSoftmaxCrossEntropy", "kl_divergence": "KLDivergence",
        "ctc": "CTC", "nll": "NLL", "poisson_nll": "PoissonNLL", "smooth_l1": "SmoothL1", "ntxent": "NTXent",
        "binary_cross_entropy_with_logits": "BinaryCrossEntropyWithLogits", "mean_squared_error": "MeanSquaredError",
        "js_divergence": "JSDivergence", "l2_penalty": "L2Penalty", "poly1_cross_entropy": "Poly1CrossEntropy",
    }
    for loss, name in expected.items():
        if loss in LOSSES:
            assert lt.CLASS_NAMES[loss] == name
    for loss, name in lt.CLASS_NAMES.items():
        cls = getattr(lt, name)
        assert issubclass(cls, torch.nn.Module) and cls.loss_name == loss and cls.__module__ == "lossport.torch"
        assert name in lt.__all__ and name in dir(lt)
    assert lt.__all__ == sorted(lt.__all__)
    from lossport.torch import Huber

    assert Huber is lt.Huber


def test_docs_list_every_class() -> None:
    """docs/faces.md's table has a row for every loss of the catalog, with its class name."""
    from lossport._registry import CATALOG

    text = (ROOT / "docs" / "faces.md").read_text()
    for loss in CATALOG:
        assert f"| `{loss}` | `{lt.class_name(loss)}` |" in text, loss


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_constructor_takes_the_functions_knobs(loss: str) -> None:
    cls = getattr(lt, lt.CLASS_NAMES[loss])
    fn_params = inspect.signature(getattr(lossport, loss)).parameters
    knobs = {n: p.default for n, p in fn_params.items() if p.kind is p.KEYWORD_ONLY and n not in ("weights", "where", "xp")}
    init = inspect.signature(cls).parameters
    assert {n: p.default for n, p in init.items()} == knobs
    assert all(p.kind is p.KEYWORD_ONLY for p in init.values())
    # No knob shadows an nn.Module attribute (module.eval, module.type, ...).
    assert not set(knobs) & set(dir(torch.nn.Module))
    data = [n for n, p in fn_params.items() if p.kind is p.POSITIONAL_ONLY]
    assert list(inspect.signature(cls().forward).parameters)[: len(data)] == data
    assert cls.__doc__ and f"lossport.{loss}" in cls.__doc__


@pytest.mark.parametrize("loss", sorted(set(CASES) & set(LOSSES)))
def test_module_computes_the_function(loss: str) -> None:
    args, kwargs = _case(loss)
    module = getattr(lt, lt.CLASS_NAMES[loss])(**kwargs)
    _close(module(*args), getattr(lossport, loss)(*args, **kwargs))
    if "reduction" in module.knob_defaults:
        none = getattr(lt, lt.CLASS_NAMES[loss])(**kwargs, reduction="none")(*args)
        _close(none, getattr(lossport, loss)(*args, **kwargs, reduction="none"))
        weights = torch.linspace(0.5, 2.0, none.numel()).reshape(none.shape)
        where = torch.arange(none.numel()).reshape(none.shape) % 3 != 0
        try:
            expected = getattr(lossport, loss)(*args, **kwargs, weights=weights, where=where)
        except ValueError as e:  # ranking_softmax: `where` has the scores' shape, not the per-list loss's
            with pytest.raises(ValueError, match=re.escape(str(e))):
                module(*args, weights=weights, where=where)
            return
        _close(module(*args, weights=weights, where=where), expected)


def test_penalty_takes_model_parameters() -> None:
    net = torch.nn.Linear(3, 2)
    value = lt.L2Penalty(scale=0.5)(net.parameters())
    _close(value, lossport.l2_penalty(list(net.parameters()), scale=0.5))
    with pytest.raises(TypeError, match="weights"):
        lt.L1Penalty()(list(net.parameters()), weights=torch.ones(1))


def test_wrong_knob_and_wrong_data_count_raise() -> None:
    with pytest.raises(TypeError, match="deltta"):
        lt.Huber(deltta=2.0)
    with pytest.raises(TypeError, match="2 data argument"):
        lt.Huber()(torch.ones(3))
    with pytest.raises(TypeError):
        lt.Huber(2.0)  # knobs are keyword-only


# -- buffers, repr -----------------------------------------------------------------------------------------------


def test_array_knobs_are_buffers() -> None:
    w = torch.tensor([1.0, 2.0, 0.5])
    module = lt.SparseSoftmaxCrossEntropy(label_smoothing=0.1, class_weights=w)
    assert dict(module.named_buffers()).keys() == {"class_weights"}
    assert torch.equal(module.state_dict()["class_weights"], w)
    other = lt.SparseSoftmaxCrossEntropy(label_smoothing=0.1, class_weights=torch.ones(3))
    other.load_state_dict(module.state_dict())
    logits, labels = torch.randn(5, 3), torch.tensor([0, 1, 2, 1, 0])
    _close(other(logits, labels), lossport.sparse_softmax_cross_entropy(logits, labels, label_smoothing=0.1,
                                                                        class_weights=w))
    double = module.to(torch.float64)
    assert double.class_weights.dtype == torch.float64
    assert double(logits.double(), labels).dtype == torch.float64
    # A list or NumPy array becomes a tensor buffer too; scalars of an `Array | float` knob stay plain attributes.
    assert isinstance(lt.MultiMargin(class_weights=[1.0, 2.0]).class_weights, torch.Tensor)
    assert lt.BinaryCrossEntropyWithLogits(pos_weight=2.0).pos_weight == 2.0
    assert dict(lt.BinaryCrossEntropyWithLogits(pos_weight=2.0).named_buffers()) == {}


@pytest.mark.skipif("sigmoid_contrastive" not in LOSSES, reason="sigmoid_contrastive is not built yet")
def test_a_parameter_knob_is_learnable() -> None:
    temperature = torch.nn.Parameter(torch.tensor(10.0))
    module = lt.SigmoidContrastive(temperature=temperature, bias=torch.tensor(-10.0))
    assert [n for n, _ in module.named_parameters()] == ["temperature"]
    assert [n for n, _ in module.named_buffers()] == ["bias"]
    a, b = torch.randn(4, 3), torch.randn(4, 3)
    module(a, b).backward()
    assert temperature.grad is not None and torch.isfinite(temperature.grad)


def test_any_numeric_knob_may_be_a_parameter() -> None:
    """Every numeric knob takes a 0-D tensor (issue 10): a Huber ``delta`` learned as a parameter. By hand, with
    e = (0.3, −2.5, 3) and δ = 0.7: ℓ = (0.045 + 0.7·(2.5 − 0.35) + 0.7·(3 − 0.35)) / 3 = 1.135, and
    ∂ℓ/∂δ = (0 + (2.5 − 0.7) + (3 − 0.7)) / 3 = 4.1 / 3."""
    delta = torch.nn.Parameter(torch.tensor(0.7, dtype=torch.float64))
    module = lt.Huber(delta=delta)
    assert [n for n, _ in module.named_parameters()] == ["delta"]
    p = torch.tensor([0.3, -2.0, 4.0], dtype=torch.float64)
    t = torch.tensor([0.0, 0.5, 1.0], dtype=torch.float64)
    loss = module(p, t)
    loss.backward()
    assert loss.item() == pytest.approx(1.135, rel=1e-14)
    assert delta.grad.item() == pytest.approx(4.1 / 3, rel=1e-14)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_buffers_follow_to_device() -> None:
    module = lt.SparseSoftmaxCrossEntropy(class_weights=torch.tensor([1.0, 2.0, 0.5])).to("cuda")
    assert module.class_weights.device.type == "cuda"
    logits, labels = torch.randn(4, 3, device="cuda"), torch.tensor([0, 1, 2, 1], device="cuda")
    assert module(logits, labels).device.type == "cuda"


def test_extra_repr_shows_the_changed_knobs() -> None:
    assert repr(lt.Huber()) == "Huber()"
    assert repr(lt.Huber(delta=2.0, reduction="sum")) == "Huber(delta=2.0, reduction='sum')"
    text = repr(lt.SparseSoftmaxCrossEntropy(label_smoothing=0.1, class_weights=torch.ones(3)))
    assert text == ("SparseSoftmaxCrossEntropy(class_weights=Tensor(shape=(3,), dtype=torch.float32), "
                    "label_smoothing=0.1)")


# -- autocast ----------------------------------------------------------------------------------------------------

# lossport loss and knobs → torch's own loss on the same inputs: under autocast torch returns float32 for each.
_AUTOCAST = {
    "sparse_softmax_cross_entropy": (
        {"label_smoothing": 0.1}, lambda x, y: F.cross_entropy(x, y, label_smoothing=0.1), "labels"),
    "nll": ({}, lambda x, y: F.nll_loss(x, y), "labels"),
    "mean_squared_error": ({}, F.mse_loss, "targets"),
    "mean_absolute_error": ({}, F.l1_loss, "targets"),
    "huber": ({"delta": 0.5}, lambda x, t: F.huber_loss(x, t, delta=0.5), "targets"),
    "smooth_l1": ({}, F.smooth_l1_loss, "targets"),
    "binary_cross_entropy_with_logits": ({}, F.binary_cross_entropy_with_logits, "probabilities"),
    "kl_divergence": ({}, lambda x, t: F.kl_div(x, t, reduction="batchmean"), "distribution"),
    "soft_margin": ({}, F.soft_margin_loss, "signs"),
}


def _autocast_inputs(kind: str) -> tuple[object, object]:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(6, 4, generator=g)
    if kind == "labels":
        return x, torch.randint(0, 4, (6,), generator=g)
    t = torch.randn(6, 4, generator=g)
    other = {"targets": t, "probabilities": torch.sigmoid(t), "distribution": torch.softmax(t, -1),
             "signs": torch.where(t > 0, 1.0, -1.0)}[kind]
    return x, other


@pytest.mark.parametrize("loss", sorted(_AUTOCAST))
@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_autocast_returns_what_torch_returns(loss: str, dtype: str) -> None:
    knobs, native, kind = _AUTOCAST[loss]
    x, other = _autocast_inputs(kind)
    if loss in ("nll", "kl_divergence"):
        x = torch.log_softmax(x, -1)
    low = getattr(torch, dtype)
    module = getattr(lt, lt.CLASS_NAMES[loss])(**knobs)
    x_low = x.to(low)  # a low-precision activation, as a Linear layer under autocast produces
    with torch.autocast("cpu", dtype=low):
        theirs = native(x_low, other)
        ours = module(x_low, other)
    assert theirs.dtype == torch.float32
    assert ours.dtype == theirs.dtype
    np.testing.assert_allclose(ours.double().numpy(), theirs.double().numpy(), rtol=2e-5, atol=1e-6)
    # The function itself too (its dtype only: autocast still reaches its inner matmuls, which the module turns off).
    with torch.autocast("cpu", dtype=low):
        function = getattr(lossport, loss)(x_low, other, **knobs)
    assert function.dtype == torch.float32
    np.testing.assert_allclose(function.double().numpy(), theirs.double().numpy(), rtol=2e-5, atol=1e-6)
    # Outside autocast the contract holds: computed in float32, returned in the input's dtype.
    other_low = other.to(low) if other.is_floating_point() else other
    assert module(x_low, other_low).dtype == low
    assert getattr(lossport, loss)(x_low, other_low, **knobs).dtype == low


def test_autocast_applies_to_every_loss_and_keeps_float64() -> None:
    args, kwargs = _case("dice")
    module = lt.Dice(**kwargs)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert module(*(a.bfloat16() for a in args)).dtype == torch.float32
        assert module(*(a.double() for a in args)).dtype == torch.float64
        weights = torch.ones(2, 2, dtype=torch.bfloat16)
        assert module(*(a.bfloat16() for a in args), weights=weights).dtype == torch.float32


# -- torch.compile, torch.func ---------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("loss", ["sparse_softmax_cross_entropy", "huber"])
def test_compile_fullgraph(loss: str) -> None:
    torch._dynamo.reset()
    args, kwargs = _case(loss)
    if loss == "sparse_softmax_cross_entropy":
        kwargs = {"label_smoothing": 0.1, "class_weights": torch.linspace(0.5, 2.0, args[0].shape[-1])}
    module = getattr(lt, lt.CLASS_NAMES[loss])(**kwargs)
    compiled = torch.compile(module, fullgraph=True)
    x = args[0].clone().requires_grad_(True)
    value = compiled(x, *args[1:])
    (grad,) = torch.autograd.grad(value, x)
    x_ref = args[0].clone().requires_grad_(True)
    expected = module(x_ref, *args[1:])
    (expected_grad,) = torch.autograd.grad(expected, x_ref)
    _close(value, expected)
    _close(grad, expected_grad)


def test_torch_func() -> None:
    from torch.func import functional_call, grad, vmap

    logits, labels = torch.randn(5, 3), torch.tensor([0, 1, 2, 1, 0])
    module = lt.SparseSoftmaxCrossEntropy(label_smoothing=0.1, class_weights=torch.ones(3))
    w = torch.tensor([1.0, 2.0, 0.5])
    # functional_call swaps the buffer in; grad differentiates through the module.
    g = grad(lambda z: functional_call(module, {"class_weights": w}, (z, labels)))(logits)
    expected = grad(lambda z: lossport.sparse_softmax_cross_entropy(z, labels, label_smoothing=0.1,
                                                                    class_weights=w))(logits)
    _close(g, expected)
    huber = lt.Huber(delta=0.5, reduction="sum")
    p, t = torch.randn(4, 6), torch.randn(4, 6)
    per_row = vmap(huber)(p, t)
    _close(per_row, lossport.huber(p, t, delta=0.5, reduction="none").sum(-1))


# -- DistributedDataParallel, two gloo processes on the CPU -----------------------------------------------------

_DDP_SCRIPT = textwrap.dedent(
    """
    import copy, os
    import torch, torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel
    import lossport.torch as lt

    rank = int(os.environ["RANK"])
    dist.init_process_group("gloo", rank=rank, world_size=2)
    torch.manual_seed(0)

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.body = torch.nn.Linear(4, 3)
            self.criterion = lt.SparseSoftmaxCrossEntropy(
                label_smoothing=0.1, class_weights=torch.tensor([1.0, 2.0, 0.5]))

        def forward(self, x, y):
            return self.criterion(self.body(x), y)

    net = Net()
    reference = copy.deepcopy(net)
    ddp = DistributedDataParallel(net)
    assert "module.criterion.class_weights" in ddp.state_dict()
    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(3, 8, 4, generator=g), torch.randint(0, 3, (3, 8), generator=g)
    opt = torch.optim.SGD(ddp.parameters(), lr=0.5)
    for step in range(3):
        mine = slice(4 * rank, 4 * rank + 4)
        opt.zero_grad()
        ddp(x[step, mine], y[step, mine]).backward()
        opt.step()
    # Without DDP: the mean of the two shards' losses, which DDP's gradient averaging computes.
    ref_opt = torch.optim.SGD(reference.parameters(), lr=0.5)
    for step in range(3):
        ref_opt.zero_grad()
        ((reference(x[step, :4], y[step, :4]) + reference(x[step, 4:], y[step, 4:])) / 2).backward()
        ref_opt.step()
    for a, b in zip(net.parameters(), reference.parameters()):
        torch.testing.assert_close(a, b)
    dist.destroy_process_group()
    print("DDP-OK", rank)
    """
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_distributed_data_parallel_gloo(tmp_path: pathlib.Path) -> None:
    if not torch.distributed.is_available() or not torch.distributed.is_gloo_available():
        pytest.skip("torch.distributed with gloo is not available")
    script = tmp_path / "ddp.py"
    script.write_text(_DDP_SCRIPT)
    env = {**os.environ, "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(_free_port()), "WORLD_SIZE": "2",
           "GLOO_SOCKET_IFNAME": "lo", "OMP_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    procs = [
        subprocess.Popen([sys.executable, str(script)], env={**env, "RANK": str(rank)},
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for rank in range(2)
    ]
    outs = []
    for p in procs:
        try:
            outs.append(p.communicate(timeout=120))
        except subprocess.TimeoutExpired:
            for q in procs:
                q.kill()
            raise
    for rank, (p, (out, err)) in enumerate(zip(procs, outs)):
        assert p.returncode == 0 and f"DDP-OK {rank}" in out, err[-3000:]


# -- imports -------------------------------------------------------------------------------------------------


def test_imports_torch_only_when_asked() -> None:
    code = (
        "import sys, lossport; assert 'torch' not in sys.modules; "
        "import lossport.torch; assert 'torch' in sys.modules; "
        "print(sorted(m for m in ('keras', 'tensorflow', 'jax') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])})
    assert out.stdout.strip() == "[]"
