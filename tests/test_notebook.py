"""docs/tour.ipynb runs top to bottom in a real Jupyter kernel and shows the rich outputs: the
graph listing and the chain-rule table as HTML, the derivation as LaTeX, figures as PNG, the animation as HTML."""

import os
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="the notebook test needs nbformat")
nbclient = pytest.importorskip("nbclient", reason="the notebook test needs nbclient")
pytest.importorskip("ipykernel", reason="the notebook test needs ipykernel")

TOUR = Path(__file__).resolve().parent.parent / "docs" / "tour.ipynb"


def test_tour_notebook_executes_with_rich_outputs(tmp_path, monkeypatch):
    nb = nbformat.read(TOUR, as_version=4)
    root = str(TOUR.parent.parent)  # the kernel imports this checkout's workbench
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]))
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec("python3")
    except NoSuchKernel as exc:
        pytest.skip(f"no python3 Jupyter kernel can start here: {exc}")
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    kinds = [set(o.get("data", {})) for o in outputs]
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert any("t2 = mul t1 x" in h for h in html)  # the graph listing
    assert any("<table" in h and "adjoint" in h for h in html)  # the chain-rule table
    assert any("<script" in h and "anim" in h.lower() for h in html)  # the animation
    latex = [o["data"].get("text/latex", "") + o["data"].get("text/markdown", "")
             for o in outputs if "data" in o]
    assert any(r"\frac{\partial f}{\partial x}" in t for t in latex)
    assert sum("image/png" in k for k in kinds) >= 2  # the card and the derivative plot
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "digraph" in text and "sympy" in text
