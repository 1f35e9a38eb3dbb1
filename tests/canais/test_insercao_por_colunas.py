"""``inserir_varios_por_colunas`` (the group commit's statement): one INSERT with an array per
column stores what ``Model.save()`` would, skips a row a unique index already holds (stored
before, or repeated in the same call: the first wins) and reports exactly the rows it wrote."""

from __future__ import annotations

from atendimento.models import EventoWebhook
from atendimento.services.insercao import inserir_varios_por_colunas
from canais.adapters.base import RequisicaoWebhook
from canais.webhooks_guardados import evento_webhook_novo

from .webhook_apoio import canal_wa


def _evento(canal, id_evento: str, corpo: bytes = b'{"x": 1}') -> EventoWebhook:
    req = RequisicaoWebhook(
        metodo="POST",
        url="https://desk.example/api/atendimento/webhooks/whatsapp/x/?a=1",
        cabecalhos={"x-hub-signature-256": "sha256=abc", "content-type": "application/json"},
        corpo=corpo,
        query={"a": "1"},
    )
    return evento_webhook_novo(canal=canal, req=req, id_evento=id_evento)


def test_grava_o_que_save_gravaria_e_diz_quais_inseriu(empresa, fila):
    canal = canal_wa(empresa, fila, pnid="5550001")
    ja = _evento(canal, "wamid.ja")
    ja.save()
    novos = [_evento(canal, f"wamid.{i}", corpo=b"\x00\xff bin\xe1rio " * i) for i in range(3)]
    repetido = _evento(canal, "wamid.1")  # same provider id as novos[1], later in the call
    de_novo = _evento(canal, "wamid.ja")
    sem_id = _evento(canal, None)

    inseridos = inserir_varios_por_colunas([*novos, repetido, de_novo, sem_id])

    assert inseridos == {e.pk for e in [*novos, sem_id]}
    assert not EventoWebhook.objects.filter(pk__in=[repetido.pk, de_novo.pk]).exists()
    assert EventoWebhook.objects.filter(canal=canal).count() == 5
    for evento in [*novos, sem_id]:
        guardado = EventoWebhook.objects.get(pk=evento.pk)
        assert bytes(guardado.corpo) == evento.corpo
        assert guardado.cabecalhos == evento.cabecalhos
        assert guardado.empresa_id == empresa.pk
        assert guardado.id_evento_externo == evento.id_evento_externo
        assert guardado.url == evento.url
        assert guardado.status == EventoWebhook.Status.RECEBIDO
        assert guardado.tentativas == 0
        assert guardado.recebido_em is not None
        assert guardado.processado_em is None
        assert not evento._state.adding


def test_lista_vazia_nada_faz(db):
    assert inserir_varios_por_colunas([]) == set()
