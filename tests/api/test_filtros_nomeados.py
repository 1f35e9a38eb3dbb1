"""The list endpoints' filter backend builds django-filter's filter set with only the filters
the request names (``FiltrosDaLista``): the same query and the same errors as django-filter's
own backend with the whole filter set, for any query string."""

from __future__ import annotations

import pytest
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from atendimento.api.filters import FiltrosDaLista, _so_os_filtros
from atendimento.api.views.cadastros import ContatoViewSet
from atendimento.api.views.tickets import TicketViewSet
from atendimento.models import Contato, Ticket
from tests.factories import ContatoFactory, MensagemFactory, TicketFactory

pytestmark = pytest.mark.django_db

UUID = "6f1c1d0e-6a57-4a53-9a38-0d5b8a8e0c11"
CONSULTAS_TICKETS = [
    "",
    "page=2&page_size=10",
    "q=boleto",
    "q=%20boleto%20",
    "q=",
    "q=%20",
    "q=a%00b",
    "q=" + "a" * 201,
    "q=" + "a" * 200,
    "status=fechado&status=aberto",
    "status=inexistente",
    "status=inexistente&q=boleto",
    "prioridade=alta&q=boleto&page=2",
    f"fila={UUID}&sem_atendente=true",
    "fila=nao-e-uuid&atendente=tambem-nao",
    "sem_fila=false&sem_atendente=true",
    "criado_apos=2026-01-01T00:00:00Z&criado_antes=2027-01-01T00:00:00Z",
    "criado_apos=ontem",
    f"tag={UUID}&contato={UUID}&canal={UUID}",
    "ordering=-criado_em&desconhecido=1",
]


def _filtrar(backend, visao, consulta: str, queryset, atendente):
    """The backend's answer: the filtered query's SQL, or the errors it raised (400)."""
    request = Request(APIRequestFactory().get(f"/?{consulta}"))
    request.atendente = atendente
    visao.request = request
    try:
        return "sql", str(backend.filter_queryset(request, queryset, visao).query)
    except ValidationError as exc:
        return "erros", exc.detail


@pytest.mark.parametrize("consulta", CONSULTAS_TICKETS)
def test_tickets_mesma_consulta_e_mesmos_erros_que_o_filterset_inteiro(consulta, atendente):
    visao = TicketViewSet()
    queryset = Ticket.objects.filter(empresa_id=atendente.empresa_id)
    assert _filtrar(FiltrosDaLista(), visao, consulta, queryset, atendente) == _filtrar(
        DjangoFilterBackend(), visao, consulta, queryset, atendente
    )


@pytest.mark.parametrize(
    "consulta", ["", "q=ana", "q=", "risco_churn=alto&risco_churn=baixo", "risco_churn=x&q=a"]
)
def test_contatos_mesma_consulta_e_mesmos_erros(consulta, atendente):
    visao = ContatoViewSet()
    queryset = Contato.objects.filter(empresa_id=atendente.empresa_id)
    assert _filtrar(FiltrosDaLista(), visao, consulta, queryset, atendente) == _filtrar(
        DjangoFilterBackend(), visao, consulta, queryset, atendente
    )


def test_busca_com_outro_filtro_pelo_endpoint(api_admin, empresa, canal_whatsapp, fila):
    """Through the endpoint: ``q`` with a status filter finds the same rows as before (the
    messages' text and the subject), only the empresa's."""
    no_texto = TicketFactory(empresa=empresa, canal=canal_whatsapp, fila=fila, status="aberto")
    MensagemFactory(ticket=no_texto, conteudo="Preciso da segunda via do boleto")
    no_assunto = TicketFactory(
        empresa=empresa, canal=canal_whatsapp, fila=fila, status="aberto", assunto="Boleto"
    )
    TicketFactory(
        empresa=empresa, canal=canal_whatsapp, fila=fila, status="fechado", assunto="Boleto"
    )
    TicketFactory(empresa=empresa, canal=canal_whatsapp, fila=fila, status="aberto")
    ContatoFactory(empresa=empresa, nome="Boleto da Silva")  # no ticket: found nowhere
    resposta = api_admin.get("/api/atendimento/tickets/?q=boleto&status=aberto")
    assert resposta.status_code == 200
    assert {item["id"] for item in resposta.json()["results"]} == {
        str(no_texto.id),
        str(no_assunto.id),
    }
    assert resposta.json()["count"] == 2


def test_a_classe_restrita_tem_so_os_filtros_nomeados_na_ordem():
    from atendimento.api.filters import TicketFiltro

    restrita = _so_os_filtros(TicketFiltro, frozenset({"q", "status"}))
    assert list(restrita.base_filters) == ["status", "q"]
    assert _so_os_filtros(TicketFiltro, frozenset({"q", "status"})) is restrita
    assert _so_os_filtros(TicketFiltro, frozenset(TicketFiltro.base_filters)) is TicketFiltro
    assert list(TicketFiltro.base_filters)[:2] == ["status", "prioridade"]  # untouched
