"""Fault injection on the desk as `make run` ships it (loopback only, its own data folder).

Each scenario injects a fault while webhooks arrive, waits for the desk to recover on its own
and prints the lost / duplicated / stuck counts and the recovery time; all counts must be 0
once the fault has cleared.  A webhook answered 503 (not stored) is retried by the sender, as
providers do; one answered 200 must end stored exactly once.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.falhas.apoio import Pilha, iniciar_pilha, parar_pilha
from tests.processos import pasta_de_dados

pytestmark = pytest.mark.integracao


@pytest.fixture(scope="module")
def pilha():
    with pasta_de_dados() as pasta:
        pilha = iniciar_pilha(pasta)
        try:
            yield pilha
        finally:
            assert parar_pilha(pilha) == []


def _relatar(capsys, cenario: str, resultado: dict, **extra) -> None:
    with capsys.disabled():
        campos = " ".join(f"{k}={v}" for k, v in {**resultado, **extra}.items())
        print(f"\n[falhas] {cenario}: {campos}")  # noqa: T201


def _aceitos(status: dict[str, int]) -> set[str]:
    return {wamid for wamid, codigo in status.items() if codigo == 200}


def _uma_vez(acao):
    feito = threading.Lock()
    estado = {"quando": None}

    def talvez(i: int, gatilho: int) -> None:
        if i == gatilho and feito.acquire(blocking=False):
            estado["quando"] = time.monotonic()
            acao()

    return talvez, estado


@pytest.mark.timeout(240)
def test_redis_morto_durante_rajada_de_1000_webhooks(pilha: Pilha, capsys):
    def matar_redis() -> None:
        os.kill(int((pilha.dados / "redis.pid").read_text()), signal.SIGKILL)

    talvez, estado = _uma_vez(matar_redis)
    status = pilha.rajada("redis", 1000, durante=lambda i: talvez(i, 300))
    aceitos = _aceitos(status)
    assert len(aceitos) == 1000  # Redis is not on the acknowledgement path's critical part
    pilha.processo.esperar_texto("redis de volta", limite=30)

    resultado = pilha.esperar_recuperacao("redis", aceitos)

    desde_a_falha = round(time.monotonic() - estado["quando"], 1)
    _relatar(capsys, "redis morto na rajada", resultado, desde_a_falha_s=desde_a_falha)
    assert (resultado["perdidas"], resultado["duplicadas"], resultado["presas"]) == (0, 0, 0)
    assert pilha.processo.proc.poll() is None  # the desk never went down


@pytest.mark.timeout(240)
def test_worker_morto_no_meio_de_um_lote(pilha: Pilha, capsys):
    def matar_worker() -> None:
        worker = pilha.filho("worker -Q")
        assert worker is not None
        os.killpg(worker.pid, signal.SIGKILL)

    talvez, _estado = _uma_vez(matar_worker)
    status = pilha.rajada("worker", 1000, durante=lambda i: talvez(i, 600))
    aceitos = _aceitos(status)
    assert len(aceitos) == 1000
    pilha.processo.esperar_texto("worker saiu", limite=30)

    resultado = pilha.esperar_recuperacao("worker", aceitos)

    _relatar(capsys, "worker SIGKILL no lote", resultado)
    assert (resultado["perdidas"], resultado["duplicadas"], resultado["presas"]) == (0, 0, 0)


@pytest.mark.timeout(240)
def test_postgres_reiniciado_sob_carga_503_e_nada_perdido(pilha: Pilha, capsys):
    def derrubar_postgres() -> None:  # immediate shutdown, as a crash: backends killed too
        from conectcrm import embedded

        pid, _ = embedded._postmaster(pilha.dados / "pg")
        os.kill(pid, signal.SIGQUIT)

    talvez, _estado = _uma_vez(derrubar_postgres)
    respostas: list[int] = []
    original = pilha.postar

    def postar(cliente, wamid, wa_id):
        codigo = original(cliente, wamid, wa_id)
        respostas.append(codigo)
        return codigo

    pilha.postar = postar
    try:
        status = pilha.rajada("postgres", 600, durante=lambda i: talvez(i, 200))
    finally:
        del pilha.postar
    aceitos = _aceitos(status)
    assert len(aceitos) == 600  # every webhook ends acknowledged (503s were retried)
    assert set(respostas) <= {200, 503}  # 503 while it was down: never 200, never 500

    resultado = pilha.esperar_recuperacao("postgres", aceitos)

    _relatar(capsys, "postgres reiniciado", resultado, respostas_503=respostas.count(503))
    assert (resultado["perdidas"], resultado["duplicadas"], resultado["presas"]) == (0, 0, 0)


def test_mesmo_payload_dez_vezes_ao_mesmo_tempo(pilha: Pilha, capsys):
    barreira = threading.Barrier(10)

    def enviar(_: int) -> int:
        with httpx.Client(base_url=pilha.base, timeout=15) as cliente:
            barreira.wait()
            return pilha.postar(cliente, "wamid.dez.00001", "5511900000010")

    with ThreadPoolExecutor(10) as executor:
        codigos = list(executor.map(enviar, range(10)))
    assert codigos == [200] * 10

    resultado = pilha.esperar_recuperacao("dez", {"wamid.dez.00001"})
    (eventos,) = pilha.sql(
        "SELECT count(*) FROM atendimento_eventos_webhook WHERE canal_id = %s "
        "AND convert_from(corpo, 'UTF8') LIKE %s",
        pilha.canal_id,
        "%wamid.dez.00001%",
    )[0]

    _relatar(capsys, "mesmo payload 10x", resultado, eventos_guardados=eventos)
    assert (resultado["perdidas"], resultado["duplicadas"], resultado["presas"]) == (0, 0, 0)
