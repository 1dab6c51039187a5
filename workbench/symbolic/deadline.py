"""Wall-clock deadlines that stop long SymPy calls: an interval timer (``signal.setitimer``) in
the main thread raises inside SymPy; elsewhere optional work (``simplify``) is skipped."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

#: Wall seconds one ``simplify``/``factor`` may take before its input is kept as it is.
SIMPLIFY_SECONDS = 2.0
#: After the first alarm, the timer fires again this often until the deadline is handled
#: (SymPy code that swallows one interruption is interrupted again).
_REPEAT = 0.05


class Expired(BaseException):
    """A deadline passed inside a SymPy call (a BaseException, so ``except Exception`` in SymPy
    cannot swallow it); turned into a budget error or a skipped step where the deadline was set."""

    def __init__(self, token: object):
        super().__init__("deadline passed")
        self.token = token


_stack: list[tuple[float, object]] = []  # (time.perf_counter deadline, token), main thread only
_saved: list[Any] = []  # the SIGALRM handler to restore once the stack empties
_shield = [0]  # > 0 while code that must not be interrupted runs (tape state, our cleanup)


def can_interrupt() -> bool:
    """True where a timer can stop a running SymPy call: the main thread, with no interval
    timer of someone else's running (ours are restored exactly as they were)."""
    if threading.current_thread() is not threading.main_thread() or \
            not hasattr(signal, "setitimer"):
        return False
    return bool(_stack) or signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def _on_alarm(signum: int, frame: Any) -> None:
    if _shield[0]:
        return  # the timer repeats: the deadline is enforced once the shield is left
    now = time.perf_counter()
    for when, token in _stack:  # the outermost expired deadline wins
        if now >= when:
            raise Expired(token)


def _arm() -> None:
    if not _stack:
        signal.setitimer(signal.ITIMER_REAL, 0.0)
        return
    first = min(when for when, _ in _stack)
    signal.setitimer(signal.ITIMER_REAL, max(first - time.perf_counter(), 1e-4), _REPEAT)


@contextmanager
def deadline(when: float, token: object) -> Iterator[bool]:
    """Inside the block, ``Expired(token)`` is raised once ``time.perf_counter() >= when``.

    Yields True if the deadline is enforced by the timer (False where :func:`can_interrupt`
    is False: then the caller checks the clock between steps).
    """
    if not can_interrupt():
        yield False
        return
    entry = (when, token)
    with shielded():
        if not _stack:
            _saved.append(signal.signal(signal.SIGALRM, _on_alarm))
        _stack.append(entry)
        _arm()
    try:
        yield True
    finally:
        _shield[0] += 1  # an alarm from here on is ignored: the cleanup always completes
        try:
            if entry in _stack:
                _stack.remove(entry)
            _arm()
            if not _stack and _saved:
                signal.signal(signal.SIGALRM, _saved.pop())
        finally:
            _shield[0] -= 1


@contextmanager
def shielded() -> Iterator[None]:
    """No deadline interrupts the block (for code that changes shared state, such as the tape
    stack); a deadline that passes meanwhile is enforced right after it."""
    _shield[0] += 1
    try:
        yield
    finally:
        _shield[0] -= 1


def attempt(fn: Callable[..., Any], *args: Any, seconds: float,
            otherwise: Callable[[], Any]) -> Any:
    """``fn(*args)`` if it returns within ``seconds``, else ``otherwise()``.

    Where no timer can stop ``fn`` (not the main thread), ``otherwise()`` is used at once: an
    unbounded call is never started without a way to stop it.

    >>> attempt(sum, [1, 2], seconds=1.0, otherwise=lambda: None)
    3
    """
    if not can_interrupt():
        return otherwise()
    token = object()
    try:
        with deadline(time.perf_counter() + max(seconds, 0.0), token):
            return fn(*args)
    except Expired as exc:
        if exc.token is not token:
            raise
    return otherwise()
