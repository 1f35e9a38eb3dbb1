"""One message through the real stack: HTTP into a real daphne serving conectcrm.asgi, a real
Celery worker, the test PostgreSQL and Redis, and the ``nova_mensagem`` event read from the real
channel layer.  Then the broker-outage path with the real worker: the webhook is stored while
the broker is unreachable and the sweep, run by the worker, processes it once Redis is back."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from atendimento.models import EventoWebhook, Mensagem
from atendimento.realtime.grupos import grupo_supervisores
from canais.tasks.entrada import varrer_webhooks_pendentes
from conectcrm.celery import app as celery_app
from tests.canais.test_varredura import BROKER_MORTO, envelhecer
from tests.canais.webhook_apoio import assinar, broker_em, canal_wa, postar_whatsapp, url_webhook
from tests.processos import celery_worker, servidor_daphne

pytestmark = [pytest.mark.integracao, pytest.mark.django_db(transaction=True)]

PNID = "106540352242922"
LIMITE = 60


@pytest.fixture
def filas_vazias():
    """No task left in this run's broker database by earlier tests."""
    with celery_app.connection_for_write() as conexao:
        conexao.default_channel.client.flushdb()


class Ouvinte:
    def __init__(self, grupo: str) -> None:
        self.camada = get_channel_layer()
        self.canal = async_to_sync(self.camada.new_channel)()
        async_to_sync(self.camada.group_add)(grupo, self.canal)

    def proximo(self, evento: str, limite: float = LIMITE) -> dict:
        """The next frame named ``evento`` (others are skipped), or fail after ``limite`` s."""

        async def ler() -> dict:
            while True:
                quadro = await self.camada.receive(self.canal)
                if quadro.get("evento") == evento:
                    return quadro["dados"]

        return async_to_sync(asyncio.wait_for)(ler(), limite)


def esperar(condicao, limite: float = LIMITE) -> None:
    fim = time.monotonic() + limite
    while not condicao():
        assert time.monotonic() < fim, "condição não atingida"
        time.sleep(0.1)


@pytest.mark.usefixtures("filas_vazias")
def test_webhook_por_http_worker_real_ate_o_evento_publicado(empresa, fila, fixture_bytes):
    canal = canal_wa(empresa, fila, pnid=PNID)
    corpo = fixture_bytes("whatsapp/text_message_metadocs.json")
    ouvinte = Ouvinte(grupo_supervisores(empresa.id))

    with celery_worker(filas="webhooks,messages"), servidor_daphne() as base:
        resposta = httpx.post(
            base + url_webhook("whatsapp", empresa.id),
            content=corpo,
            headers={"Content-Type": "application/json", "X-Hub-Signature-256": assinar(corpo)},
            timeout=30,
        )
        assert (resposta.status_code, resposta.text) == (200, "ok")
        novo_ticket = ouvinte.proximo("novo_ticket")
        nova_mensagem = ouvinte.proximo("nova_mensagem")

    mensagem = Mensagem.objects.get()
    assert (mensagem.canal_id, mensagem.conteudo, mensagem.tipo) == (
        canal.id,
        "Does it come in another color?",
        "texto",
    )
    assert nova_mensagem["id"] == str(mensagem.id)
    assert nova_mensagem["conteudo"] == "Does it come in another color?"
    assert novo_ticket["id"] == str(mensagem.ticket_id)
    evento = EventoWebhook.objects.get()
    assert (evento.status, evento.tentativas) == ("processado", 1)


@pytest.mark.usefixtures("filas_vazias")
def test_broker_fora_do_ar_e_a_varredura_do_worker_real_recupera(
    client, empresa, fila, fixture_bytes
):
    canal_wa(empresa, fila, pnid=PNID)
    corpo = fixture_bytes("whatsapp/image_message_metadocs.json")
    ouvinte = Ouvinte(grupo_supervisores(empresa.id))

    with broker_em(BROKER_MORTO):
        resposta = postar_whatsapp(client, empresa.id, corpo)
    assert resposta.status_code == 200
    assert EventoWebhook.objects.get().status == "recebido"
    envelhecer()

    with celery_worker(filas="webhooks"):
        varrer_webhooks_pendentes.delay()  # as beat would, now that Redis answers again
        dados = ouvinte.proximo("nova_mensagem")
        esperar(lambda: EventoWebhook.objects.get().status == "processado")

    mensagem = Mensagem.objects.get()
    assert (dados["id"], mensagem.conteudo, mensagem.tipo) == (
        str(mensagem.id),
        "Taj Mahal",
        "imagem",
    )
    assert Mensagem.objects.count() == 1


@pytest.mark.usefixtures("filas_vazias")
def test_rajada_coalescida_o_worker_real_drena_todos(client, settings, empresa, fila):
    """With the "despertar" flag on, a burst of webhooks queues a few draining tasks, and the
    real worker stores each message once and publishes each ``nova_mensagem`` once."""

    from canais.despertar import despertar_rearmar
    from tests.canais.test_drenagem import PNID as PNID_DRENAGEM
    from tests.canais.test_drenagem import corpo

    settings.WEBHOOK_DESPERTAR_SEGUNDOS = 30
    despertar_rearmar()
    canal_wa(empresa, fila, pnid=PNID_DRENAGEM)
    ouvinte = Ouvinte(grupo_supervisores(empresa.id))
    with celery_worker(filas="webhooks"):
        for n in range(20):
            resposta = postar_whatsapp(
                client, empresa.id, corpo(f"wamid.c{n}", f"55119876500{n % 3:02d}")
            )
            assert resposta.status_code == 200
        recebidos = [ouvinte.proximo("nova_mensagem")["id"] for _ in range(20)]
        esperar(lambda: not EventoWebhook.objects.filter(status="recebido").exists())

    assert sorted(recebidos) == sorted(
        str(i) for i in Mensagem.objects.values_list("id", flat=True)
    )
    assert Mensagem.objects.count() == 20
    assert set(EventoWebhook.objects.values_list("status", "tentativas")) == {("processado", 1)}
    despertar_rearmar()
