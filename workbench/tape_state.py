"""The stack of tapes that are recording right now (a context variable, safe across threads)."""

import os
import sys
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

#: Active tapes, innermost last. A tuple, so reading it on the hot path needs no copy.
ACTIVE: ContextVar[tuple[Any, ...]] = ContextVar("workbench_active_tapes", default=())


@contextmanager
def paused(tapes: tuple[Any, ...] | None = None):
    """Stop ``tapes`` (default: all) from recording inside the block."""
    current = ACTIVE.get()
    keep = () if tapes is None else tuple(t for t in current if t not in tapes)
    token = ACTIVE.set(keep)
    try:
        yield
    finally:
        ACTIVE.reset(token)
        # a tape that exited inside the block stays exited
        restored = ACTIVE.get()
        if any(not getattr(t, "_recording", True) for t in restored):
            ACTIVE.set(tuple(t for t in restored if getattr(t, "_recording", True)))


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def caller_location() -> str:
    """``file:line`` of the innermost frame outside workbench (where the user's code is)."""
    frame = sys._getframe(1)
    while frame is not None and _is_internal(frame.f_code.co_filename):
        frame = frame.f_back
    return "<unknown>" if frame is None else f"{frame.f_code.co_filename}:{frame.f_lineno}"


def _is_internal(filename: str) -> bool:
    # The demo is written like user code, so its lines are the ones worth pointing at.
    return filename.startswith(_PACKAGE_DIR) and not filename.endswith("demo.py")
