"""The tour, under a minute: derive and check, the seed regression eagerly and compiled (compile
time and run time reported apart), then the gallery rendered into --out."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "run the tour and render the quick gallery into ./workbench-demo/"


def add_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, default=Path("workbench-demo"),
                   help="where the gallery goes (default ./workbench-demo)")
    p.add_argument("--no-gallery", action="store_true", help="skip rendering the gallery")


def run(args: argparse.Namespace) -> int:
    from workbench import demo
    from workbench.cli.gallery import render

    demo.run()
    if args.no_gallery:
        return 0
    print("\n== The gallery (quick mode) ==")
    files, failures = render(args.out, quick=True)
    for failure in failures:
        print(f"error: {failure}")
    print(f"{len(files)} figures and animations in {args.out.resolve()}/")
    for path in files:
        print(f"  {path.name}")
    return 1 if failures else 0
