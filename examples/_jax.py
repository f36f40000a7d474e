"""The JAX + optax training loop of the examples: an MLP as a list of ``(W, b)``, ``optax.adam``, a lossport loss."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import lossport
import numpy as np
import optax

from _common import Demo, batches, data, metric, targets


def init(demo: Demo, inputs: int, key: jax.Array) -> list[tuple[jax.Array, jax.Array]]:
    """He-uniform weights, zero biases (torch's nn.Linear draws from a similar uniform)."""
    params = []
    for width in (*demo.hidden, demo.outputs):
        key, sub = jax.random.split(key)
        bound = jnp.sqrt(6.0 / inputs) / jnp.sqrt(2.0)
        params.append((jax.random.uniform(sub, (inputs, width), minval=-bound, maxval=bound), jnp.zeros(width)))
        inputs = width
    return params


def forward(params: list, demo: Demo, loss: str, x: jax.Array) -> jax.Array:
    for w, b in params[:-1]:
        x = jax.nn.relu(x @ w + b)
    w, b = params[-1]
    out = x @ w + b
    if demo.outputs == 1:
        out = out[:, 0]
    return jax.nn.sigmoid(out) if loss == "binary_cross_entropy" else out


def train(demo: Demo, quick: bool = False) -> dict[str, dict[str, list[float]]]:
    """Train one fresh network per loss of the demo, one jitted step per loss."""
    x_train, y_train, x_test, y_test = data(demo, quick)
    history = {}
    for loss, knobs in demo.losses.items():
        fn = getattr(lossport, loss)
        params = init(demo, x_train.shape[1], jax.random.PRNGKey(0))
        opt = optax.adam(demo.learning_rate)
        state = opt.init(params)
        y_all = targets(demo, loss, y_train)

        @jax.jit
        def step(params, state, x, y, fn=fn, loss=loss, knobs=knobs, opt=opt):
            value, grads = jax.value_and_grad(lambda p: fn(forward(p, demo, loss, x), y, **knobs))(params)
            updates, state = opt.update(grads, state, params)
            return optax.apply_updates(params, updates), state, value

        h: dict[str, list[float]] = {"loss": [], "metric": []}
        for epoch in range(demo.quick_epochs if quick else demo.epochs):
            total, seen = 0.0, 0
            for idx in batches(len(x_train), epoch):
                params, state, value = step(params, state, x_train[idx], y_all[idx])
                total += float(value) * len(idx)
                seen += len(idx)
            h["loss"].append(total / seen)
            out = np.asarray(forward(params, demo, loss, jnp.asarray(x_test)))
            h["metric"].append(metric(demo, loss, out, y_test))
        history[loss] = h
    return history
