"""Batched runs of scalar programs (copies interleaved in blocks, blocks across cores) against
one ``repeat`` per copy: the same values, divergence steps and outputs."""

import numpy as np

import workbench as wb
from workbench.compile import Diverged


def test_interleaved_repeat_map_equals_one_repeat_per_copy():
    beta = wb.Variable(0.0, name="beta")

    @wb.function
    def step(lr, scale):
        with wb.GradientTape() as tape:
            loss = (beta / 2 - 1) ** 2 * scale
        beta.assign_sub(lr * tape.gradient(loss, beta))
        return loss

    rng = np.random.default_rng(2)
    lrs = np.concatenate([rng.uniform(0.0, 4.4, 60), [4.5, 5.0, 100.0, -1.0, 0.0]])
    lrs = np.concatenate([lrs, lrs[:5]])  # 70 copies: a partial second block
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
