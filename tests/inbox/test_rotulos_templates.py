"""The inbox templates show choice labels with the ``rotulo`` filter (each field's labels
translated once per language) instead of Django's ``get_<campo>_display`` (which translates
every label of the field on each call).  Each template is rendered here as it is and as it was
written with ``get_<campo>_display`` — derived from the current source, so the two cannot
drift — on data covering every label shown, in Portuguese and in English and in two time
zones: the bytes must be the same."""

from __future__ import annotations

import re

import pytest
from django.template import engines
from django.utils import timezone, translation

from atendimento.inbox.base import contexto_filtros, contexto_lista, contexto_ticket
from atendimento.models import Atendente, Historico, Ticket
from atendimento.selectors.inbox import FiltrosInbox, ticket_para_inbox
from tests.factories import AtendenteFactory, IdentidadeContatoFactory, TicketFactory

PASTA = "atendimento/inbox/"
#: the templates that show labels through ``rotulo``
TEMPLATES = ["_lateral.html", "_conversa_cabecalho.html", "_filtros.html"]


def _fonte(nome: str) -> str:
    return engines["django"].engine.get_template(PASTA + nome).source


def _como_antes(fonte: str) -> str:
    """The same template with Django's ``get_<campo>_display`` where ``rotulo`` is used."""
    fonte = fonte.replace(
        '{% if h.descricao %}{{ h.descricao }}{% else %}{{ h|rotulo:"acao" }}{% endif %}',
        "{{ h.descricao|default:h.get_acao_display }}",
    )
    return re.sub(r'([\w.]+)\|rotulo:"(\w+)"', r"\1.get_\2_display", fonte)


def _renderizar(fonte: str, contexto: dict) -> str:
    return engines["django"].from_string(fonte).render(contexto)


@pytest.fixture
def variado(empresa, supervisor, atendente, canal_telegram, novo_ticket):
    """A ticket whose sidebar shows every kind of label: identities of several kinds, the
    contact's other tickets in every status, agents in every status, history of every action
    (without a description, so the action's label shows) and one with a description."""
    ticket = novo_ticket(atendente=atendente, prioridade=Ticket.Prioridade.URGENTE)
    contato = ticket.contato
    IdentidadeContatoFactory(contato=contato, tipo="telegram", valor="98765", username="maria")
    IdentidadeContatoFactory(contato=contato, tipo="instagram", valor="maria.ig")
    for n, status in enumerate(Ticket.Status.values):
        TicketFactory(
            empresa=empresa,
            canal=canal_telegram,
            contato=contato,
            status=status,
            conversa_id_externo=f"conversa-{n}",
        )
    for status in Atendente.Status.values:
        AtendenteFactory(empresa=empresa, status=status, nome=f"Agente {status}")
    for acao in Historico.Acao.values:
        Historico.objects.create(empresa=empresa, ticket=ticket, acao=acao, descricao="")
    Historico.objects.create(
        empresa=empresa, ticket=ticket, acao="status", descricao="Mudou <muito> & bem"
    )
    return ticket


@pytest.mark.parametrize("idioma", ["pt-br", "en"])
@pytest.mark.parametrize("fuso", ["America/Sao_Paulo", "UTC"])
def test_rotulos_iguais_aos_do_django(variado, supervisor, idioma, fuso):
    with translation.override(idioma), timezone.override(fuso):
        aberto = ticket_para_inbox(atendente=supervisor, ticket_id=variado.id)
        contexto = {
            **contexto_ticket(supervisor, aberto),
            **contexto_lista(supervisor, FiltrosInbox(aba="todos")),
            **contexto_filtros(supervisor),
        }
        for nome in TEMPLATES:
            fonte = _fonte(nome)
            assert "|rotulo:" in fonte, nome
            agora = _renderizar(fonte, contexto)
            assert agora == _renderizar(_como_antes(fonte), contexto), nome
            if nome == "_lateral.html":
                lateral = agora

    # the labels are there, in the active language
    with translation.override(idioma):
        esperados = [
            *(str(rotulo) for rotulo in Historico.Acao.labels),
            *(str(rotulo) for rotulo in Atendente.Status.labels),
            *(str(rotulo) for rotulo in Ticket.Status.labels),
            str(Ticket.Prioridade.URGENTE.label),
        ]
    for rotulo in esperados:
        assert rotulo in lateral, rotulo
    assert "Mudou &lt;muito&gt; &amp; bem" in lateral
