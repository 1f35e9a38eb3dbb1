"""What the agent did with a suggested reply, through the API: sent unchanged (aceita), sent
edited (editada), discarded (rejeitada); other tickets' and empresas' suggestions are 404 and
leave nothing written."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from atendimento.models import Mensagem, Ticket
from ia.models import AIResposta

from .conftest import API

pytestmark = pytest.mark.django_db

TEXTO = "Os pedidos são entregues em até 5 dias úteis nas capitais."


@pytest.fixture
def ticket_na_janela(ticket):
    Ticket.objects.filter(pk=ticket.pk).update(
        ultima_entrada_em=timezone.now() - timedelta(minutes=1)
    )
    ticket.refresh_from_db()
    return ticket


def _sugestao(ticket, **campos):
    campos.setdefault("funcionalidade", "sugestao_resposta")
    return AIResposta.objects.create(
        empresa=ticket.empresa,
        ticket=ticket,
        pergunta="quando chega?",
        resposta=TEXTO,
        provider="local",
        **campos,
    )


def _enviar(cliente, ticket, conteudo, sugestao_id):
    return cliente.post(
        f"{API}/mensagens/enviar/",
        {"ticket_id": str(ticket.id), "conteudo": conteudo, "sugestao_id": str(sugestao_id)},
        format="json",
    )


def test_enviada_sem_mudar_e_aceita(api_atendente, ticket_na_janela):
    sugestao = _sugestao(ticket_na_janela)
    resposta = _enviar(api_atendente, ticket_na_janela, TEXTO + "\n", sugestao.id)
    assert resposta.status_code == 201, resposta.content
    sugestao.refresh_from_db()
    assert sugestao.resultado == "aceita"
    assert str(sugestao.mensagem_id) == resposta.json()["id"]
    assert sugestao.resultado_em is not None


def test_enviada_com_mudanca_e_editada(api_atendente, ticket_na_janela):
    sugestao = _sugestao(ticket_na_janela)
    resposta = _enviar(api_atendente, ticket_na_janela, "Oi Maria! " + TEXTO, sugestao.id)
    assert resposta.status_code == 201, resposta.content
    sugestao.refresh_from_db()
    assert sugestao.resultado == "editada"


def test_descartar_e_depois_nao_pode_descartar_a_usada(api_atendente, ticket_na_janela):
    descartada, usada = _sugestao(ticket_na_janela), _sugestao(ticket_na_janela)
    url = f"{API}/tickets/{ticket_na_janela.id}/sugestao-resposta/descartar/"

    resposta = api_atendente.post(url, {"sugestao_id": str(descartada.id)}, format="json")
    assert resposta.status_code == 200, resposta.content
    assert resposta.json()["resultado"] == "rejeitada"
    assert resposta.json()["sugestao_id"] == str(descartada.id)
    # idempotent
    again = api_atendente.post(url, {"sugestao_id": str(descartada.id)}, format="json")
    assert again.status_code == 200

    _enviar(api_atendente, ticket_na_janela, TEXTO, usada.id)
    resposta = api_atendente.post(url, {"sugestao_id": str(usada.id)}, format="json")
    assert resposta.status_code == 409
    usada.refresh_from_db()
    assert usada.resultado == "aceita"


def test_descartar_sem_id_e_400(api_atendente, ticket_na_janela):
    url = f"{API}/tickets/{ticket_na_janela.id}/sugestao-resposta/descartar/"
    assert api_atendente.post(url, {}, format="json").status_code == 400
    assert api_atendente.post(url, {"sugestao_id": "x"}, format="json").status_code == 400


def test_sugestao_de_outro_ticket_ou_empresa_e_404_sem_gravar(
    api_atendente, api_admin, ticket_na_janela, ticket_outra_empresa, empresa
):
    from tests.factories import TicketFactory

    alheia = _sugestao(ticket_outra_empresa)
    outro_ticket = _sugestao(TicketFactory(empresa=empresa, canal=ticket_na_janela.canal))
    analise = _sugestao(ticket_na_janela, funcionalidade="analise_completa")
    for cliente, sugestao in (
        (api_admin, alheia),
        (api_atendente, outro_ticket),
        (api_atendente, analise),
    ):
        resposta = _enviar(cliente, ticket_na_janela, TEXTO, sugestao.id)
        assert resposta.status_code == 404, resposta.content
        descartar = cliente.post(
            f"{API}/tickets/{ticket_na_janela.id}/sugestao-resposta/descartar/",
            {"sugestao_id": str(sugestao.id)},
            format="json",
        )
        assert descartar.status_code == 404
    assert not Mensagem.objects.filter(ticket=ticket_na_janela).exists()
    assert set(AIResposta.objects.values_list("resultado", flat=True)) == {"pendente"}
    # the other empresa's ticket itself is 404 too
    assert (
        api_admin.post(
            f"{API}/tickets/{ticket_outra_empresa.id}/sugestao-resposta/descartar/",
            {"sugestao_id": str(alheia.id)},
            format="json",
        ).status_code
        == 404
    )


def test_envio_recusado_nao_marca_a_sugestao(api_atendente, ticket):
    """Outside WhatsApp's window the text is refused (422): the suggestion stays pending."""
    sugestao = _sugestao(ticket)
    resposta = _enviar(api_atendente, ticket, TEXTO, sugestao.id)
    assert resposta.status_code == 422
    sugestao.refresh_from_db()
    assert sugestao.resultado == "pendente"
