"""Long fused loops with sums run in row chunks on every core (``fusion.chunk_schedule``).

The chunked loss adds exactly as ``np.sum`` (bit for bit the one-core compiled value); the
gradient's sums over rows add the same terms per chunk, then the chunks pairwise: within
rounding of the one-core order (the bound any two orders of n terms share: 2·n·ε·Σ|terms|).
Every result is the same bits on one thread as on all of them. The row threshold is lowered
here so that small arrays take the chunked path (few compiles, shared by the tests).
"""

import numba
import numpy as np
import pytest

import workbench as wb
from workbench.compile import fusion
from workbench.compile.loops import CHUNK_LOOP

RNG = np.random.default_rng(5)
LOW_THRESHOLD = 1000  # rows: the chunked path for these tests' arrays


def value_and_grad(x, y, beta):
    with wb.GradientTape() as tape:
        tape.watch(beta)
        loss = wb.reduce_sum((x @ beta - y) ** 2)
    return loss, tape.gradient(loss, beta)


def grad_only(x, y, beta):
    with wb.GradientTape() as tape:
        tape.watch(beta)
        loss = wb.reduce_sum((x @ beta - y) ** 2)
    return tape.gradient(loss, beta)


def _data(n, d, dtype):
    return tuple(RNG.normal(size=s).astype(dtype) for s in ((n, d), (n,), (d,)))


def _compiled(fn, threshold, *args):
    """A fresh ``wb.function`` of ``fn`` lowered with loops chunked from ``threshold`` rows."""
    old, fusion.PARALLEL_MIN_ROWS = fusion.PARALLEL_MIN_ROWS, threshold
    try:
        f = wb.function(fn)
        f.concrete(*args).source  # lowered now, under this threshold  # noqa: B018
        return f
    finally:
        fusion.PARALLEL_MIN_ROWS = old


def _residual(x, y, beta):
    """The residual as the compiled loop computes it: each row's dot product in k order."""
    r = np.zeros(x.shape[0], x.dtype)
    for p in range(x.shape[1]):
        r = r + x[:, p] * beta[p]
    return r - y


def _assert_reordered(got, want, terms):
    """``got`` and ``want`` are sums of the same ``terms`` (rows, columns) in two orders."""
    bound = 2 * terms.shape[0] * np.finfo(terms.dtype).eps * np.abs(terms).sum(axis=0)
    assert np.all(np.abs(np.asarray(got, np.float64) - want) <= bound)


def _on_threads(n, fn, *args):
    old = numba.get_num_threads()
    numba.set_num_threads(n)
    try:
        return fn(*args)
    finally:
        numba.set_num_threads(old)


@pytest.fixture(scope="module", params=[(5003, np.float64), (1000, np.float32)],
                ids=["5003xf64", "1000xf32"])
def case(request):
    """(arrays, chunked function, one-core function): 5003 rows (no multiple of the 128-row
    blocks; 16 chunks) in float64 and 1000 rows (8 chunks, at the threshold) in float32."""
    n, dtype = request.param
    args = _data(n, 10, dtype)
    chunked = _compiled(value_and_grad, LOW_THRESHOLD, *args)
    serial = _compiled(value_and_grad, 1 << 62, *args)
    return args, chunked, serial


def test_chunked_loss_is_the_one_core_loss_and_numpys_bit_for_bit(case):
    (x, y, beta), chunked, serial = case
    assert CHUNK_LOOP in chunked.source and "parallel=" in chunked.source
    assert "prange" not in serial.source
    loss, _ = chunked(x, y, beta)
    one_core, _ = serial(x, y, beta)
    assert loss.numpy().tobytes() == one_core.numpy().tobytes()
    assert loss.numpy().tobytes() == np.sum(_residual(x, y, beta) ** 2).tobytes()
    assert loss.dtype == x.dtype


def test_chunked_gradient_is_the_one_core_and_eager_gradient_within_rounding(case):
    (x, y, beta), chunked, serial = case
    _, grad = chunked(x, y, beta)
    _, one_core = serial(x, y, beta)
    _, eager = value_and_grad(wb.constant(x), wb.constant(y), wb.constant(beta))
    terms = (2 * _residual(x, y, beta))[:, None] * x
    _assert_reordered(grad.numpy(), one_core.numpy(), terms)
    _assert_reordered(grad.numpy(), eager.numpy(), terms)
    assert grad.dtype == x.dtype and not np.array_equal(grad.numpy(), np.zeros_like(beta))


def test_chunked_results_do_not_depend_on_the_thread_count(case):
    (x, y, beta), chunked, _ = case
    loss, grad = chunked(x, y, beta)
    loss1, grad1 = _on_threads(1, chunked, x, y, beta)
    assert loss.numpy().tobytes() == loss1.numpy().tobytes()
    assert grad.numpy().tobytes() == grad1.numpy().tobytes()


def test_loops_below_the_threshold_are_the_one_core_kernel():
    args = _data(LOW_THRESHOLD - 1, 10, np.float64)
    below = _compiled(value_and_grad, LOW_THRESHOLD, *args)
    serial = _compiled(value_and_grad, 1 << 62, *args)
    assert below.source == serial.source


def test_the_default_threshold_is_on_the_traced_row_count():
    """Lowering only (no compile): the loop splits from ``PARALLEL_MIN_ROWS`` rows, not below,
    and batched kernels (``map``) never split (they run copies side by side)."""
    from workbench.compile import kernel

    n = fusion.PARALLEL_MIN_ROWS
    for rows, chunked in ((n - 1, False), (n, True)):
        x, y, beta = _data(rows, 3, np.float64)
        concrete = wb.function(value_and_grad).concrete(x, y, beta)
        assert (CHUNK_LOOP in concrete.source) is chunked
        assert (CHUNK_LOOP in concrete.repeat_source) is chunked
    batched = kernel.lower(concrete.traced.graph, fuse_sums=True)  # as ``map`` lowers it
    assert CHUNK_LOOP not in "\n".join(batched.body)


def test_wide_gradient_alone_chunks_its_accumulator_array():
    """More columns than scalar accumulators (an array per chunk), no loss sum in the loop."""
    x, y, beta = _data(2000, fusion.SCALAR_ACCUMULATORS + 4, np.float64)
    chunked = _compiled(grad_only, LOW_THRESHOLD, x, y, beta)
    assert CHUNK_LOOP in chunked.source and "block_sum(" not in chunked.source
    grad = chunked(x, y, beta)
    terms = (2 * _residual(x, y, beta))[:, None] * x
    _assert_reordered(grad.numpy(), 2 * x.T @ _residual(x, y, beta), terms)
    assert grad.numpy().tobytes() == _on_threads(1, chunked, x, y, beta).numpy().tobytes()


def test_repeat_and_a_split_program_chunk_as_the_step_does():
    """``repeat`` runs the chunked step's loop (same bits as calling the step), and a program
    split into blocks (a BLAS product beside the loop) runs its chunks in a block."""
    x, y, beta0 = _data(LOW_THRESHOLD, 10, np.float64)
    a = RNG.normal(size=(40, 40))
    beta = wb.Variable(beta0, name="beta")

    def sgd(x, y):
        with wb.GradientTape() as tape:
            loss = wb.reduce_sum((x @ beta - y) ** 2)
        beta.assign_sub(1e-4 * tape.gradient(loss, beta))
        return loss

    step = _compiled(sgd, LOW_THRESHOLD, x, y)
    assert CHUNK_LOOP in step.source
    losses = np.array([step(x, y).numpy() for _ in range(3)])
    after_steps = beta.numpy().copy()
    beta.assign(beta0)
    old, fusion.PARALLEL_MIN_ROWS = fusion.PARALLEL_MIN_ROWS, LOW_THRESHOLD
    try:
        history = step.repeat(3, x, y, record_every=1)
    finally:
        fusion.PARALLEL_MIN_ROWS = old
    assert CHUNK_LOOP in step.repeat_source
    assert np.asarray(history.outputs).tobytes() == losses.tobytes()
    assert beta.numpy().tobytes() == after_steps.tobytes()

    def with_product(x, y, b, a):
        loss, grad = value_and_grad(x, y, b)
        return loss, grad, a @ a

    split = _compiled(with_product, LOW_THRESHOLD, x, y, beta0, a)
    assert split.concrete(x, y, beta0, a).split is not None
    loss, grad, prod = split(x, y, beta0, a)
    want_loss, want_grad = _compiled(value_and_grad, LOW_THRESHOLD, x, y, beta0)(x, y, beta0)
    assert loss.numpy().tobytes() == want_loss.numpy().tobytes()
    assert grad.numpy().tobytes() == want_grad.numpy().tobytes()
    np.testing.assert_allclose(prod.numpy(), a @ a, rtol=1e-12)
