"""Batched runs of scalar programs (copies interleaved in blocks, blocks across cores) against
one ``repeat`` per copy: the same values, divergence steps and outputs."""

import numpy as np

import workbench as wb
from workbench.compile import Diverged
from workbench.compile.batch import CHUNK, LANES


def test_interleaved_repeat_map_equals_one_repeat_per_copy():
    beta = wb.Variable(0.0, name="beta")

    @wb.function
    def step(lr, scale):
        with wb.GradientTape() as tape:
            loss = (beta / 2 - 1) ** 2 * scale
        beta.assign_sub(lr * tape.gradient(loss, beta))
        return loss

    rng = np.random.default_rng(2)
    lrs = np.concatenate([rng.uniform(0.0, 4.4, LANES - 5), [4.5, 5.0, 100.0, -1.0, 0.0]])
    lrs = np.concatenate([lrs, lrs[:5]])  # a full block, then a partial second one
    starts = rng.normal(size=lrs.size)
    run = step.repeat_map(3000, lrs, np.float64(1.5), in_axes=(0, None),
                          state={"beta": starts})
    assert (run.diverged > 0).any() and (run.diverged == 0).any()
    for k, lr in enumerate(lrs):
        beta.assign(starts[k])
        try:
            history = step.repeat(3000, np.float64(lr), np.float64(1.5), record_every=3000)
            assert run.diverged[k] == 0
            np.testing.assert_array_equal(run.outputs[k], history.outputs[-1])
        except Diverged as err:
            assert run.diverged[k] == err.step
            np.testing.assert_array_equal(run.outputs[k], err.values["output"])
        np.testing.assert_array_equal(run.variables["beta"][k], beta.numpy())


def _one_repeat_per_copy(step, run, n, rates, starts, var):
    """Each copy of ``run`` against its own serial ``repeat`` from the same start."""
    for k, lr in enumerate(rates):
        var.assign(starts[k])
        try:
            history = step.repeat(n, np.float64(lr), record_every=n)
            assert run.diverged[k] == 0
            np.testing.assert_array_equal(run.outputs[k], history.outputs[-1])
        except Diverged as err:
            assert run.diverged[k] == err.step
            np.testing.assert_array_equal(run.outputs[k], err.values["output"])
        np.testing.assert_array_equal(run.variables[var.name][k], var.numpy())


def test_interleaved_chunks_last_step_and_late_divergence():
    """Step counts around the checked-chunk length, divergence at the last step or late."""
    w = wb.Variable(0.0, name="w")

    @wb.function
    def step(lr):
        with wb.GradientTape() as tape:
            loss = (w * w - 3.0 * w) * 0.5
        w.assign_sub(lr * tape.gradient(loss, w))
        return loss

    # the loss overflows first (at |w| ~ 1e154) for the growing runs: a transient non-finite
    # output the state never sees. Rate 2.0 keeps -1 forever; 60, 4, 2.6 and 2.2 diverge at
    # steps ~90, ~320, ~750 and ~1950: in the first chunk and in a later one
    rates = np.resize([0.1, 1.0, 1.9, 2.0, 2.02, 2.2, 2.6, 4.0, 60.0, 0.0], LANES + 3)
    starts = np.linspace(-1.0, 1.0, rates.size)
    for n in (1, 2, CHUNK, CHUNK + 1, 2 * CHUNK + 3):
        run = step.repeat_map(n, rates, state={"w": starts})
        _one_repeat_per_copy(step, run, n, rates, starts, w)
    assert run.diverged.max() > CHUNK and ((run.diverged > 0) & (run.diverged < CHUNK)).any()


def test_interleaved_random_draws_per_copy():
    """Each copy draws from its own key, as one ``repeat`` per copy from that key does."""
    from workbench.compile.mapping import KEY_STRIDE

    w = wb.Variable(1.0, name="w")

    @wb.function
    def step(lr):
        with wb.GradientTape() as tape:
            loss = w * w
        w.assign_sub(lr * (tape.gradient(loss, w) + wb.random.normal(())))
        return loss

    rates = np.linspace(0.01, 0.3, 9)
    wb.random.set_seed(5)
    first = int(wb.random.KEY.numpy())
    run = step.repeat_map(700, rates)
    for k, lr in enumerate(rates):
        w.assign(1.0)
        wb.random.set_key(first + k * KEY_STRIDE)
        history = step.repeat(700, np.float64(lr), record_every=700)
        np.testing.assert_array_equal(run.outputs[k], history.outputs[-1])
        np.testing.assert_array_equal(run.variables["w"][k], w.numpy())


def test_interleaved_float32_state_bool_output_shared_argument():
    w = wb.Variable(np.float32(1.0), name="w", dtype=np.float32)

    @wb.function
    def step(lr, c):
        with wb.GradientTape() as tape:
            loss = (w - c) ** 2
        w.assign_sub(lr * tape.gradient(loss, w))
        return loss, loss > 0.5

    rates = np.linspace(0.01, 1.5, LANES + 2).astype(np.float32)  # the last ones diverge
    run = step.repeat_map(500, rates, np.float32(0.25), in_axes=(0, None))
    assert run.outputs[0].dtype == np.float32 and run.outputs[1].dtype == np.bool_
    assert (run.diverged > 0).any() and (run.diverged == 0).any()
    for k, lr in enumerate(rates):
        w.assign(np.float32(1.0))
        try:
            history = step.repeat(500, lr, np.float32(0.25), record_every=500)
            last = (history.outputs[0][-1], history.outputs[1][-1])
        except Diverged as err:
            assert run.diverged[k] == err.step
            last = (err.values["output0"], err.values["output1"])
        np.testing.assert_array_equal(run.outputs[0][k], last[0])
        assert run.outputs[1][k] == last[1]
        np.testing.assert_array_equal(run.variables["w"][k], w.numpy())


def test_unchecked_chunks_test_the_loss_per_step_and_a_lasting_state_per_chunk():
    """The sweep's step: the loss is tested every step, beta (whose NaN or infinity reaches its
    next value) once per chunk, and ``(2 * t) / 2`` runs as ``t``, guarded by the tested t**2."""
    from workbench.compile import unchecked

    beta = wb.Variable(0.0, name="beta")

    @wb.function
    def step(lr):
        with wb.GradientTape() as tape:
            loss = (beta / 2 - 1) ** 2
        beta.assign_sub(lr * tape.gradient(loss, beta))
        return loss

    step(np.float64(0.1))
    concrete = step._latest()
    graph = concrete.traced.graph
    plan = unchecked.plan(graph, concrete.carried)
    assert plan.per_step == [0] and plan.at_end == concrete.carried
    assert len(plan.graph.eqns) < len(graph.eqns)
    assert [e.prim.name for e in plan.graph.eqns].count("div") == 1  # beta / 2 only
    assert unchecked.plan(graph, concrete.carried, rewrite=False).graph is graph


def test_unchecked_rewrite_where_twice_t_overflows():
    """Starts where ``2 * t`` overflows (t = w/2 + 1e307 > 2**1023): the exact step gives an
    infinite gradient; the fast chunk must notice (t**2 overflows too) and replay."""
    w = wb.Variable(-2e307, name="w")  # t = 0 while tracing

    @wb.function
    def step(lr):
        with wb.GradientTape() as tape:
            loss = (w / 2 + 1e307) ** 2
        w.assign_sub(lr * tape.gradient(loss, w))
        return loss

    starts = np.resize([1.6e308, -1.7e308, 1.0, 1.5e308, 0.0], LANES + 2)
    rates = np.resize([0.5, 1e-300, 0.0, 1.0], starts.size)
    for n in (3, CHUNK + 2):
        run = step.repeat_map(n, rates, state={"w": starts})
        _one_repeat_per_copy(step, run, n, rates, starts, w)


def test_unguarded_doubling_is_not_rewritten():
    """``(2 * w) / 2`` with no tested square: where ``2 * w`` overflows, so must the state."""
    w = wb.Variable(0.0, name="w")

    @wb.function
    def step(lr):
        w.assign_sub(lr * ((2.0 * w) / 2.0))  # 2w is infinite, lr * w is not
        return w * 0.5

    starts = np.resize([9e307, 1.0, -1.0, -1.7e308], LANES + 1)
    rates = np.resize([1e-300, 0.5, 0.0], starts.size)
    run = step.repeat_map(CHUNK + 5, rates, state={"w": starts})
    _one_repeat_per_copy(step, run, CHUNK + 5, rates, starts, w)


def test_a_state_that_forgets_an_infinity_is_tested_every_step():
    """``v = 1 / (count + 1 - k)`` is infinite at step k only, and ``v``'s own infinity does not
    reach its next value (``0 / (v + 2)`` is 0): each copy reports that step, in the first chunk
    or a later one."""
    count = wb.Variable(0.0, name="count")
    v = wb.Variable(0.0, name="v")

    @wb.function
    def step(k):
        v.assign(1.0 / (count + 1.0 - k) + 0.0 / (v + 2.0))
        count.assign_add(1.0)
        return count

    ks = np.resize([5.0, 0.5, CHUNK + 40.0, 2 * CHUNK + 1.0, -3.0], LANES + 4)
    n = 2 * CHUNK + 10
    run = step.repeat_map(n, ks)
    want = np.where((ks >= 1) & (ks <= n) & (ks == np.round(ks)), ks, 0).astype(np.int64)
    np.testing.assert_array_equal(run.diverged, want)
    for k, stop in zip(ks[:8], want[:8], strict=True):
        count.assign(0.0)
        v.assign(0.0)
        try:
            step.repeat(n, np.float64(k), record_every=n)
            assert stop == 0
        except Diverged as err:
            assert err.step == stop
        np.testing.assert_array_equal(run.variables["count"][list(ks).index(k)], count.numpy())
        np.testing.assert_array_equal(run.variables["v"][list(ks).index(k)], v.numpy())
