"""django-filter filter sets of the list endpoints (invalid values are 400)."""

from __future__ import annotations

import functools

import django_filters as filtros
from django_filters import utils
from django_filters.rest_framework import DjangoFilterBackend

from atendimento.models import Atendente, Canal, Contato, Mensagem, Template, Ticket
from atendimento.selectors.cadastros import contatos_buscar
from atendimento.selectors.tickets import tickets_buscar
from canais.registry import escolhas
from ia.models import ArtigoConhecimento, RiscoChurn

# Multiple-choice filters are on the row's own column (no join), so they need no DISTINCT:
# django-filter adds one by default, and a DISTINCT over the list's wide rows sorted every
# match before the page could be read (10 ms of planning alone at 100k tickets).


class FiltrosDaLista(DjangoFilterBackend):
    """django-filter's backend, with only the filters the request names: building and
    validating a filter set's whole form (a form class built per request, a field per filter,
    every filter deep-copied) was ~2 ms of CPU of a list request, and a filter the request does
    not name is a no-op anyway (its value is empty).  Without any, the queryset is returned as
    it is; with some, they go through django-filter as always (invalid values: 400, with the
    same errors: only a named filter can have one).  The schema and the browsable API still
    see the whole filter set (``get_filterset_class``)."""

    def filter_queryset(self, request, queryset, view):
        classe = self.get_filterset_class(view, queryset)
        if classe is None:
            return queryset
        nomes = _filtros_nomeados(classe, request.query_params)
        if not nomes:
            return queryset
        filterset = _so_os_filtros(classe, nomes)(
            **self.get_filterset_kwargs(request, queryset, view)
        )
        if not filterset.is_valid() and self.raise_exception:
            raise utils.translate_validation(filterset.errors)
        return filterset.qs


def _filtros_nomeados(classe, parametros) -> frozenset[str]:
    """The filters of ``classe`` a query string names: by their name, or by their name plus a
    suffix (``criado_em_after``: the widgets of range filters read ``<name>_<suffix>``)."""
    return frozenset(
        nome
        for parametro in parametros
        for nome in (parametro, parametro.rsplit("_", 1)[0])
        if nome in classe.base_filters
    )


@functools.lru_cache(maxsize=256)
def _so_os_filtros(classe, nomes: frozenset[str]):
    """``classe`` restricted to the filters ``nomes`` (their declaration order kept)."""
    if nomes == frozenset(classe.base_filters):
        return classe
    restrita = type(classe.__name__, (classe,), {"__module__": classe.__module__})
    restrita.base_filters = {
        nome: filtro for nome, filtro in classe.base_filters.items() if nome in nomes
    }
    return restrita


class TicketFiltro(filtros.FilterSet):
    status = filtros.MultipleChoiceFilter(choices=Ticket.Status.choices, distinct=False)
    prioridade = filtros.MultipleChoiceFilter(choices=Ticket.Prioridade.choices, distinct=False)
    fila = filtros.UUIDFilter(field_name="fila_id")
    sem_fila = filtros.BooleanFilter(field_name="fila", lookup_expr="isnull")
    atendente = filtros.UUIDFilter(field_name="atendente_id")
    sem_atendente = filtros.BooleanFilter(field_name="atendente", lookup_expr="isnull")
    canal = filtros.UUIDFilter(field_name="canal_id")
    contato = filtros.UUIDFilter(field_name="contato_id")
    tag = filtros.UUIDFilter(field_name="tags__id")
    criado_apos = filtros.IsoDateTimeFilter(field_name="criado_em", lookup_expr="gte")
    criado_antes = filtros.IsoDateTimeFilter(field_name="criado_em", lookup_expr="lt")
    q = filtros.CharFilter(
        method="buscar",
        max_length=200,
        label="Texto no nome/número/e-mail do contato, no assunto ou nas mensagens (português).",
    )

    class Meta:
        model = Ticket
        fields = []

    def buscar(self, queryset, nome, valor):
        if not valor.strip():
            return queryset
        return tickets_buscar(
            queryset, texto=valor.strip(), empresa_id=self.request.atendente.empresa_id
        )


class MensagemFiltro(filtros.FilterSet):
    ticket = filtros.UUIDFilter(field_name="ticket_id")
    direcao = filtros.ChoiceFilter(choices=Mensagem.Direcao.choices)
    status = filtros.MultipleChoiceFilter(choices=Mensagem.Status.choices, distinct=False)
    tipo = filtros.MultipleChoiceFilter(choices=Mensagem.Tipo.choices, distinct=False)

    class Meta:
        model = Mensagem
        fields = []


class CanalFiltro(filtros.FilterSet):
    tipo = filtros.ChoiceFilter(choices=escolhas)
    ativo = filtros.BooleanFilter()

    class Meta:
        model = Canal
        fields = []


class AtendenteFiltro(filtros.FilterSet):
    papel = filtros.ChoiceFilter(choices=Atendente.Papel.choices)
    status = filtros.MultipleChoiceFilter(choices=Atendente.Status.choices, distinct=False)
    ativo = filtros.BooleanFilter()
    fila = filtros.UUIDFilter(field_name="membros_fila__fila_id")

    class Meta:
        model = Atendente
        fields = []


class TemplateFiltro(filtros.FilterSet):
    tipo = filtros.ChoiceFilter(choices=Template.Tipo.choices)
    fila = filtros.UUIDFilter(field_name="fila_id")
    ativo = filtros.BooleanFilter()
    atalho = filtros.CharFilter(field_name="atalho", lookup_expr="istartswith", max_length=60)

    class Meta:
        model = Template
        fields = []


class ContatoFiltro(filtros.FilterSet):
    q = filtros.CharFilter(method="buscar", max_length=200, label="Nome, telefone ou e-mail.")
    risco_churn = filtros.MultipleChoiceFilter(
        field_name="risco_churn__risco",
        choices=RiscoChurn.Risco.choices,
        distinct=False,  # one risk row per contact
        label="Risco de churn atual (repetível).",
    )

    class Meta:
        model = Contato
        fields = []

    def buscar(self, queryset, nome, valor):
        if not valor.strip():
            return queryset
        return contatos_buscar(queryset, atendente=self.request.atendente, texto=valor.strip())


class ArtigoFiltro(filtros.FilterSet):
    categoria = filtros.CharFilter(max_length=80)
    ativo = filtros.BooleanFilter()
    q = filtros.CharFilter(field_name="titulo", lookup_expr="icontains", max_length=200)

    class Meta:
        model = ArtigoConhecimento
        fields = []
