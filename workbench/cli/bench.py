"""Run the benchmark scripts (``benchmarks/*.py``) and print their tables.

Examples:
  workbench bench --quick         # the fast ones
  workbench bench --only jacobian
  workbench bench --list
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from workbench.cli._common import UsageError, repository_folder

HELP = "run the benchmarks and print their tables"
QUICK = ("eager_overhead", "jacobian", "compiled_overhead")


def add_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quick", action="store_true", help=f"only {', '.join(QUICK)}")
    p.add_argument("--only", metavar="NAME", action="append",
                   help="only the scripts whose name contains NAME; repeatable")
    p.add_argument("--list", action="store_true", help="list the scripts and exit")


def scripts() -> list[Path]:
    """The benchmark scripts (files not starting with ``_``)."""
    return sorted(p for p in repository_folder("benchmarks").glob("*.py")
                  if not p.name.startswith("_"))


def run(args: argparse.Namespace) -> int:
    todo = scripts()
    if args.list:
        for path in todo:
            print(path.stem)
        return 0
    if args.quick:
        todo = [p for p in todo if p.stem in QUICK]
    if args.only:
        todo = [p for p in todo if any(o in p.stem for o in args.only)]
    if not todo:
        raise UsageError("no benchmark matches (see workbench bench --list)")
    root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [root] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    status = 0
    for path in todo:
        print(f"== {path.stem} ==", flush=True)
        done = subprocess.run([sys.executable, path.name], cwd=path.parent, env=env, check=False)
        if done.returncode:
            print(f"error: {path.name} exited with status {done.returncode}", file=sys.stderr)
            status = 1
    return status
