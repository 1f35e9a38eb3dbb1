"""Process-wide helpers of the real-time layer that live as long as their event loop."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def um_por_loop(fabrica: Callable[[], T]) -> Callable[[], T]:
    """A getter of ``fabrica()``'s object for the running event loop: made on first use in
    each loop, dropped with the loop (a test's loop, a server's loop)."""
    por_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, T] = weakref.WeakKeyDictionary()

    def obter() -> T:
        loop = asyncio.get_running_loop()
        atual = por_loop.get(loop)
        if atual is None:
            atual = por_loop[loop] = fabrica()
        return atual

    return obter
