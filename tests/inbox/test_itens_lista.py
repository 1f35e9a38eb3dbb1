"""The inbox list's rows are written by the ``itens_tickets`` tag (Python); their markup is
``_ticket_item.html``'s.  Both are rendered here for rows covering every branch and must give
the same bytes, in Portuguese and in English."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.template import engines
from django.utils import timezone, translation

from atendimento.inbox.base import contexto_lista
from atendimento.models import Ticket
from atendimento.selectors.inbox import GRUPOS_STATUS, FiltrosInbox
from tests.factories import ContatoFactory, FilaFactory, TagFactory

#: the rows as the template renders them (the loop the list had before the tag)
PELO_TEMPLATE = (
    '{% for t in tickets %}\n  {% include "atendimento/inbox/_ticket_item.html" %}\n{% endfor %}'
)
PELA_TAG = "{% load inbox %}{% itens_tickets tickets %}"


def _renderizar(fonte: str, contexto: dict) -> str:
    return engines["django"].from_string(fonte).render(contexto)


@pytest.fixture
def variados(empresa, canal_whatsapp, canal_telegram, fila, atendente, novo_ticket):
    agora = timezone.now()
    sem_sla_fila = FilaFactory(empresa=empresa)
    perigoso = ContatoFactory(empresa=empresa, nome='<b>Zé & "Cia"</b>')
    tickets = [
        novo_ticket(atendente=atendente, nao_lidas=1, prioridade=Ticket.Prioridade.ALTA),
        novo_ticket(
            nao_lidas=12,
            prioridade=Ticket.Prioridade.URGENTE,
            sla_primeira_resposta_em=agora + timedelta(hours=5),
            assunto="",
            ultima_mensagem_resumo="",
        ),
        novo_ticket(
            canal=canal_telegram,
            contato=perigoso,
            fila=None,
            assunto="<script>x</script>",
            ultima_mensagem_resumo="Olá & até <logo>",
            sla_primeira_resposta_em=agora + timedelta(minutes=3),
            ultima_mensagem_em=agora - timedelta(days=1),
        ),
        novo_ticket(
            fila=sem_sla_fila,
            sla_resolucao_em=agora - timedelta(hours=30),
            ultima_mensagem_em=agora - timedelta(days=400),
        ),
        novo_ticket(
            status=Ticket.Status.AGUARDANDO,
            aguardando_desde=agora - timedelta(minutes=9),
            ultima_mensagem_em=None,
            sla_violado=True,
        ),
        novo_ticket(sla_proxima_resposta_em=agora - timedelta(minutes=1), sla_violado=True),
        novo_ticket(status=Ticket.Status.FECHADO, ultima_mensagem_em=agora - timedelta(days=20)),
    ]
    for n, cor in enumerate(["#ff0000", "url(x)", "#0f0", "#123456"]):
        tickets[0].tags.add(TagFactory(empresa=empresa, nome=f"tag <{n}>", cor=cor))
    tickets[1].tags.add(TagFactory(empresa=empresa, nome="única"))
    return tickets


@pytest.mark.parametrize("idioma", ["pt-br", "en"])
@pytest.mark.parametrize("filtros_qs", ["", "aba=todos&q=a%20b&status=fechados"])
def test_linhas_iguais_as_do_template(variados, supervisor, idioma, filtros_qs):
    with translation.override(idioma):
        tickets = [
            t
            for status in GRUPOS_STATUS
            for t in contexto_lista(supervisor, FiltrosInbox(aba="todos", status=status))["tickets"]
        ]
        assert len(tickets) == len(variados)
        for aberto in (None, tickets[2]):
            dados = {"tickets": tickets, "filtros_qs": filtros_qs, "ticket_aberto": aberto}
            pela_tag = _renderizar(PELA_TAG, dados)
            assert pela_tag == _renderizar(PELO_TEMPLATE, dados)
    assert "&lt;b&gt;Zé &amp; &quot;Cia&quot;&lt;/b&gt;" in pela_tag
    assert 'aria-current="true"' in pela_tag
    assert pela_tag.count('class="tag"') == 4  # three of the first ticket's four, then one


def test_lista_vazia_e_proxima_pagina(cliente_de, atendente):
    corpo = cliente_de(atendente).get("/inbox/?aba=meus", HTTP_HX_REQUEST="true")
    assert "Nenhum ticket atribuído a você aqui." in corpo.content.decode()
    assert 'data-ticket-id="' not in corpo.content.decode()
