"""Every gallery script runs on the public API in --quick mode and writes real, non-blank images
(PNG figures; GIF animations with more than one frame)."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

GALLERY = Path(__file__).resolve().parent.parent / "gallery"
SCRIPTS = sorted(GALLERY.glob("plot_*.py"))


def _load(script: Path):
    spec = importlib.util.spec_from_file_location(f"gallery_{script.stem}", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _assert_not_blank(image: Image.Image, what: str) -> None:
    pixels = np.asarray(image.convert("L"), dtype=float)
    assert pixels.std() > 10.0, f"{what} looks blank (pixel std {pixels.std():.1f})"


def test_gallery_has_the_issue_scripts():
    names = {s.stem for s in SCRIPTS}
    assert {"plot_seed_descent", "plot_derivatives", "plot_seed_regressions",
            "plot_least_squares_landscape", "plot_grid_vs_descent", "plot_stability_heatmap",
            "plot_derivation_card"} <= names
    readme = (GALLERY / "README.md").read_text()
    assert all(s.name in readme for s in SCRIPTS)


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_gallery_script_writes_images(script, tmp_path):
    import matplotlib.pyplot as plt

    files = [Path(p) for p in _load(script).main(["--out", str(tmp_path), "--quick"])]
    assert files and all(p.parent == tmp_path for p in files)
    assert not plt.get_fignums(), "the script left figures open"
    for path in files:
        assert path.exists() and path.stat().st_size > 10_000, path
        with Image.open(path) as image:
            assert image.format == path.suffix[1:].upper(), path
            assert 300 <= image.size[0] <= 2500 and 250 <= image.size[1] <= 2000, image.size
            _assert_not_blank(image, path.name)
            if image.format == "GIF":
                assert image.n_frames > 1, f"{path.name} has one frame"
                image.seek(image.n_frames - 1)
                _assert_not_blank(image, f"{path.name} (last frame)")
