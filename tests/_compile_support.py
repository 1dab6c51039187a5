"""Shared by the compile tests: one kernel cache per checkout, so reruns load instead of compiling."""

import os

import pytest


@pytest.fixture(scope="session")
def compile_cache(request, tmp_path_factory):
    """Point ``WORKBENCH_CACHE_DIR`` at pytest's cache folder (else a temporary one)."""
    cache = getattr(request.config, "cache", None)
    if cache is not None:
        folder = str(cache.mkdir("workbench-kernels"))
    else:
        folder = str(tmp_path_factory.mktemp("workbench-kernels"))
    old = os.environ.get("WORKBENCH_CACHE_DIR")
    os.environ["WORKBENCH_CACHE_DIR"] = folder
    yield folder
    if old is None:
        os.environ.pop("WORKBENCH_CACHE_DIR", None)
    else:
        os.environ["WORKBENCH_CACHE_DIR"] = old
