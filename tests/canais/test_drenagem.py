"""Draining the webhooks queue: a burst of webhooks queues one task (the "despertar" flag), that
task processes every pending event oldest first, and an event that fails is left to the sweep."""

from __future__ import annotations

import json

import pytest

from atendimento.models import EventoWebhook, Mensagem
from canais.adapters.whatsapp import AdaptadorWhatsApp
from canais.despertar import despertar_armado, despertar_rearmar
from canais.tasks.entrada import process_webhook
from conectcrm.celery import app as celery_app

from .webhook_apoio import canal_wa, postar_whatsapp

PNID = "106540352242977"
FILA = "webhooks"


def corpo(wamid: str, wa_id: str = "5511987654321", texto: str = "oi") -> bytes:
    mensagem = {"from": wa_id, "id": wamid, "timestamp": "1700000000", "type": "text"}
    mensagem["text"] = {"body": texto}
    valor = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550000000", "phone_number_id": PNID},
        "contacts": [{"profile": {"name": "Cliente"}, "wa_id": wa_id}],
        "messages": [mensagem],
    }
    dados = {"object": "whatsapp_business_account"}
    dados["entry"] = [{"id": "1", "changes": [{"field": "messages", "value": valor}]}]
    return json.dumps(dados).encode()


@pytest.fixture
def broker(settings):
    """Coalescing on; the broker's ``webhooks`` list as seen before, and the messages this test
    queued removed afterwards (no worker runs here)."""
    settings.WEBHOOK_DESPERTAR_SEGUNDOS = 30
    despertar_rearmar()
    with celery_app.connection_for_write() as conexao:
        cliente = conexao.default_channel.client
        antes = cliente.lrange(FILA, 0, -1)

        def novas() -> list[dict]:
            atuais = cliente.lrange(FILA, 0, -1)
            return [json.loads(m) for m in atuais if m not in antes]

        yield novas
        for mensagem in cliente.lrange(FILA, 0, -1):
            if mensagem not in antes:
                cliente.lrem(FILA, 0, mensagem)
    despertar_rearmar()


@pytest.mark.django_db(transaction=True)
def test_rajada_de_webhooks_enfileira_uma_tarefa_que_processa_todos(client, empresa, fila, broker):
    canal_wa(empresa, fila, pnid=PNID)

    for n in range(3):
        assert postar_whatsapp(client, empresa.id, corpo(f"wamid.r{n}")).status_code == 200

    (tarefa,) = broker()
    assert tarefa["headers"]["task"] == "canais.tasks.process_webhook"
    assert EventoWebhook.objects.filter(status="recebido").count() == 3
    primeiro = EventoWebhook.objects.order_by("recebido_em").first()
    assert tarefa["headers"]["argsrepr"] == repr((str(primeiro.pk),))
    assert tarefa["headers"]["kwargsrepr"] == repr({"drenar": True})

    process_webhook(str(primeiro.pk), drenar=True)  # what the worker runs

    assert (
        sorted(EventoWebhook.objects.values_list("status", "tentativas")) == [("processado", 1)] * 3
    )
    assert list(
        Mensagem.objects.order_by("data", "criado_em").values_list("id_externo", flat=True)
    ) == [
        "wamid.r0",
        "wamid.r1",
        "wamid.r2",
    ]
    assert not despertar_armado()  # the task re-armed the flag before scanning
    assert postar_whatsapp(client, empresa.id, corpo("wamid.r3")).status_code == 200
    assert len(broker()) == 2  # the next webhook queued a new task


@pytest.mark.django_db(transaction=True)
def test_drenagem_em_ordem_de_chegada_e_falha_fica_para_a_varredura(empresa, fila, monkeypatch):
    canal = canal_wa(empresa, fila, pnid=PNID)
    ids = [
        EventoWebhook.objects.create(
            empresa=empresa, canal=canal, corpo=corpo(f"wamid.d{n}"), url="https://x/"
        ).pk
        for n in range(4)
    ]
    EventoWebhook.objects.filter(pk=ids[3]).update(tentativas=1)  # failed once: the sweep's
    original = AdaptadorWhatsApp.interpretar

    def quebra_no_segundo(self, req):  # an adapter bug on one payload: a poison event
        if b"wamid.d1" in req.corpo:
            raise KeyError("defeito")
        return original(self, req)

    monkeypatch.setattr(AdaptadorWhatsApp, "interpretar", quebra_no_segundo)

    assert process_webhook(drenar=True) is None

    estados = dict(EventoWebhook.objects.values_list("pk", "status"))
    assert [estados[i] for i in ids] == ["processado", "recebido", "processado", "recebido"]
    falho = EventoWebhook.objects.get(pk=ids[1])
    assert (falho.tentativas, falho.erro) == (1, "KeyError: 'defeito'")
    assert sorted(Mensagem.objects.values_list("id_externo", flat=True)) == [
        "wamid.d0",
        "wamid.d2",
    ]


@pytest.mark.django_db(transaction=True)
def test_varredura_acorda_a_drenagem_se_o_despertar_se_perdeu(empresa, fila, broker):
    """Redis restarted: the queued drain task and its flag are gone, the events are stored."""
    from canais.tasks.entrada import varrer_webhooks_pendentes

    canal = canal_wa(empresa, fila, pnid=PNID)
    EventoWebhook.objects.create(empresa=empresa, canal=canal, corpo=corpo("wamid.v1"), url="x")

    assert varrer_webhooks_pendentes() == 0  # too young to be re-queued one by one

    (tarefa,) = broker()
    assert tarefa["headers"]["kwargsrepr"] == repr({"drenar": True})
    process_webhook(drenar=True)
    assert EventoWebhook.objects.get().status == "processado"
    assert varrer_webhooks_pendentes() == 0
    assert len(broker()) == 1  # nothing pending: no new wake-up
