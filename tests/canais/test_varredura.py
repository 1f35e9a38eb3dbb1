"""Nothing accepted is lost: with the broker unreachable a signed webhook is still stored and
answered 200; the sweep re-queues what stayed ``recebido``, once per claim, and processing is
idempotent."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from atendimento.models import EventoWebhook, Mensagem, Ticket
from canais.tasks.entrada import varrer_webhooks_pendentes
from canais.webhooks_guardados import (
    evento_webhook_processar,
    evento_webhook_registrar_falha,
    eventos_webhook_pendentes_reivindicar,
)
from conectcrm.settings import WEBHOOK_MAX_TENTATIVAS as MAX_TENTATIVAS
from tests.atendimento.test_entrada_concorrente import em_paralelo
from tests.factories import CanalFactory

from .webhook_apoio import broker_em, canal_wa, modo_eager, postar_whatsapp

PNID = "106540352242922"
BROKER_MORTO = "redis+socket:///nao/existe/redis.sock?virtual_host=1"


def envelhecer(segundos: float = 120) -> None:
    antes = timezone.now() - timedelta(seconds=segundos)
    EventoWebhook.objects.update(recebido_em=antes, atualizado_em=antes)


def evento(canal, **extra) -> EventoWebhook:
    campos = {"corpo": b"{}", "url": "https://x/", **extra}
    return EventoWebhook.objects.create(empresa=canal.empresa, canal=canal, **campos)


@pytest.mark.django_db(transaction=True)
def test_broker_fora_do_ar_webhook_guardado_e_varredura_processa(
    client, empresa, fila, fixture_bytes, caplog
):
    canal_wa(empresa, fila, pnid=PNID)
    corpo = fixture_bytes("whatsapp/text_message_metadocs.json")

    with broker_em(BROKER_MORTO):
        resposta = postar_whatsapp(client, empresa.id, corpo)

    assert resposta.status_code == 200
    evento_guardado = EventoWebhook.objects.get()
    assert (evento_guardado.status, bytes(evento_guardado.corpo)) == ("recebido", corpo)
    assert Mensagem.objects.count() == 0
    assert "broker indisponível: canais.tasks.process_webhook" in caplog.text

    with modo_eager():  # the re-queued task runs inline
        assert varrer_webhooks_pendentes() == 0  # too recent: its task may still be in flight
        envelhecer()
        assert varrer_webhooks_pendentes() == 1  # broker back: re-queued and processed

    evento_guardado.refresh_from_db()
    assert (evento_guardado.status, evento_guardado.tentativas) == ("processado", 1)
    assert Mensagem.objects.get().conteudo == "Does it come in another color?"
    assert Ticket.objects.count() == 1
    envelhecer()
    with modo_eager():
        assert varrer_webhooks_pendentes() == 0  # nothing left


def test_reivindicar_so_pendentes_antigos_e_uma_vez_por_rodada(canal_whatsapp):
    pendentes = [evento(canal_whatsapp) for _ in range(3)]
    for status in ("processado", "falhou", "ignorado"):
        evento(canal_whatsapp, status=status)
    envelhecer()
    recente = evento(canal_whatsapp)

    primeira = eventos_webhook_pendentes_reivindicar(idade_segundos=30, limite=2)
    segunda = eventos_webhook_pendentes_reivindicar(idade_segundos=30, limite=10)
    terceira = eventos_webhook_pendentes_reivindicar(idade_segundos=30, limite=10)

    antigos = {e.id for e in pendentes}
    assert len(primeira) == 2
    assert set(primeira) | set(segunda) == antigos
    assert not set(primeira) & set(segunda)
    assert recente.id not in set(primeira) | set(segunda)
    assert terceira == []  # claimed just now: the next round waits for the age again


@pytest.mark.django_db(transaction=True)
def test_duas_varreduras_ao_mesmo_tempo_nao_pegam_o_mesmo_evento(canal_whatsapp):
    for _ in range(40):
        evento(canal_whatsapp)
    envelhecer()

    def varrer():
        return eventos_webhook_pendentes_reivindicar(idade_segundos=30, limite=25)

    a, b = em_paralelo([varrer, varrer])

    assert not set(a) & set(b)
    assert len(set(a) | set(b)) == 40


@pytest.mark.django_db(transaction=True)
def test_evento_sendo_processado_por_outro_worker_e_pulado(canal_whatsapp):
    guardado = evento(canal_whatsapp)
    travado, liberar = threading.Event(), threading.Event()

    def outro_worker():
        try:
            with transaction.atomic():
                EventoWebhook.objects.select_for_update().get(pk=guardado.pk)
                travado.set()
                liberar.wait(30)
        finally:
            connection.close()

    thread = threading.Thread(target=outro_worker)
    thread.start()
    assert travado.wait(30)
    try:
        pulado = evento_webhook_processar(evento_id=guardado.pk)
        reivindicados = eventos_webhook_pendentes_reivindicar(idade_segundos=-60, limite=10)
    finally:
        liberar.set()
        thread.join(30)

    assert (pulado, reivindicados) == (None, [])
    guardado.refresh_from_db()
    assert (guardado.status, guardado.tentativas) == ("recebido", 0)


def test_processar_de_novo_nao_faz_nada(canal_whatsapp, fixture_bytes):
    canal = CanalFactory(empresa=canal_whatsapp.empresa, config={"phone_number_id": PNID})
    guardado = evento(canal, corpo=fixture_bytes("whatsapp/text_message_metadocs.json"))

    assert evento_webhook_processar(evento_id=guardado.pk) == "processado"
    assert evento_webhook_processar(evento_id=guardado.pk) is None
    guardado.refresh_from_db()
    assert (guardado.status, guardado.tentativas) == ("processado", 1)
    assert Mensagem.objects.count() == 1


def test_falhas_inesperadas_contam_ate_desistir(canal_whatsapp):
    guardado = evento(canal_whatsapp)

    for n in range(1, MAX_TENTATIVAS + 1):
        evento_webhook_registrar_falha(evento_id=guardado.pk, erro=f"KeyError: {n}")
        guardado.refresh_from_db()
        assert guardado.tentativas == n
        assert guardado.status == ("falhou" if n == MAX_TENTATIVAS else "recebido")

    assert guardado.erro == f"KeyError: {MAX_TENTATIVAS}"
    assert guardado.processado_em is not None
