"""Server processes freeze the objects of their start (``conectcrm.memoria``) once started: the
ASGI lifespan's startup of each web process, a Celery worker's pool process and main process,
and beat.  Never on import: tests and management commands keep the collector's default."""

from __future__ import annotations

import asyncio
import gc
import weakref

import pytest
from celery.signals import beat_init, worker_process_init, worker_ready

from conectcrm import asgi, memoria


class _Objeto:
    pass


@pytest.fixture
def descongelar():
    yield
    gc.unfreeze()


def test_congelar_inicio_coleta_o_lixo_e_tira_o_resto_das_varreduras(descongelar):
    vivo = _Objeto()
    lixo = _Objeto()
    lixo.ciclo = lixo  # garbage only the cyclic collector frees
    ref_lixo = weakref.ref(lixo)
    del lixo
    assert any(o is vivo for o in gc.get_objects())

    congelados = memoria.congelar_inicio()

    assert ref_lixo() is None  # collected first: garbage is not kept forever
    assert congelados == gc.get_freeze_count() > 0
    assert not any(o is vivo for o in gc.get_objects())  # frozen: no collection walks it
    depois = _Objeto()
    assert any(o is depois for o in gc.get_objects())  # what comes later is collected as usual


def _ciclo_de_vida(mensagens: list[dict]) -> list[dict]:
    """Run the ASGI app's lifespan with ``mensagens`` from the server; what it answered."""
    entrada: asyncio.Queue = asyncio.Queue()
    respostas: list[dict] = []

    async def enviar(mensagem: dict) -> None:
        respostas.append(mensagem)

    async def rodar() -> None:
        for mensagem in mensagens:
            entrada.put_nowait(mensagem)
        await asyncio.wait_for(asgi.application({"type": "lifespan"}, entrada.get, enviar), 10)

    asyncio.run(rodar())
    return respostas


def test_lifespan_do_servidor_web_congela_e_inicia_o_gravador_ao_iniciar(monkeypatch):
    chamadas = []
    monkeypatch.setattr(asgi, "congelar_inicio", lambda: chamadas.append("congelar"))
    monkeypatch.setattr(asgi.gravador, "iniciar", lambda: chamadas.append("gravador"))

    respostas = _ciclo_de_vida([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])

    assert respostas == [
        {"type": "lifespan.startup.complete"},
        {"type": "lifespan.shutdown.complete"},
    ]
    assert chamadas == ["congelar", "gravador"]


def test_processos_do_celery_congelam_ao_iniciar(monkeypatch):
    chamadas = []
    monkeypatch.setattr(memoria, "congelar_inicio", lambda: chamadas.append("congelar"))
    monkeypatch.setattr("ia.aquecimento.aquecer_se_fila_ia", lambda app: None)

    worker_process_init.send(sender=None)  # a pool process, after the fork
    worker_ready.send(sender=None)  # the worker's main process, its pool up
    beat_init.send(sender=None)

    assert chamadas == ["congelar"] * 3
