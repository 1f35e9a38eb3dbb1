"""The inbox's first screen shows the work: without a tab in the URL it opens where the tickets
the user may take are (never on an empty list while some wait), remembers the tab the user
chose last, and the list partial carries every tab's count for the live refresh."""

from __future__ import annotations

from django.test import Client

from atendimento.models import Ticket
from tests.factories import TicketFactory

from .conftest import HTMX, ids_na_lista, texto


def _aba_marcada(html: str) -> str:
    for aba in ("meus", "fila", "todos"):
        if f'name="aba" value="{aba}" checked' in html:
            return aba
    raise AssertionError("nenhuma aba marcada")


def test_atendente_sem_tickets_seus_abre_nos_nao_atribuidos_que_esperam(
    cliente_de, atendente, novo_ticket
):
    esperando = [novo_ticket(), novo_ticket()]

    html = texto(cliente_de(atendente).get("/inbox/"))

    assert _aba_marcada(html) == "fila"
    assert sorted(ids_na_lista(html)) == sorted(str(t.id) for t in esperando)
    assert '<span class="aba__contagem" id="contagem-fila">2</span>' in html
    assert "lista__vazia" not in html


def test_atendente_com_tickets_seus_abre_nos_seus(cliente_de, atendente, novo_ticket):
    meu = novo_ticket(atendente=atendente, status=Ticket.Status.EM_ATENDIMENTO)
    novo_ticket()

    html = texto(cliente_de(atendente).get("/inbox/"))

    assert _aba_marcada(html) == "meus"
    assert ids_na_lista(html) == [str(meu.id)]


def test_fechados_e_filas_alheias_nao_contam_como_trabalho(
    cliente_de, atendente, novo_ticket, outra_fila, outra_empresa
):
    novo_ticket(atendente=atendente, status=Ticket.Status.FECHADO)
    novo_ticket(fila=outra_fila)  # unassigned, but not in the agent's queues
    TicketFactory(empresa=outra_empresa)

    html = texto(cliente_de(atendente).get("/inbox/"))

    assert _aba_marcada(html) == "meus"
    assert ids_na_lista(html) == []


def test_supervisor_e_admin_abrem_na_mesa_inteira(
    cliente_de, supervisor, admin, atendente, novo_ticket, outra_fila
):
    tickets = [novo_ticket(), novo_ticket(fila=outra_fila), novo_ticket(atendente=atendente)]
    novo_ticket(atendente=supervisor)

    for gestor in (supervisor, admin):
        html = texto(cliente_de(gestor).get("/inbox/"))
        assert _aba_marcada(html) == "todos"
        assert len(ids_na_lista(html)) == len(tickets) + 1


def test_lembra_a_aba_escolhida(cliente_de, atendente, novo_ticket):
    novo_ticket(atendente=atendente)
    livre = novo_ticket()
    cliente = cliente_de(atendente)
    assert _aba_marcada(texto(cliente.get("/inbox/"))) == "meus"

    cliente.get("/inbox/?aba=fila", **HTMX)  # the agent clicks "Não atribuídos"

    html = texto(cliente.get("/inbox/"))
    assert _aba_marcada(html) == "fila"
    assert ids_na_lista(html) == [str(livre.id)]
    # also on a conversation's page (the list beside it)
    html = texto(cliente.get(f"/inbox/tickets/{livre.id}/"))
    assert _aba_marcada(html) == "fila"


def test_a_aba_lembrada_e_de_cada_usuario(cliente_de, atendente, supervisor, novo_ticket):
    novo_ticket(atendente=atendente)
    novo_ticket()
    cliente_de(supervisor).get("/inbox/?aba=fila", **HTMX)

    assert _aba_marcada(texto(cliente_de(atendente).get("/inbox/"))) == "meus"
    assert _aba_marcada(texto(cliente_de(supervisor).get("/inbox/"))) == "todos"


def test_aba_lembrada_vazia_nao_esconde_o_trabalho(cliente_de, atendente, novo_ticket):
    meu = novo_ticket(atendente=atendente)
    livre = novo_ticket()
    cliente = cliente_de(atendente)
    cliente.get("/inbox/?aba=fila", **HTMX)
    Ticket.objects.filter(pk=livre.pk).update(atendente=atendente)  # someone took it

    html = texto(cliente.get("/inbox/"))

    assert _aba_marcada(html) == "meus"
    assert sorted(ids_na_lista(html)) == sorted([str(meu.id), str(livre.id)])


def test_aba_na_url_e_respeitada_mesmo_vazia(cliente_de, atendente, novo_ticket):
    novo_ticket()

    html = texto(cliente_de(atendente).get("/inbox/?aba=meus"))

    assert _aba_marcada(html) == "meus"
    assert "lista__vazia" in html


def test_aba_invalida_na_url_nao_e_lembrada(cliente_de, atendente, novo_ticket):
    novo_ticket(atendente=atendente)
    livre = novo_ticket()
    cliente = cliente_de(atendente)

    html = texto(cliente.get("/inbox/?aba=todos"))  # not an agent's tab

    assert _aba_marcada(html) == "meus"
    Ticket.objects.filter(pk=livre.pk).delete()
    assert "inbox_aba" not in cliente.session


def test_atualizacao_ao_vivo_traz_a_contagem_de_cada_aba(cliente_de, supervisor, novo_ticket):
    novo_ticket(atendente=supervisor)
    novo_ticket()
    novo_ticket()

    html = texto(cliente_de(supervisor).get("/inbox/?aba=meus", **HTMX))

    assert 'id="contagem-meus" hx-swap-oob="true">1<' in html
    assert 'id="contagem-fila" hx-swap-oob="true">2<' in html
    assert 'id="contagem-todos" hx-swap-oob="true">3<' in html


def test_sem_login_nao_lembra_nada(novo_ticket):
    resposta = Client().get("/inbox/?aba=fila")
    assert resposta.status_code == 302
