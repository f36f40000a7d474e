"""The PyTorch training loop of the examples: an ``nn.Sequential`` MLP, ``torch.optim.Adam``, a lossport loss."""

from __future__ import annotations

import lossport
import numpy as np
import torch

from _common import Demo, batches, data, metric, targets


def model(demo: Demo, inputs: int) -> torch.nn.Module:
    layers: list[torch.nn.Module] = []
    for width in demo.hidden:
        layers += [torch.nn.Linear(inputs, width), torch.nn.ReLU()]
        inputs = width
    layers.append(torch.nn.Linear(inputs, demo.outputs))
    return torch.nn.Sequential(*layers)


def forward(net: torch.nn.Module, demo: Demo, loss: str, x: torch.Tensor) -> torch.Tensor:
    """The network's output as the loss takes it: a probability for BCE, one score per sample for 1 output."""
    out = net(x)
    if demo.outputs == 1:
        out = out[:, 0]
    return torch.sigmoid(out) if loss == "binary_cross_entropy" else out


def train(demo: Demo, quick: bool = False) -> dict[str, dict[str, list[float]]]:
    """Train one fresh network per loss of the demo; the history of each (see ``_common.report``).

    On one intra-op thread: a network this small gains nothing from more, and on a busy machine torch's threads
    wait for each other (a full run took minutes instead of seconds on two shared cores).
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _train(demo, quick)
    finally:
        torch.set_num_threads(threads)


def _train(demo: Demo, quick: bool) -> dict[str, dict[str, list[float]]]:
    x_train, y_train, x_test, y_test = data(demo, quick)
    history = {}
    for loss, knobs in demo.losses.items():
        torch.manual_seed(0)
        net = model(demo, x_train.shape[1])
        opt = torch.optim.Adam(net.parameters(), lr=demo.learning_rate)
        fn = getattr(lossport, loss)
        x, y = torch.from_numpy(x_train), torch.from_numpy(targets(demo, loss, y_train))
        h: dict[str, list[float]] = {"loss": [], "metric": []}
        for epoch in range(demo.quick_epochs if quick else demo.epochs):
            total, seen = 0.0, 0
            for idx in batches(len(x), epoch):
                i = torch.from_numpy(idx)
                value = fn(forward(net, demo, loss, x[i]), y[i], **knobs)
                opt.zero_grad()
                value.backward()
                opt.step()
                total += value.item() * len(idx)
                seen += len(idx)
            h["loss"].append(total / seen)
            with torch.no_grad():
                out = forward(net, demo, loss, torch.from_numpy(x_test)).numpy()
            h["metric"].append(metric(demo, loss, np.asarray(out), y_test))
        history[loss] = h
    return history
