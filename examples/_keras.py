"""The Keras training loop of the examples: ``keras.Sequential``, ``model.fit``, a lossport.keras loss class.

Runs under any Keras backend (``KERAS_BACKEND=jax``, ``torch`` or ``tensorflow``, set before Keras is imported).
The lossport.keras classes take Keras's argument order, ``loss(y_true, y_pred)``.
"""

from __future__ import annotations

import keras
import lossport.keras
import numpy as np

import _common
from _common import Demo, data, metric, targets


def model(demo: Demo, inputs: int, loss: str) -> keras.Model:
    layers: list = [keras.Input((inputs,))]
    layers += [keras.layers.Dense(width, activation="relu") for width in demo.hidden]
    activation = "sigmoid" if loss == "binary_cross_entropy" else None
    layers.append(keras.layers.Dense(demo.outputs, activation=activation))
    return keras.Sequential(layers)


class _TestMetric(keras.callbacks.Callback):
    def __init__(self, demo: Demo, loss: str, x: np.ndarray, y: np.ndarray) -> None:
        super().__init__()
        self.demo, self.loss_name, self.x, self.y, self.values = demo, loss, x, y, []

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        out = keras.ops.convert_to_numpy(self.model(self.x, training=False))  # not predict(): no retracing
        self.values.append(metric(self.demo, self.loss_name, out, self.y))


def framework() -> str:
    return f"keras-{keras.backend.backend()}"


def train(demo: Demo, quick: bool = False) -> dict[str, dict[str, list[float]]]:
    """Train one fresh network per loss of the demo with ``model.fit``."""
    x_train, y_train, x_test, y_test = data(demo, quick)
    history = {}
    for loss, knobs in demo.losses.items():
        keras.utils.set_random_seed(0)
        net = model(demo, x_train.shape[1], loss)
        cls = getattr(lossport.keras, lossport.keras.class_name(loss))
        # eagerly in the shortened run: tracing the step would cost more than its few steps
        net.compile(optimizer=keras.optimizers.Adam(demo.learning_rate), loss=cls(**knobs), run_eagerly=quick)
        y = targets(demo, loss, y_train)
        if demo.outputs == 1:
            y = y[:, None]
        tracker = _TestMetric(demo, loss, x_test, y_test)
        n = len(x_train) // _common.BATCH * _common.BATCH  # whole batches, as the other loops take
        fit = net.fit(x_train[:n], y[:n], batch_size=_common.BATCH, epochs=demo.quick_epochs if quick else demo.epochs,
                      shuffle=True, verbose=0, callbacks=[tracker])
        history[loss] = {"loss": [float(v) for v in fit.history["loss"]], "metric": tracker.values}
    return history
