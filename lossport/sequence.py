"""Sequence losses: connectionist temporal classification (CTC)."""

from __future__ import annotations

from typing import Any

from lossport._namespace import array_namespace, device
from lossport._numerics import logsumexp
from lossport._reduction import Reduction, check_reduction, reduce_loss
from lossport._validation import (
    _fails,
    check_floating,
    check_labels_in_range,
    check_shape,
    compute_dtype,
    values_checked,
)

__all__ = ["ctc"]

Array = Any

_NEG_INF = -float("inf")


def _check_index_dtype(name: str, x: Array, /, *, xp: Any) -> None:
    if not xp.isdtype(x.dtype, "integral"):
        msg = f"`{name}` must have an integer dtype; got {x.dtype}"
        raise TypeError(msg)


def _check_values_in(name: str, x: Array, lo: int, hi: int, what: str, /, *, xp: Any) -> None:
    """Integer values in ``[lo, hi]`` (both ends included); a value check, skipped on traced arrays."""
    if not values_checked(x):
        return
    valid = (x >= lo) & (x <= hi)
    if _fails(xp.all(valid), xp=xp):
        bad = xp.where(valid, xp.full_like(x, lo), x)
        low, high = int(xp.min(bad)), int(xp.max(bad))
        got = low if low < lo else high
        msg = f"`{name}` must be in [{lo}, {hi}] ({what}); got {got}"
        raise ValueError(msg)


def _check_no_blank(labels: Array, in_label: Array, blank: int, /, *, xp: Any) -> None:
    """No blank among the first ``label_lengths`` labels of each sequence; a value check."""
    if not values_checked(labels):
        return
    if _fails(xp.all(xp.logical_not(in_label & (labels == blank))), xp=xp):
        msg = (
            f"`labels` must not contain the blank index {blank} within `label_lengths` (the blank is not a "
            f"label; pad beyond `label_lengths` with any value); got {blank}"
        )
        raise ValueError(msg)


def ctc(
    log_probabilities: Array,
    labels: Array,
    input_lengths: Array,
    label_lengths: Array,
    /,
    *,
    blank: int = 0,
    zero_infinity: bool = False,
    weights: Array | None = None,
    where: Array | None = None,
    reduction: Reduction = "mean",
    xp: Any = None,
) -> Array:
    r"""Connectionist temporal classification loss: ``−log p(labels | inputs)`` per sequence.

    .. math:: \ell_b = -\log \sum_{\pi \in \mathcal{B}^{-1}(y_b)} \prod_{t=1}^{T_b} p_{b,t,\pi_t}

    where :math:`\mathcal{B}` collapses repeated symbols and then removes blanks, :math:`T_b` is the sequence's
    input length and :math:`y_b` its first ``label_lengths[b]`` labels (Graves et al., 2006). It is computed by
    the forward (alpha) recursion in log space over the extended label sequence
    ``(blank, y_1, blank, y_2, …, y_S, blank)`` of length ``2S + 1``: at each time step a state keeps its symbol,
    moves to the next one, or skips the blank between two *different* labels (so repeated labels need a blank
    between them, and ``T_b ≥ S_b + (number of repeats)``). The recursion is a Python loop over the ``T`` time
    steps, each a vectorised update over the batch and the extended positions; each sequence's alpha after its
    own input length ``T_b`` is then picked, and the loss reads it at positions ``2 S_b`` and ``2 S_b − 1``. The inputs are not normalised: pass log-probabilities (a ``log_softmax`` over the classes).

    Layout is batch-major, as optax and Keras (torch takes ``(T, B, C)``: pass
    ``log_probs.permute(1, 0, 2)``; ``tf.nn.ctc_loss`` needs ``logits_time_major=False`` for this layout).

    Reductions: ``"none"`` gives the per-sequence losses (torch's ``reduction="none"``, optax's and
    ``tf.nn.ctc_loss``'s values); ``"mean"`` is their plain mean over the batch (Keras's ``CTC``); ``"sum"`` is
    torch's ``"sum"``. torch's ``"mean"`` divides each loss by its target length first:
    ``ctc(..., weights=1 / (B * max(label_lengths, 1)), reduction="sum")`` gives it.

    Gradients are the true ones, ``−γ`` with respect to the log-probabilities (γ the posterior occupancy of each
    class at each step). torch's ``F.ctc_loss`` returns ``exp(log p) − γ`` instead (the gradient with respect to
    logits, assuming a ``log_softmax`` before it): through a ``log_softmax`` both give ``p − γ``.

    Compiled cost: the loop over time is unrolled when traced (about 20 operations per time step), so compile
    time grows linearly with ``T``; compiled runs are then fast. Measured on a shared 2-core CPU (B = 3, C = 5,
    S = 3, float32), the build time of the first call, value and gradient:

    - ``jax.jit``: 2.8 s and 6 s at T = 50; 10 s and 27 s at T = 200;
    - ``tf.function(jit_compile=True)``: 7 s and 18 s at T = 50; 24 s and 65 s at T = 200;
    - ``torch.compile``: 17 s at T = 8 and 130 s at T = 50 (value); for long sequences under ``torch.compile``,
      torch's own ``F.ctc_loss`` compiles at no cost.

    Each step's three sources are gathered at once and summed by a log-sum-exp over an axis of 3, which keeps
    XLA and inductor from inlining every earlier step into each step's kernels (which made compile time cubic in
    ``T``). Eager calls cost about 20 small operations per time step.

    Parameters
    ----------
    log_probabilities : array, shape ``(B, T, C)``, real floating
        Log-probabilities over ``C`` classes (the blank included) at each of ``T`` time steps.
    labels : array, shape ``(B, S)``, integer
        Each sequence's target labels, padded to ``S``: the first ``label_lengths[b]`` must be in ``[0, C)`` and
        not `blank`; values beyond ``label_lengths[b]`` are ignored (any value).
    input_lengths : array, shape ``(B,)``, integer in ``[0, T]``
        The number of valid time steps of each sequence; later steps are ignored.
    label_lengths : array, shape ``(B,)``, integer in ``[0, S]``
    blank : int, default 0
        The class index of the blank, in ``[0, C)``. Keras's ``CTC`` always uses 0, which there is also the
        label padding (its label lengths are the counts of non-zero labels, its input lengths are all ``T``);
        ``tf.nn.ctc_loss``'s ``blank_index=-1`` is ``blank=C - 1``.
    zero_infinity : bool, default False
        Replace infinite losses (impossible alignments) and their gradients by 0, as torch's ``zero_infinity``.
    weights : array, shape ``(B,)``, optional
        Per-sequence weights; ``"mean"`` is then ``Σ w·ℓ / Σ w``.
    where : array of bool, shape ``(B,)``, optional
        Sequences to keep.
    reduction : {"mean", "sum", "none"}
    xp : namespace, optional

    Returns
    -------
    array
        0-D, or shape ``(B,)`` for ``reduction="none"``, of `log_probabilities`' dtype. A sequence whose labels
        cannot be aligned in its input length (``T_b < S_b`` + repeats) gives ``+inf`` (torch's default; optax gives
        about ``1e5`` there, from its ``log_epsilon=-1e5``, and ``tf.nn.ctc_loss`` another large finite
        number), or 0 with ``zero_infinity=True``; the gradient of an infinite loss is meaningless (finite, not
        NaN), and 0 with ``zero_infinity=True``. An empty label
        sequence gives ``−Σ_t log p(blank)``; an input length of 0 gives 0 for an empty label sequence and
        ``+inf`` otherwise.

    Raises
    ------
    TypeError
        If `log_probabilities` is not floating, `labels` or the lengths are not integer, `blank` is not an int or
        `zero_infinity` not a bool.
    ValueError
        If the shapes disagree (``labels`` not ``(B, S)``, a length array not ``(B,)``), `blank` is outside
        ``[0, C)``, or (on concrete arrays) a length is negative or beyond ``T`` / ``S``, or a label within
        `label_lengths` is outside ``[0, C)`` or is the blank.

    See Also
    --------
    torch.nn.functional.ctc_loss, optax.ctc_loss, tf.nn.ctc_loss, keras.losses.CTC

    References
    ----------
    A. Graves, S. Fernández, F. Gomez, J. Schmidhuber, "Connectionist temporal classification: labelling
    unsegmented sequence data with recurrent neural networks", ICML 2006.

    Examples
    --------
    One time step and one label: the only alignment emits the label, so the loss is ``−log p(label)``:

    >>> import numpy as np, lossport
    >>> log_p = np.log(np.array([[[0.2, 0.5, 0.3]]]))
    >>> one = np.array([1])
    >>> float(lossport.ctc(log_p, np.array([[1]]), one, one))  # -log 0.5
    0.6931471805599453

    Two steps of uniform probabilities over 3 classes and the label ``[1]``: the alignments ``(1, 1)``,
    ``(blank, 1)`` and ``(1, blank)`` give ``p = 3/9``, so the loss is ``log 3``. The label ``[1, 1]`` needs a
    blank between its repeats, ``(1, blank, 1)``: it cannot be aligned in 2 steps, and gets ``+inf``:

    >>> log_p = np.log(np.full((2, 2, 3), 1 / 3))
    >>> loss = lossport.ctc(log_p, np.array([[1, 0], [1, 1]]), np.array([2, 2]), np.array([1, 2]),
    ...                     reduction="none")
    >>> np.round(loss, 12)  # log 3, inf
    array([1.09861229,        inf])
    """
    check_reduction(reduction)
    if not isinstance(zero_infinity, bool):
        msg = f"`zero_infinity` must be a bool; got {type(zero_infinity).__name__}"
        raise TypeError(msg)
    xp = array_namespace(
        log_probabilities, labels, input_lengths, label_lengths, weights, where, xp=xp,
        names=("log_probabilities", "labels", "input_lengths", "label_lengths", "weights", "where"),
    )
    loss, _, out_dtype = _forward(log_probabilities, labels, input_lengths, label_lengths, blank, xp=xp)
    if zero_infinity:
        loss = xp.where(loss == float("inf"), xp.zeros_like(loss), loss)
    return reduce_loss(loss, reduction, weights=weights, where=where, out_dtype=out_dtype, xp=xp)


def ctc_forward_variables(
    log_probabilities: Array,
    labels: Array,
    input_lengths: Array,
    label_lengths: Array,
    /,
    *,
    blank: int = 0,
    xp: Any = None,
) -> tuple[Array, Array]:
    r"""CTC's per-sequence losses and its forward variables: :func:`ctc`'s recursion, its alphas returned.

    Not a loss of the registry (``lossport.sequence.ctc_forward_variables``, not ``lossport.*``): what
    ``optax.ctc_loss_with_forward_probs`` returns besides the loss, for alignment and decoding code.

    ``alpha[b, t, s]`` is the log-probability that the first ``t + 1`` frames of sequence ``b`` emit the prefix
    of its extended labels ``(blank, y_1, blank, y_2, …, y_S, blank)`` that ends at position ``s``: even ``s = 2n``
    is the blank after ``n`` labels, odd ``s = 2n + 1`` the label ``y_{n+1}``. Frames at and beyond
    ``input_lengths[b]`` repeat the value after the last valid frame (the start state, 0 at ``s = 0``, for an
    input length of 0); positions beyond ``2 S_b`` (past the sequence's own labels) and states no alignment
    reaches are ``-inf``.

    Parameters
    ----------
    log_probabilities, labels, input_lengths, label_lengths, blank, xp
        As in :func:`ctc`.

    Returns
    -------
    loss : array, shape ``(B,)``
        :func:`ctc`'s ``reduction="none"`` values.
    alpha : array, shape ``(B, T, 2S + 1)``
        The log forward variables, of `log_probabilities`' dtype.

    Examples
    --------
    >>> import numpy as np, lossport.sequence
    >>> log_p = np.log(np.full((1, 2, 2), 0.5))  # two frames, blank 0 and one class
    >>> loss, alpha = lossport.sequence.ctc_forward_variables(log_p, np.array([[1]]), np.array([2]), np.array([1]))
    >>> np.exp(alpha[0])  # frame 0: (blank), (1); frame 1: (b, b), (b, 1) + (1, 1), (1, b)
    array([[0.5 , 0.5 , 0.  ],
           [0.25, 0.5 , 0.25]])
    >>> float(np.exp(-loss[0]))  # (b, 1), (1, 1), (1, b)
    0.75
    """
    xp = array_namespace(log_probabilities, labels, input_lengths, label_lengths, xp=xp,
                         names=("log_probabilities", "labels", "input_lengths", "label_lengths"))
    loss, alphas, out_dtype = _forward(log_probabilities, labels, input_lengths, label_lengths, blank, xp=xp)
    steps, size = tuple(alphas.shape)[1] - 1, tuple(alphas.shape)[2]
    itype = xp.result_type(input_lengths.dtype, label_lengths.dtype)
    dev = device(alphas)
    frames = xp.arange(1, steps + 1, dtype=itype, device=dev)  # alphas[:, 0] is the start, before any frame
    last = xp.minimum(xp.expand_dims(frames, axis=0), xp.expand_dims(xp.astype(input_lengths, itype), axis=-1))
    index = xp.expand_dims(last, axis=-1) + xp.zeros((1, 1, size), dtype=itype, device=dev)  # (B, T, 2S + 1)
    alpha = xp.take_along_axis(alphas, index, axis=1)
    positions = xp.arange(size, dtype=itype, device=dev)
    beyond = positions > 2 * xp.expand_dims(xp.astype(label_lengths, itype), axis=-1)  # (B, 2S + 1)
    alpha = xp.where(xp.expand_dims(beyond, axis=1), xp.full_like(alpha, _NEG_INF), alpha)
    return xp.astype(loss, out_dtype, copy=False), xp.astype(alpha, out_dtype, copy=False)


def _forward(log_probabilities: Array, labels: Array, input_lengths: Array, label_lengths: Array, blank: int,
             /, *, xp: Any) -> tuple[Array, Array, Any]:
    """The checks and the alpha recursion of :func:`ctc`: the unreduced losses ``(B,)``, the alphas
    ``(B, T + 1, 2S + 1)`` (the start state first, then one per frame, regardless of the input lengths) and the
    output dtype."""
    if isinstance(blank, bool) or not isinstance(blank, int):
        msg = f"`blank` must be a Python int (a class index); got {type(blank).__name__}"
        raise TypeError(msg)
    check_floating("log_probabilities", log_probabilities, xp=xp)
    _check_index_dtype("labels", labels, xp=xp)
    _check_index_dtype("input_lengths", input_lengths, xp=xp)
    _check_index_dtype("label_lengths", label_lengths, xp=xp)
    shape = tuple(log_probabilities.shape)
    if len(shape) != 3:
        msg = f"`log_probabilities` must have shape (B, T, C) (batch, time, classes); got {shape}"
        raise ValueError(msg)
    batch, steps, classes = shape
    if len(labels.shape) != 2:
        msg = f"`labels` must have shape (B, S) (batch, padded label length); got {tuple(labels.shape)}"
        raise ValueError(msg)
    width = tuple(labels.shape)[1]
    check_shape("labels", labels, (batch, width), "one padded label sequence per sequence of the batch")
    check_shape("input_lengths", input_lengths, (batch,), "one input length per sequence")
    check_shape("label_lengths", label_lengths, (batch,), "one label length per sequence")
    if steps is None or classes is None or width is None:
        msg = (
            "`log_probabilities` and `labels` must have static time, class and label dimensions (the "
            f"recursion is unrolled over time); got shapes {shape} and {tuple(labels.shape)}"
        )
        raise ValueError(msg)
    if not 0 <= blank < classes:
        msg = f"`blank` must be a class index in [0, {classes}) (e.g. {classes - 1} for the last class); got {blank}"
        raise ValueError(msg)
    dtype, out_dtype = compute_dtype(log_probabilities, xp=xp)
    log_p = xp.astype(log_probabilities, dtype, copy=False)
    itype = xp.result_type(labels.dtype, input_lengths.dtype, label_lengths.dtype)
    labels = xp.astype(labels, itype, copy=False)
    input_lengths = xp.astype(input_lengths, itype, copy=False)
    label_lengths = xp.astype(label_lengths, itype, copy=False)

    _check_values_in("input_lengths", input_lengths, 0, steps, "at most the time dimension T", xp=xp)
    _check_values_in("label_lengths", label_lengths, 0, width, "at most the padded label length S", xp=xp)
    dev = device(log_p)
    in_label = xp.arange(width, dtype=itype, device=dev) < xp.expand_dims(label_lengths, axis=-1)  # (B, S)
    check_labels_in_range("labels", xp.where(in_label, labels, xp.zeros_like(labels)), classes,
                          ignore_index=None, xp=xp)
    _check_no_blank(labels, in_label, blank, xp=xp)

    # The extended labels (blank, y_1, blank, y_2, ..., y_S, blank), padding replaced by the blank: (B, 2S + 1).
    blank_col = xp.expand_dims(xp.zeros_like(label_lengths), axis=-1) + blank  # (B, 1)
    size = 2 * width + 1
    if width:
        blanks = xp.full_like(labels, blank)
        pairs = xp.stack([blanks, xp.where(in_label, labels, blanks)], axis=-1)  # (B, S, 2)
        ext = xp.concat([xp.reshape(pairs, (-1, 2 * width)), blank_col], axis=-1)
    else:
        ext = blank_col
    # Position s is reached from s (stay), s − 1 (step) and s − 2 (skip). The skip is allowed onto a label that
    # differs from the label two positions before (a blank between two equal labels cannot be skipped).
    positions = xp.arange(size, dtype=itype, device=dev)
    before = xp.concat([blank_col, blank_col, ext], axis=-1)[:, :size]
    skip_ok = (positions >= 2) & (ext != blank) & (ext != before)
    stay_ok = xp.ones_like(skip_ok)
    allowed = xp.stack([stay_ok, stay_ok & (positions >= 1), skip_ok], axis=1)  # (B, 3, 2S + 1)
    sources = xp.concat([positions, xp.clip(positions - 1, min=0), xp.clip(positions - 2, min=0)])
    sources = xp.expand_dims(sources, axis=0)  # (1, 3 (2S + 1)): stay, step, skip
    # Emissions of the extended labels, gathered once: (B, T, 2S + 1).
    emit = xp.take_along_axis(log_p, xp.expand_dims(ext, axis=1), axis=-1)

    zeros = xp.zeros_like(ext, dtype=log_p.dtype)
    neg_inf = xp.full_like(zeros, _NEG_INF)
    neg_inf3 = xp.stack([neg_inf, neg_inf, neg_inf], axis=1)
    # A virtual start before the first frame: log 1 at position 0; its first step reaches positions 0 and 1.
    alpha = xp.where(positions == 0, zeros, neg_inf)
    alphas = [alpha]
    for t in range(steps):
        # The three sources by one gather, summed by a log-sum-exp over an axis of 3 (a reduction): both are
        # fusion boundaries for XLA and inductor, which otherwise inline each step's cheap operations (select,
        # add) into every later step's kernels (compile time cubic in T). -inf sources give -inf, with finite
        # gradients (lossport's logsumexp).
        came = xp.reshape(xp.take_along_axis(alpha, sources, axis=-1), (-1, 3, size))
        came = xp.where(allowed, came, neg_inf3)
        alpha = emit[:, t, :] + logsumexp(came, axis=1, xp=xp)
        alphas.append(alpha)
    # Each sequence's alpha after its own input length, picked by one gather (a chain of T `where`s freezing
    # alpha past the input length would be inlined into every later step just the same).
    at_length = xp.expand_dims(xp.expand_dims(input_lengths, axis=-1), axis=-1) + xp.expand_dims(
        xp.zeros_like(ext), axis=1)  # (B, 1, 2S + 1)
    stacked = xp.stack(alphas, axis=1)
    alpha = xp.squeeze(xp.take_along_axis(stacked, at_length, axis=1), axis=1)

    # log p = logaddexp(alpha[2 S_b], alpha[2 S_b − 1]); the latter only for S_b ≥ 1.
    end = xp.expand_dims(2 * label_lengths, axis=-1)
    ends = xp.take_along_axis(alpha, xp.concat([end, xp.clip(end - 1, min=0)], axis=-1), axis=-1)  # (B, 2)
    ends = xp.where(xp.concat([end >= 0, end > 0], axis=-1), ends, xp.full_like(ends, _NEG_INF))
    return -logsumexp(ends, axis=-1, xp=xp), stacked, out_dtype
