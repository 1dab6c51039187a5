"""Render the gallery: every ``gallery/plot_*.py`` script writes its PNG/GIF files into --out.

Example:
  workbench gallery --out my-figures --quick
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path

from workbench.cli._common import repository_folder

HELP = "render every gallery script into --out (a progress bar on stderr)"


def add_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, default=Path("workbench-gallery"),
                   help="output folder (default ./workbench-gallery)")
    p.add_argument("--quick", action="store_true", help="small grids and few steps (seconds)")
    p.add_argument("--only", metavar="NAME", action="append",
                   help="render only the scripts whose name contains NAME; repeatable")


def scripts(only: list[str] | None = None) -> list[Path]:
    """The gallery scripts, sorted, optionally those whose name contains one of ``only``."""
    found = sorted(repository_folder("gallery").glob("plot_*.py"))
    return [s for s in found if not only or any(o in s.stem for o in only)]


def _progress(i: int, n: int, name: str, width: int = 24) -> None:
    done = width * i // max(n, 1)
    sys.stderr.write(f"\r[{'#' * done}{'.' * (width - done)}] {i}/{n} {name:<28}")
    sys.stderr.flush()


Progress = Callable[[int, int, str], None]


def render(out: Path, quick: bool, only: list[str] | None = None,
           progress: Progress | None = _progress) -> tuple[list[Path], list[str]]:
    """Run each script's ``main(["--out", out, ...])``; return the files written and failures."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    todo = scripts(only)
    files: list[Path] = []
    failures: list[str] = []
    for i, script in enumerate(todo):
        if progress:
            progress(i, len(todo), script.stem)
        spec = importlib.util.spec_from_file_location(f"gallery_{script.stem}", script)
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
            files += [Path(p) for p in module.main(["--out", str(out)] + ["--quick"] * quick)]
        except Exception as exc:  # noqa: BLE001 - one failing script does not stop the others
            failures.append(f"{script.name}: {type(exc).__name__}: {exc}")
        finally:
            plt.close("all")
    if progress:
        progress(len(todo), len(todo), "done")
        sys.stderr.write("\n")
    return files, failures


def run(args: argparse.Namespace) -> int:
    files, failures = render(args.out, args.quick, args.only)
    for path in files:
        print(path)
    for failure in failures:
        print(f"error: {failure}", file=sys.stderr)
    print(f"{len(files)} files in {args.out.resolve()}")
    return 1 if failures else 0
