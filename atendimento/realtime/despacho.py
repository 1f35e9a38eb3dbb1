"""A consumer's message loop without an ``asyncio.wait`` per message.

Channels' ``await_many_dispatch`` waits on the client's and the channel layer's receive tasks
with ``asyncio.wait`` for every message (a waiter future plus callbacks added to and removed
from both tasks each time); with 1,000 sockets per process receiving every publication that
was the largest cost of a delivery after the socket write (bench/README.md, ``fanout.py``).
:func:`despachar_em_ordem` keeps its contract — messages from several sources handed to
``dispatch`` one at a time, in the order they complete, each source re-armed after its
message is handled, every task cancelled on exit — with one callback per task and one
future per wake-up.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any


async def despachar_em_ordem(
    fontes: list[Callable[[], Awaitable[Any]]], dispatch: Callable[[Any], Awaitable[None]]
) -> None:
    loop = asyncio.get_running_loop()
    sinal = [loop.create_future()]

    def acordar(_tarefa: asyncio.Future) -> None:
        if not sinal[0].done():
            sinal[0].set_result(None)

    def armar(fonte: Callable[[], Awaitable[Any]]) -> asyncio.Future:
        tarefa = asyncio.ensure_future(fonte())
        tarefa.add_done_callback(acordar)
        return tarefa

    tarefas = [armar(fonte) for fonte in fontes]
    try:
        while True:
            if not any(t.done() for t in tarefas):
                await sinal[0]
            sinal[0] = loop.create_future()  # completions from here on wake the next round
            for i, tarefa in enumerate(tarefas):
                if tarefa.done():
                    resultado = tarefa.result()
                    await dispatch(resultado)
                    tarefas[i] = armar(fontes[i])
    finally:
        for tarefa in tarefas:
            tarefa.remove_done_callback(acordar)
            tarefa.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await tarefa
