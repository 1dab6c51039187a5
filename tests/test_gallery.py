"""Every gallery script runs on the public API and writes a real PNG figure."""

import importlib.util
from pathlib import Path

import pytest

GALLERY = Path(__file__).resolve().parent.parent / "gallery"
SCRIPTS = sorted(GALLERY.glob("plot_*.py"))
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_gallery_is_not_empty():
    assert len(SCRIPTS) >= 3


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_gallery_script_writes_png(script, tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location(script.stem, script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "OUT", tmp_path)
    path = Path(module.main())
    assert path.parent == tmp_path
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 10_000
