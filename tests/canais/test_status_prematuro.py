"""A delivery status that arrives before the send task recorded the provider's message id (Meta
sends ``sent`` right after answering the send call) is not dropped: the event stays
``recebido`` and is retried later; after WEBHOOK_ESPERA_STATUS_SEGUNDOS it ends ``processado``
with a note."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from atendimento.models import EventoWebhook, Mensagem
from canais.tasks.entrada import process_webhook
from canais.webhooks_guardados import evento_webhook_processar
from conectcrm.celery import app as celery_app
from tests.saida_apoio import saida_pendente, ticket_aberto

from .webhook_apoio import canal_wa

PNID = "1122334455667"  # the fixture's phone_number_id
WAMID = "wamid.xyzxyz"
FILA = "webhooks"


@pytest.fixture
def status_lido(empresa, fila, fixture_bytes):
    canal = canal_wa(empresa, fila, pnid=PNID)
    corpo = fixture_bytes("whatsapp/status_read_pywa.json")
    evento = EventoWebhook.objects.create(
        empresa=empresa, canal=canal, corpo=corpo, url="https://x/"
    )
    return canal, evento


@pytest.fixture
def broker():
    """This test's messages in the broker's ``webhooks`` list (removed afterwards)."""
    with celery_app.connection_for_write() as conexao:
        cliente = conexao.default_channel.client
        antes = cliente.lrange(FILA, 0, -1)
        yield lambda: [json.loads(m) for m in cliente.lrange(FILA, 0, -1) if m not in antes]
        for mensagem in cliente.lrange(FILA, 0, -1):
            if mensagem not in antes:
                cliente.lrem(FILA, 0, mensagem)


@pytest.mark.django_db(transaction=True)
def test_status_antes_do_id_fica_para_depois_e_e_aplicado(status_lido, fila, atendente, broker):
    canal, evento = status_lido

    assert process_webhook(str(evento.pk)) == "recebido"

    evento.refresh_from_db()
    assert (evento.status, evento.tentativas) == ("recebido", 1)
    assert evento.erro == f"aguardando a mensagem do status: {WAMID}"
    (reagendada,) = broker()
    assert reagendada["headers"]["task"] == "canais.tasks.process_webhook"
    assert reagendada["headers"]["argsrepr"] == repr((str(evento.pk),))
    assert reagendada["headers"]["eta"] is not None  # retried later, not now

    # the send task commits the provider's id; the retry then applies the status
    ticket = ticket_aberto(canal, fila, conversa="16315551234")
    mensagem = saida_pendente(ticket, atendente, status=Mensagem.Status.ENVIADA, id_externo=WAMID)
    assert process_webhook(str(evento.pk)) == "processado"

    mensagem.refresh_from_db()
    assert mensagem.status == Mensagem.Status.LIDA
    evento.refresh_from_db()
    assert (evento.status, evento.tentativas, evento.erro) == ("processado", 2, "")


def test_depois_da_espera_desiste_com_nota(status_lido, settings):
    _, evento = status_lido
    settings.WEBHOOK_ESPERA_STATUS_SEGUNDOS = 120  # read when the event is processed
    antes = timezone.now() - timedelta(seconds=100)
    EventoWebhook.objects.filter(pk=evento.pk).update(recebido_em=antes)
    assert evento_webhook_processar(evento_id=evento.pk) == "recebido"  # still waiting

    antes = timezone.now() - timedelta(seconds=121)
    EventoWebhook.objects.filter(pk=evento.pk).update(recebido_em=antes)
    assert evento_webhook_processar(evento_id=evento.pk) == "processado"

    evento.refresh_from_db()
    assert evento.status == "processado"
    assert evento.erro == f"status de mensagem desconhecida ignorado: {WAMID}"
    assert Mensagem.objects.count() == 0


def test_drenagem_nao_repete_o_status_pendente(status_lido, django_capture_on_commit_callbacks):
    _, evento = status_lido
    EventoWebhook.objects.filter(pk=evento.pk).update(tentativas=1)

    with django_capture_on_commit_callbacks() as callbacks:
        process_webhook(drenar=True)

    evento.refresh_from_db()
    assert (evento.status, evento.tentativas) == ("recebido", 1)  # left to its retry
    assert callbacks == []
