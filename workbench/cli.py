"""The ``workbench`` command: ``workbench demo`` runs the tour of what the package can do."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="workbench", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="run the tour: tape, explain, training, jacobians")
    sub.add_parser("version", help="print the version")
    args = parser.parse_args(argv)
    if args.command == "demo":
        from workbench import demo

        demo.run()
    elif args.command == "version":
        import workbench

        print(workbench.__version__)
    return 0


if __name__ == "__main__":
    sys.exit(main())
