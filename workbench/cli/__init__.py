"""The ``workbench`` command: one module per subcommand (diff, check, gallery, bench, demo).

Usage errors print one line on stderr and exit with status 2; ``--help`` works everywhere.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from workbench.cli import bench, check, demo, diff, gallery
from workbench.cli._common import UsageError

COMMANDS = {"diff": diff, "check": check, "gallery": gallery, "bench": bench, "demo": demo}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line instead of usage + message
        raise UsageError(f"{self.prog}: {message} (see {self.prog} --help)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered."""
    parser = _Parser(prog="workbench", description="derive, tape, check, compile and plot")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser,
                                metavar="COMMAND")
    for name, module in COMMANDS.items():
        module.add_parser(sub.add_parser(name, help=module.HELP, description=module.__doc__,
                                         formatter_class=argparse.RawDescriptionHelpFormatter))
    sub.add_parser("version", help="print the version")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); return the exit status.

    >>> main(["version"])
    0.1.0
    0
    """
    try:
        args = build_parser().parse_args(argv)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    if args.command == "version":
        import workbench

        print(workbench.__version__)
        return 0
    try:
        return COMMANDS[args.command].run(args)
    except UsageError as exc:
        print(f"error: workbench {args.command}: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader went away (e.g. `workbench diff ... | head`)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
