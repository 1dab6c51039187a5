"""The CUDA target in Numba's simulator (or on a GPU): both batched modes equal the CPU target.

Runs under ``NUMBA_ENABLE_CUDASIM=1``; without it (and without a GPU) the whole file re-runs
itself in a subprocess with the simulator switched on, so these tests never silently skip.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from _compile_support import compile_cache  # noqa: F401 - the session fixture
from numba import config

import workbench as wb
from workbench.compile import CompileError

ROOT = Path(__file__).resolve().parents[1]
ON_DEVICE = bool(config.ENABLE_CUDASIM)
if not ON_DEVICE:
    from numba import cuda

    ON_DEVICE = cuda.is_available()
needs_device = pytest.mark.skipif(not ON_DEVICE, reason="runs in the simulator subprocess below")
pytestmark = pytest.mark.usefixtures("compile_cache")

X = np.arange(11.0)
Y = 10 * X + 5


def value_and_grad(a, b, x, y):
    with wb.GradientTape() as tape:
        tape.watch([a, b])
        loss = wb.reduce_sum(wb.abs(y - (a * x + b)) ** 2.0) / 11.0
    return loss, tape.gradient(loss, [a, b])


@needs_device
def test_value_and_gradient_on_a_grid_matches_cpu():
    grid_a, grid_b = np.meshgrid(np.linspace(0.0, 20.0, 5), np.linspace(-5.0, 10.0, 4))
    args = (grid_a.ravel(), grid_b.ravel(), X, Y)
    axes = (0, 0, None, None)
    on_gpu = wb.function(value_and_grad, target="cuda").map(*args, in_axes=axes)
    on_cpu = wb.function(value_and_grad).map(*args, in_axes=axes)
    loss, (ga, gb) = on_gpu
    np.testing.assert_allclose(loss, on_cpu[0], rtol=1e-14)
    np.testing.assert_allclose(ga, on_cpu[1][0], rtol=1e-14)
    np.testing.assert_allclose(gb, on_cpu[1][1], rtol=1e-14)
    # and against the eager tape at one point
    want, (wa, wb_) = value_and_grad(*(wb.constant(v) for v in (args[0][7], args[1][7], X, Y)))
    np.testing.assert_allclose([loss[7], ga[7], gb[7]], [float(want), float(wa), float(wb_)],
                               rtol=1e-14)


@needs_device
# One run of the sweep diverges on purpose; the simulator runs kernels as Python, so its
# overflow shows up as NumPy warnings (a real GPU is silent).
@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
def test_learning_rate_sweep_matches_cpu_repeat_and_reports_divergence():
    a = wb.Variable(0.0, name="a")
    b = wb.Variable(0.0, name="b")

    def step(x, y, lr):
        with wb.GradientTape() as tape:
            loss = wb.reduce_sum(wb.abs(y - (a * x + b)))
        ga, gb = tape.gradient(loss, (a, b))
        a.assign_sub(lr * ga)
        b.assign_sub(lr * gb)
        return loss

    rates = np.array([0.001, 0.002, 0.01, 1e306])
    run = wb.function(step, target="cuda").repeat_map(
        150, X, Y, rates, in_axes=(None, None, 0), state={"b": np.array([0.0, 1.0, 2.0, 0.0])})
    np.testing.assert_allclose([a.numpy(), b.numpy()], [0.0, 0.0], atol=0)  # left untouched
    assert list(run.diverged[:3]) == [0, 0, 0] and run.diverged[3] > 0
    cpu = wb.function(step)
    for k in range(3):
        a.assign(0.0)
        b.assign(float(k))
        history = cpu.repeat(150, X, Y, rates[k], record_every=150)
        np.testing.assert_allclose(run.variables["a"][k], a.numpy(), rtol=1e-12)
        np.testing.assert_allclose(run.variables["b"][k], b.numpy(), rtol=1e-12)
        np.testing.assert_allclose(run.outputs[k], history.outputs[-1], rtol=1e-12)


@needs_device
def test_lapack_primitives_are_refused_on_cuda_with_a_reason():
    f = wb.function(lambda m: wb.linalg.det(m), target="cuda")
    with pytest.raises(CompileError, match="det.*cuda.*LAPACK"):
        f.map(np.stack([np.eye(2)] * 3))


@needs_device
def test_cuda_overrides_cbrt_and_refuses_sorting_with_a_reason():
    x = np.array([[8.0, -27.0, 0.5], [1e-300, -2.0, 1e10]])
    got = np.asarray(wb.function(lambda v: wb.cbrt(v), target="cuda").map(x))
    np.testing.assert_allclose(got, np.cbrt(x), rtol=1e-13)  # pow(|x|, 1/3): a few ULP
    with pytest.raises(CompileError, match="sort_by.*cuda.*argsort"):
        wb.function(lambda v: wb.sort(v), target="cuda").map(x)


def test_clear_error_without_gpu_or_simulator():
    code = ("import numpy as np, workbench as wb\n"
            "from numba import cuda\n"
            "if cuda.is_available(): print('GPU'); raise SystemExit\n"
            "f = wb.function(lambda a: a * 2.0, target='cuda')\n"
            "f.map(np.arange(3.0))\n")
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}
    env["PYTHONPATH"] = str(ROOT)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=300, check=False)
    if out.stdout.strip() == "GPU":
        pytest.skip("a GPU is present: the no-device error cannot occur here")
    assert out.returncode != 0
    assert "NUMBA_ENABLE_CUDASIM=1" in out.stderr and "no usable NVIDIA GPU" in out.stderr


if not ON_DEVICE:  # defined only where it runs, rather than skipped wherever it cannot

    def test_this_file_in_the_simulator():
        env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1", PYTHONPATH=str(ROOT))
        out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                              __file__, "-k", "not simulator and not without_gpu"],
                             env=env, capture_output=True, text=True, timeout=600, cwd=str(ROOT),
                             check=False)
        assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
