"""``import workbench`` stays light (heavy engines load on first use) with every public name intact."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import workbench as wb
from workbench import _exports, primitive

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("sympy", "numba", "matplotlib", "workbench.keras", "workbench.compile",
         "workbench.symbolic", "workbench.plot", "workbench.data", "workbench.cli")


def _fresh(code: str) -> object:
    """Run ``code`` in a new interpreter (this checkout first on the path); its printed JSON."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=120, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_loads_no_heavy_library_or_namespace():
    loaded = _fresh("import sys, json, workbench; "
                    f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))")
    assert loaded == []


def test_first_use_of_a_lazy_name_imports_its_family_only():
    loaded = _fresh("import sys, json, workbench as wb; f = wb.sort; "
                    "print(json.dumps([f.__module__, 'workbench.ops.sorting' in sys.modules, "
                    "'workbench.keras' in sys.modules]))")
    assert loaded == ["workbench.ops.sorting", True, False]


def test_registry_lists_every_builtin_primitive_without_the_families_imported():
    # Oracle: a process that imports every module under workbench/ops by walking the folder.
    walk = ("import sys, json, pkgutil, importlib, workbench as wb, workbench.ops as ops; "
            "[importlib.import_module('workbench.ops.' + m.name) "
            "for m in pkgutil.iter_modules(ops.__path__)]; print(json.dumps(sorted(wb.REGISTRY)))")
    listed = _fresh("import json, workbench as wb; print(json.dumps(sorted(wb.REGISTRY)))")
    assert listed == _fresh(walk)
    assert {"sin", "conv2d", "sort_by", "einsum"} <= set(listed)


@pytest.mark.parametrize("name", sorted(wb.__all__))
def test_every_public_name_resolves_and_is_listed(name):
    value = getattr(wb, name)
    assert name in dir(wb)
    if name in _exports.LAZY:  # the lazy name is the very object its module defines
        module, attribute = _exports.LAZY[name]
        source = sys.modules[module]
        assert value is (source if attribute is None else getattr(source, attribute))


def test_star_import_gives_all_public_names():
    namespace: dict = {}
    exec("from workbench import *", namespace)  # noqa: S102 - a fixed string
    assert set(wb.__all__) <= set(namespace)
    assert namespace["sort"] is wb.sort and namespace["keras"] is wb.keras


def test_unknown_attribute_raises_attribute_error_naming_it():
    with pytest.raises(AttributeError, match="no attribute 'not_a_name'"):
        wb.not_a_name  # noqa: B018
    assert len(wb.__all__) == len(set(wb.__all__))


def test_builtin_primitive_registered_after_an_engine_loaded_needs_its_rule(monkeypatch):
    # A family imported after ``workbench.compile`` is checked as it registers, not at import.
    monkeypatch.setattr(primitive, "REQUIRED_RULES", ["forward", "vjp", "numba"])
    with pytest.raises(wb.MissingRule, match="'late_sin' has no 'numba' rule"):
        wb.defprimitive("late_sin", np.sin, vjp=(lambda g, ans, x: g * wb.cos(x),),
                        kind="elementwise")
    assert "late_sin" not in wb.REGISTRY
