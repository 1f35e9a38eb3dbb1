"""Read side of the empresa's registers: channels, queues, agents (with their stats), quick
replies, tags, contacts, knowledge-base articles.  Every function scopes by the acting
atendente's empresa; ``*_obter`` answers NaoEncontrado (404) for another empresa's id."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db.models import (
    Avg,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Prefetch,
    Q,
    QuerySet,
)
from django.utils import timezone
from django.utils.translation import gettext as _

from atendimento.models import (
    Atendente,
    AtendenteFila,
    Canal,
    Contato,
    Fila,
    IdentidadeContato,
    OpcaoMenu,
    Tag,
    Template,
    Ticket,
)
from atendimento.selectors.acesso import da_empresa, obter_da_empresa
from ia.models import ArtigoConhecimento, RiscoChurn

STATUS_ABERTOS = (
    Ticket.Status.ABERTO,
    Ticket.Status.EM_ATENDIMENTO,
    Ticket.Status.AGUARDANDO,
)


def fuso_da_empresa(atendente: Atendente) -> ZoneInfo:
    try:
        return ZoneInfo(atendente.empresa.fuso_horario)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def inicio_do_dia(atendente: Atendente, agora: datetime | None = None) -> datetime:
    """Midnight of today in the empresa's time zone."""
    fuso = fuso_da_empresa(atendente)
    hoje = (agora or timezone.now()).astimezone(fuso).date()
    return datetime.combine(hoje, time.min, tzinfo=fuso)


# ------------------------------------------------------------------------------- canais
def canais_listar(*, atendente: Atendente) -> QuerySet[Canal]:
    return (
        da_empresa(Canal.objects, atendente).prefetch_related(_opcoes_menu()).order_by("nome", "id")
    )


def canal_obter(*, atendente: Atendente, canal_id) -> Canal:
    return obter_da_empresa(
        Canal.objects.prefetch_related(_opcoes_menu()),
        atendente=atendente,
        pk=canal_id,
        mensagem=_("Canal não encontrado."),
    )


def _opcoes_menu() -> Prefetch:
    return Prefetch("opcoes_menu", queryset=OpcaoMenu.objects.order_by("numero"))


# ------------------------------------------------------------------------------- filas
def _membros() -> Prefetch:
    return Prefetch(
        "membros",
        queryset=AtendenteFila.objects.select_related("atendente").order_by(
            "-prioridade", "atendente__nome"
        ),
    )


def filas_listar(*, atendente: Atendente) -> QuerySet[Fila]:
    return (
        da_empresa(Fila.objects, atendente)
        .annotate(tickets_abertos=Count("tickets", filter=Q(tickets__status__in=STATUS_ABERTOS)))
        .prefetch_related(_membros())
        .order_by("ordem", "nome", "id")
    )


def fila_obter(*, atendente: Atendente, fila_id) -> Fila:
    return obter_da_empresa(
        filas_listar(atendente=atendente),
        atendente=atendente,
        pk=fila_id,
        mensagem=_("Fila não encontrada."),
    )


# ------------------------------------------------------------------------------- atendentes
def atendentes_listar(*, atendente: Atendente) -> QuerySet[Atendente]:
    """Agents with their stats: open tickets, tickets closed today (empresa's time zone) and
    average first response (over every answered ticket), all in one query."""
    primeira_resposta = ExpressionWrapper(
        F("tickets__primeira_resposta_em") - F("tickets__criado_em"),
        output_field=DurationField(),
    )
    return (
        da_empresa(Atendente.objects, atendente)
        .select_related("usuario")
        .annotate(
            tickets_abertos=Count("tickets", filter=Q(tickets__status__in=STATUS_ABERTOS)),
            fechados_hoje=Count(
                "tickets",
                filter=Q(
                    tickets__status=Ticket.Status.FECHADO,
                    tickets__fechado_em__gte=inicio_do_dia(atendente),
                ),
            ),
            tempo_medio_primeira_resposta=Avg(
                primeira_resposta, filter=Q(tickets__primeira_resposta_em__isnull=False)
            ),
        )
        .prefetch_related(
            Prefetch("membros_fila", queryset=AtendenteFila.objects.order_by("-prioridade"))
        )
        .order_by("nome", "id")
    )


def atendente_obter(*, atendente: Atendente, atendente_id) -> Atendente:
    return obter_da_empresa(
        atendentes_listar(atendente=atendente),
        atendente=atendente,
        pk=atendente_id,
        mensagem=_("Atendente não encontrado."),
    )


# ------------------------------------------------------------------------------- others
def templates_listar(*, atendente: Atendente) -> QuerySet[Template]:
    return da_empresa(Template.objects, atendente).order_by("nome", "id")


def template_obter(*, atendente: Atendente, template_id) -> Template:
    return obter_da_empresa(
        Template.objects,
        atendente=atendente,
        pk=template_id,
        mensagem=_("Template não encontrado."),
    )


def tags_listar(*, atendente: Atendente) -> QuerySet[Tag]:
    return da_empresa(Tag.objects, atendente).order_by("nome", "id")


def tag_obter(*, atendente: Atendente, tag_id) -> Tag:
    return obter_da_empresa(
        Tag.objects, atendente=atendente, pk=tag_id, mensagem=_("Tag não encontrada.")
    )


def contatos_listar(*, atendente: Atendente) -> QuerySet[Contato]:
    return (
        da_empresa(Contato.objects, atendente)
        .prefetch_related(
            "identidades",
            Prefetch(
                "risco_churn",
                queryset=da_empresa(RiscoChurn.objects, atendente),
                to_attr="riscos_churn",
            ),
        )
        .order_by("nome", "id")
    )


def contatos_buscar(
    queryset: QuerySet[Contato], *, atendente: Atendente, texto: str
) -> QuerySet[Contato]:
    return queryset.filter(
        Q(nome__icontains=texto)
        | Q(telefone__icontains=texto)
        | Q(email__icontains=texto)
        | Q(
            id__in=da_empresa(IdentidadeContato.objects, atendente)
            .filter(valor__icontains=texto)
            .values("contato_id")
        )
    )


def contato_obter(*, atendente: Atendente, contato_id) -> Contato:
    return obter_da_empresa(
        contatos_listar(atendente=atendente),
        atendente=atendente,
        pk=contato_id,
        mensagem=_("Contato não encontrado."),
    )


def artigos_listar(*, atendente: Atendente) -> QuerySet[ArtigoConhecimento]:
    return da_empresa(ArtigoConhecimento.objects, atendente).order_by("titulo", "id")


def artigo_obter(*, atendente: Atendente, artigo_id) -> ArtigoConhecimento:
    return obter_da_empresa(
        ArtigoConhecimento.objects,
        atendente=atendente,
        pk=artigo_id,
        mensagem=_("Artigo não encontrado."),
    )
