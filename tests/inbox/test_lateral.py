"""The sidebar: contact, past tickets across channels, fields, tags, assign / transfer /
close / reopen through the services, history, the AI panel, and the agent's own status."""

from __future__ import annotations

import pytest
from django.utils import timezone

from atendimento.models import Atendente, Historico, Ticket
from ia.models import AIInsight, AIResposta
from tests.factories import (
    AtendenteFactory,
    IdentidadeContatoFactory,
    TagFactory,
    TicketFactory,
)

from .conftest import HTMX, texto


def _lateral(cliente, ticket):
    return texto(cliente.get(f"/inbox/tickets/{ticket.id}/lateral/", **HTMX))


def test_contato_identidades_e_outros_tickets(
    cliente_de, atendente, empresa, canal_telegram, outra_empresa, novo_ticket
):
    ticket = novo_ticket(atendente=atendente)
    contato = ticket.contato
    IdentidadeContatoFactory(contato=contato, tipo="telegram", valor="987654321", username="maria")
    anterior = TicketFactory(
        empresa=empresa,
        canal=canal_telegram,
        fila=ticket.fila,
        contato=contato,
        status=Ticket.Status.FECHADO,
        conversa_id_externo="987654321",
    )
    TicketFactory(empresa=outra_empresa)
    html = _lateral(cliente_de(atendente), ticket)
    assert f'<p class="bloco__destaque">{contato.nome}</p>' in html
    assert f"+{contato.telefone}" in html
    assert "<dt>Telegram</dt><dd>987654321 (@maria)</dd>" in html
    assert f'href="/inbox/tickets/{anterior.id}/"' in html
    assert 'class="canal canal--telegram"' in html


def test_outros_tickets_do_contato_respeitam_a_fila(
    cliente_de, atendente, empresa, outra_fila, novo_ticket
):
    ticket = novo_ticket(atendente=atendente)
    escondido = TicketFactory(
        empresa=empresa, canal=ticket.canal, fila=outra_fila, contato=ticket.contato,
        status=Ticket.Status.FECHADO,
    )  # fmt: skip
    html = _lateral(cliente_de(atendente), ticket)
    assert str(escondido.id) not in html
    assert "Nenhum outro ticket." in html


def test_painel_de_ia_vazio_nao_inventa(cliente_de, atendente, novo_ticket):
    ticket = novo_ticket(atendente=atendente)
    html = _lateral(cliente_de(atendente), ticket)
    assert "A análise de IA chega em breve." in html


def test_painel_de_ia_com_analise_e_sugestao(cliente_de, atendente, novo_ticket):
    ticket = novo_ticket(atendente=atendente)
    AIInsight.objects.create(
        empresa=ticket.empresa,
        ticket=ticket,
        tipo=AIInsight.Tipo.COMPLETA,
        sentimento="negativo",
        sentimento_score=-0.6,
        intencao="reclamacao",
        categoria="entrega",
        urgencia="alta",
        churn_risco="medio",
        provider="local",
    )
    sugestao = AIResposta.objects.create(
        empresa=ticket.empresa,
        ticket=ticket,
        pergunta="?",
        resposta="Sinto muito!",
        provider="local",
    )
    html = _lateral(cliente_de(atendente), ticket)
    assert "Sentimento: Negativo (-0,60)" in html
    assert "Intenção: Reclamação" in html
    assert "Sinto muito!" in html
    assert f"/composer/?sugestao={sugestao.id}" in html
    assert "A análise de IA chega em breve." not in html


def test_lateral_de_outra_fila_e_404(cliente_de, atendente_outra_fila, novo_ticket):
    ticket = novo_ticket()
    resposta = cliente_de(atendente_outra_fila).get(f"/inbox/tickets/{ticket.id}/lateral/", **HTMX)
    assert resposta.status_code == 404


def test_lateral_escuta_atualizacoes_do_ticket_e_traz_o_cabecalho(
    cliente_de, atendente, novo_ticket
):
    ticket = novo_ticket(atendente=atendente)
    html = _lateral(cliente_de(atendente), ticket)
    assert f"ticket_atualizado-{ticket.id} from:body" in html
    assert '<header id="conversa-cabecalho" class="conversa__cabecalho" hx-swap-oob="true">' in html


# ------------------------------------------------------------------ actions
def test_assumir_ticket(cliente_de, atendente, novo_ticket):
    ticket = novo_ticket()
    resposta = cliente_de(atendente).post(
        f"/inbox/tickets/{ticket.id}/atribuir/", {"atendente": atendente.id}, **HTMX
    )
    assert resposta.status_code == 200
    ticket.refresh_from_db()
    assert ticket.atendente_id == atendente.id
    assert Historico.objects.filter(ticket=ticket, acao=Historico.Acao.ATRIBUIDO).count() == 1
    assert resposta["HX-Trigger"] == '{"tickets_atualizar": true}'
    html = texto(resposta)
    assert html.lstrip().startswith('<aside id="lateral"')
    assert "Atribuído a Beto Atendente." in html
    assert 'hx-swap-oob="true"' in html


def test_devolver_a_fila(cliente_de, atendente, novo_ticket):
    ticket = novo_ticket(atendente=atendente)
    resposta = cliente_de(atendente).post(
        f"/inbox/tickets/{ticket.id}/atribuir/", {"atendente": ""}, **HTMX
    )
    assert resposta.status_code == 200
    ticket.refresh_from_db()
    assert ticket.atendente_id is None


def test_atribuir_a_atendente_de_outra_empresa_e_404(
    cliente_de, atendente, admin_outra_empresa, novo_ticket
):
    ticket = novo_ticket()
    resposta = cliente_de(atendente).post(
        f"/inbox/tickets/{ticket.id}/atribuir/", {"atendente": admin_outra_empresa.id}, **HTMX
    )
    assert resposta.status_code == 404
    ticket.refresh_from_db()
    assert ticket.atendente_id is None
    assert not Historico.objects.filter(ticket=ticket).exists()


def test_acoes_em_ticket_de_outra_fila_sao_404(cliente_de, atendente_outra_fila, novo_ticket):
    ticket = novo_ticket()
    cliente = cliente_de(atendente_outra_fila)
    for acao, dados in [
        ("atribuir", {"atendente": atendente_outra_fila.id}),
        ("transferir", {"fila": ticket.fila_id}),
        ("fechar", {}),
        ("reabrir", {}),
        ("tags", {}),
    ]:
        resposta = cliente.post(f"/inbox/tickets/{ticket.id}/{acao}/", dados, **HTMX)
        assert resposta.status_code == 404, acao
    ticket.refresh_from_db()
    assert ticket.atendente_id is None
    assert ticket.status == Ticket.Status.ABERTO
    assert not Historico.objects.filter(ticket=ticket).exists()


def test_transferir_para_fila_que_o_atendente_atende(
    cliente_de, supervisor, outra_fila, novo_ticket
):
    ticket = novo_ticket()
    resposta = cliente_de(supervisor).post(
        f"/inbox/tickets/{ticket.id}/transferir/",
        {"fila": outra_fila.id, "motivo": "assunto financeiro"},
        **HTMX,
    )
    assert resposta.status_code == 200
    ticket.refresh_from_db()
    assert ticket.fila_id == outra_fila.id
    assert "Transferido para a fila Financeiro. Motivo: assunto financeiro" in texto(resposta)


def test_transferir_para_fila_alheia_tira_o_ticket_de_vista(
    cliente_de, atendente, outra_fila, novo_ticket
):
    ticket = novo_ticket()
    resposta = cliente_de(atendente).post(
        f"/inbox/tickets/{ticket.id}/transferir/", {"fila": outra_fila.id}, **HTMX
    )
    assert resposta.status_code == 200
    assert resposta["HX-Retarget"] == "#painel-ticket"
    assert "Ticket transferido" in texto(resposta)
    ticket.refresh_from_db()
    assert ticket.fila_id == outra_fila.id
    assert cliente_de(atendente).get(f"/inbox/tickets/{ticket.id}/").status_code == 404


def test_transferir_sem_fila_e_400(cliente_de, atendente, fila, novo_ticket):
    ticket = novo_ticket()
    resposta = cliente_de(atendente).post(f"/inbox/tickets/{ticket.id}/transferir/", {}, **HTMX)
    assert resposta.status_code == 400
    assert "Escolha a fila de destino." in texto(resposta)
    ticket.refresh_from_db()
    assert ticket.fila_id == fila.id


def test_transferir_para_fila_de_outra_empresa_e_404(
    cliente_de, atendente, outra_empresa, fila, novo_ticket
):
    from tests.factories import FilaFactory

    alheia = FilaFactory(empresa=outra_empresa)
    ticket = novo_ticket()
    resposta = cliente_de(atendente).post(
        f"/inbox/tickets/{ticket.id}/transferir/", {"fila": alheia.id}, **HTMX
    )
    assert resposta.status_code == 404
    ticket.refresh_from_db()
    assert ticket.fila_id == fila.id


def test_fechar_e_reabrir(cliente_de, atendente, novo_ticket):
    ticket = novo_ticket(atendente=atendente, ultima_entrada_em=timezone.now())
    cliente = cliente_de(atendente)
    fechar = cliente.post(f"/inbox/tickets/{ticket.id}/fechar/", {"motivo": "resolvido"}, **HTMX)
    assert fechar.status_code == 200
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.FECHADO
    assert ticket.motivo_fechamento == "resolvido"
    html = texto(fechar)
    assert '<form id="composer" class="composer"' in html
    assert "Este ticket está fechado. Reabra-o para responder." in html
    assert "Reabrir ticket" in html

    reabrir = cliente.post(f"/inbox/tickets/{ticket.id}/reabrir/", **HTMX)
    assert reabrir.status_code == 200
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.ABERTO
    assert "<textarea" in texto(reabrir)


def test_reabrir_ticket_aberto_e_409_com_o_motivo(cliente_de, atendente, novo_ticket):
    ticket = novo_ticket(atendente=atendente)
    resposta = cliente_de(atendente).post(f"/inbox/tickets/{ticket.id}/reabrir/", **HTMX)
    assert resposta.status_code == 409
    assert "O ticket não está fechado." in texto(resposta)
    assert "HX-Trigger" not in resposta
    assert not Historico.objects.filter(ticket=ticket).exists()


def test_adicionar_e_remover_tag(cliente_de, atendente, empresa, novo_ticket):
    ticket = novo_ticket(atendente=atendente)
    vip = TagFactory(empresa=empresa, nome="vip", cor="#b42318")
    cliente = cliente_de(atendente)
    html = _lateral(cliente, ticket)
    assert f'<option value="{vip.id}">vip</option>' in html

    resposta = cliente.post(f"/inbox/tickets/{ticket.id}/tags/", {"adicionar": vip.id}, **HTMX)
    assert resposta.status_code == 200
    assert list(ticket.tags.all()) == [vip]
    assert 'style="--cor: #b42318">vip' in texto(resposta)

    resposta = cliente.post(f"/inbox/tickets/{ticket.id}/tags/", {"remover": vip.id}, **HTMX)
    assert resposta.status_code == 200
    assert list(ticket.tags.all()) == []


def test_tag_de_outra_empresa_e_404(cliente_de, atendente, outra_empresa, novo_ticket):
    ticket = novo_ticket(atendente=atendente)
    alheia = TagFactory(empresa=outra_empresa)
    resposta = cliente_de(atendente).post(
        f"/inbox/tickets/{ticket.id}/tags/", {"adicionar": alheia.id}, **HTMX
    )
    assert resposta.status_code == 404
    assert list(ticket.tags.all()) == []


def test_historico_na_lateral(cliente_de, atendente, novo_ticket):
    ticket = novo_ticket()
    cliente = cliente_de(atendente)
    cliente.post(f"/inbox/tickets/{ticket.id}/atribuir/", {"atendente": atendente.id}, **HTMX)
    html = _lateral(cliente, ticket)
    assert "Atribuído a Beto Atendente." in html
    assert "<small>— Beto Atendente</small>" in html


# ------------------------------------------------------------------ agent status
def test_status_do_atendente(cliente_de, atendente):
    cliente = cliente_de(atendente)
    html = texto(cliente.get("/inbox/status/", **HTMX))
    assert f"atendente_status-{atendente.id} from:body" in html
    assert '<option value="online" selected>Online</option>' in html

    resposta = cliente.post("/inbox/status/alterar/", {"status": "ausente"}, **HTMX)
    assert resposta.status_code == 200
    atendente.refresh_from_db()
    assert atendente.status == Atendente.Status.AUSENTE
    assert '<option value="ausente" selected>Ausente</option>' in texto(resposta)


@pytest.mark.parametrize("valor", ["dormindo", ""])
def test_status_invalido_e_400(cliente_de, atendente, valor):
    resposta = cliente_de(atendente).post("/inbox/status/alterar/", {"status": valor}, **HTMX)
    assert resposta.status_code == 400
    atendente.refresh_from_db()
    assert atendente.status == Atendente.Status.ONLINE


def test_lateral_lista_atendentes_e_filas_so_da_empresa(
    cliente_de, atendente, admin_outra_empresa, novo_ticket
):
    ticket = novo_ticket(atendente=atendente)
    colega = AtendenteFactory(empresa=ticket.empresa, nome="Dora Colega")
    html = _lateral(cliente_de(atendente), ticket)
    assert f'<option value="{colega.id}"' in html
    assert str(admin_outra_empresa.id) not in html
