"""What a gallery script needs: ``--out DIR`` and ``--quick`` arguments, and saving a Figure as PNG
or an Animation as GIF (Pillow) into that folder."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt


def script_args(argv: Sequence[str] | None, description: str | None,
                default_out: Path) -> argparse.Namespace:
    """Parse a gallery script's ``--out DIR`` (default ``default_out``) and ``--quick``.

    >>> from pathlib import Path
    >>> args = script_args(["--quick"], "demo", Path("out"))
    >>> args.out, args.quick
    (PosixPath('out'), True)
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--out", type=Path, default=default_out,
                        help=f"output folder (default {default_out})")
    parser.add_argument("--quick", action="store_true", help="fewer steps and smaller grids")
    return parser.parse_args(argv)


def save(figure: Any, out: Path, name: str, dpi: int = 100, fps: int = 8) -> Path:
    """Write ``figure`` (a Figure as PNG; a FuncAnimation as GIF with Pillow, or MP4 where
    ffmpeg is installed) to ``out/name``, close it and return the path.

    >>> import tempfile, matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> _ = ax.plot([0, 1], [1, 0])
    >>> save(fig, Path(tempfile.mkdtemp()), "line.png").suffix
    '.png'
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / name
    if hasattr(figure, "save") and hasattr(figure, "event_source"):  # an Animation
        figure.save(path, writer="ffmpeg" if path.suffix == ".mp4" else "pillow", fps=fps,
                    dpi=dpi)
        plt.close(figure._fig)
    else:
        figure.savefig(path, dpi=dpi)
        plt.close(figure)
    return path
