"""Read side of the agents' inbox: the ticket list (tabs, filters, search), the conversation
pages and the sidebar.  Everything starts from ``selectors.acesso`` (tenant and queue rules) and
runs a constant number of queries whatever the number of rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from atendimento.exceptions import NaoEncontrado
from atendimento.models import (
    Atendente,
    AtendenteFila,
    Canal,
    Fila,
    Historico,
    Mensagem,
    Tag,
    Template,
    Ticket,
)
from atendimento.selectors.acesso import da_empresa, tickets_visiveis
from atendimento.selectors.mensagens import mensagens_da_conversa, mensagens_visiveis
from atendimento.selectors.tickets import com_colunas, tickets_buscar
from ia.models import AIInsight, AIResposta
from ia.services.registro import SUGESTAO
from ia.tasks import analise_agendada

ABA_MEUS = "meus"
ABA_FILA = "fila"
ABA_TODOS = "todos"

#: the status group of the list -> Ticket.status values
GRUPOS_STATUS: dict[str, tuple[str, ...]] = {
    "abertos": (Ticket.Status.ABERTO, Ticket.Status.EM_ATENDIMENTO),
    "aguardando": (Ticket.Status.AGUARDANDO,),
    "fechados": (Ticket.Status.FECHADO,),
}

POR_PAGINA = 50
MENSAGENS_INICIAIS = 50
MENSAGENS_POR_PAGINA = 30
#: cap of the live "recent" block of an open conversation (see ``conversa_recentes``)
MENSAGENS_RECENTES_MAX = 500
TICKETS_DO_CONTATO = 10
HISTORICO_NA_LATERAL = 20
SUGESTOES_MAX = 8


@dataclass(frozen=True)
class FiltrosInbox:
    aba: str = ABA_MEUS
    status: str = "abertos"
    fila: str = ""
    canal: str = ""
    tag: str = ""
    prioridade: str = ""
    q: str = ""


def abas_disponiveis(atendente: Atendente) -> list[str]:
    """Agents: their tickets and their queues' unassigned ones; supervisors/admins also all."""
    if atendente.gerencia_empresa:
        return [ABA_MEUS, ABA_FILA, ABA_TODOS]
    return [ABA_MEUS, ABA_FILA]


def aba_inicial(atendente: Atendente, contagens: dict[str, int], lembrada: str = "") -> str:
    """The tab the inbox opens on when the URL names none, so nobody lands on an empty list
    while tickets they may take are waiting: the last tab the agent chose (``lembrada``) while
    it holds tickets; else supervisors/admins the whole desk ("todos"), agents their own open
    tickets when they have some, else their queues' unassigned ones.  ``contagens`` are the
    tabs' counts under the current filters (``inbox_contagens``)."""
    abas = abas_disponiveis(atendente)
    if lembrada in abas and contagens.get(lembrada):
        return lembrada
    candidatas = [ABA_TODOS] if atendente.gerencia_empresa else [ABA_MEUS, ABA_FILA]
    for aba in candidatas:
        if contagens.get(aba):
            return aba
    return lembrada if lembrada in abas else candidatas[0]


def _ids_filas_do_atendente(atendente: Atendente) -> QuerySet:
    return AtendenteFila.objects.filter(atendente_id=atendente.id).values("fila_id")


def _filtro_aba(atendente: Atendente, aba: str) -> Q:
    if aba == ABA_MEUS:
        return Q(atendente_id=atendente.id)
    if aba == ABA_FILA:
        sem_atendente = Q(atendente__isnull=True)
        if atendente.gerencia_empresa:
            return sem_atendente
        return sem_atendente & Q(fila_id__in=_ids_filas_do_atendente(atendente))
    return Q()


def _base_filtrada(atendente: Atendente, filtros: FiltrosInbox) -> QuerySet[Ticket]:
    """Visible tickets under every filter but the tab (the tab counts share it)."""
    qs = tickets_visiveis(atendente).filter(status__in=GRUPOS_STATUS[filtros.status])
    if filtros.fila:
        qs = qs.filter(fila_id=filtros.fila)
    if filtros.canal:
        qs = qs.filter(canal_id=filtros.canal)
    if filtros.tag:
        qs = qs.filter(
            id__in=Ticket.tags.through.objects.filter(tag_id=filtros.tag).values("ticket_id")
        )
    if filtros.prioridade:
        qs = qs.filter(prioridade=filtros.prioridade)
    if filtros.q:
        qs = tickets_buscar(qs, texto=filtros.q, empresa_id=atendente.empresa_id)
    return qs


#: what a row of the list shows of the ticket's contact, channel and agent (the queue is read
#: whole: its SLA targets drive the row's clock)
CAMPOS_RELACIONADOS_DA_LISTA = (
    "contato__nome",
    "contato__telefone",
    "contato__email",
    "canal__tipo",
    "canal__nome",
    "atendente__nome",
)


def inbox_tickets(*, atendente: Atendente, filtros: FiltrosInbox) -> QuerySet[Ticket]:
    """The list: newest activity first, with what each row shows (contact, channel, queue,
    assignee, tags) loaded in two queries."""
    return com_colunas(
        _base_filtrada(atendente, filtros)
        .filter(_filtro_aba(atendente, filtros.aba))
        .select_related("contato", "canal", "fila", "atendente")
        .prefetch_related(
            Prefetch("tags", queryset=Tag.objects.order_by("nome"), to_attr=Ticket.ATRIBUTO_TAGS)
        )
        .order_by(F("ultima_mensagem_em").desc(nulls_last=True), "-criado_em", "-id"),
        CAMPOS_RELACIONADOS_DA_LISTA,
    )


def inbox_contagens(*, atendente: Atendente, filtros: FiltrosInbox) -> dict[str, int]:
    """How many tickets each available tab holds under the current filters (one query)."""
    agregados = {
        aba: Count("id", filter=_filtro_aba(atendente, aba)) for aba in abas_disponiveis(atendente)
    }
    return _base_filtrada(atendente, filtros).aggregate(**agregados)


def inbox_opcoes_filtro(*, atendente: Atendente) -> dict[str, list]:
    """Choices of the filter selects: the queues the agent works in (every queue for
    supervisors), the empresa's channels and tags (one query, ``_opcoes``)."""
    return _opcoes(atendente, canais=True, so_filas_do_atendente=not atendente.gerencia_empresa)


def _opcoes(
    atendente: Atendente,
    *,
    canais: bool = False,
    atendentes: bool = False,
    so_filas_do_atendente: bool = False,
) -> dict[str, list]:
    """The options of the inbox's selects, of the atendente's empresa, in one query: ``tags``
    (by name), active ``filas`` (by order, name; with ``so_filas_do_atendente`` only the
    atendente's queues) and, when asked, ``canais`` (by name) and active ``atendentes`` (by
    name).  A ``UNION ALL`` of plain rows in hand-written SQL: three or four ORM queries cost
    ~1 ms of compiling each per page.  Each option is a model instance with only what an option
    shows loaded (id, name, a channel's type, an agent's status): a channel's configuration and
    encrypted secrets are not read."""
    so_do_atendente = ""
    if so_filas_do_atendente:
        membros = AtendenteFila._meta.db_table
        so_do_atendente = (
            f' AND "id" IN (SELECT "fila_id" FROM "{membros}"'  # noqa: S608 - a table name
            ' WHERE "atendente_id" = %s)'
        )
    # (key, model, extra column shown by the option or None, order column, condition, its
    # parameters)
    partes = [
        ("tags", Tag, None, "0", "", []),
        ("filas", Fila, None, '"ordem"', 'AND "ativo"' + so_do_atendente,
         [atendente.id] if so_filas_do_atendente else []),
    ]  # fmt: skip
    if canais:
        partes.append(("canais", Canal, "tipo", "0", "", []))
    if atendentes:
        partes.append(("atendentes", Atendente, "status", "0", 'AND "ativo"', []))
    sql, parametros = [], []
    for n, (_nome, modelo, extra, ordem, condicao, mais) in enumerate(partes):
        tabela = modelo._meta.db_table
        coluna = f'"{extra}"' if extra else "NULL"
        sql.append(
            f'SELECT {n}, "id", "nome", {coluna}::text, {ordem}::integer FROM "{tabela}" '  # noqa: S608 - constants
            f'WHERE "empresa_id" = %s {condicao}'
        )
        parametros += [atendente.empresa_id, *mais]
    opcoes: dict[str, list] = {nome: [] for nome, *_ in partes}
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(sql) + " ORDER BY 1, 5, 3", parametros)
        for n, id_, nome, valor_extra, _ordem in cursor.fetchall():
            chave, modelo, extra = partes[n][:3]
            valores = {"id": id_, "nome": nome}
            if extra:
                valores[extra] = valor_extra
            opcoes[chave].append(_so_colunas(modelo, valores))
    return opcoes


def _so_colunas(modelo, valores: dict):
    """An instance of ``modelo`` as the ORM loads it with ``.only(*valores)``."""
    nomes = [campo.attname for campo in modelo._meta.concrete_fields if campo.attname in valores]
    return modelo.from_db(connection.alias, nomes, [valores[nome] for nome in nomes])


# ------------------------------------------------------------------------------ conversation
def _mensagens_exibiveis(qs: QuerySet[Mensagem]) -> QuerySet[Mensagem]:
    return qs.select_related("atendente", "responder_a")


#: what a message of the conversation shows of its agent and of the message it quotes
CAMPOS_RELACIONADOS_DA_CONVERSA = ("atendente__nome", "responder_a__conteudo", "responder_a__tipo")


def _mensagens_da_conversa_exibiveis(qs: QuerySet[Mensagem]) -> QuerySet[Mensagem]:
    """``_mensagens_exibiveis`` for the conversation's pages: every column of each message,
    only the shown ones of its agent and quoted message (a quoted message is a whole row of
    the messages' table otherwise: ~30 columns compiled, read and converted per message)."""
    return _mensagens_exibiveis(qs).only(
        *(campo.name for campo in Mensagem._meta.concrete_fields),
        *CAMPOS_RELACIONADOS_DA_CONVERSA,
    )


def conversa_inicial(*, ticket: Ticket) -> tuple[list[Mensagem], bool]:
    """The latest messages, oldest→newest, and whether older ones exist."""
    pagina = list(
        _mensagens_da_conversa_exibiveis(mensagens_da_conversa(ticket=ticket))[
            : MENSAGENS_INICIAIS + 1
        ]
    )
    tem_anteriores = len(pagina) > MENSAGENS_INICIAIS
    return list(reversed(pagina[:MENSAGENS_INICIAIS])), tem_anteriores


def conversa_anteriores(*, ticket: Ticket, antes: Mensagem) -> tuple[list[Mensagem], bool]:
    """One page of history strictly before ``antes``, oldest→newest, and whether more exist."""
    pagina = list(
        _mensagens_da_conversa_exibiveis(mensagens_da_conversa(ticket=ticket, antes=antes))[
            : MENSAGENS_POR_PAGINA + 1
        ]
    )
    return list(reversed(pagina[:MENSAGENS_POR_PAGINA])), len(pagina) > MENSAGENS_POR_PAGINA


def conversa_recentes(*, ticket: Ticket, ancora: Mensagem | None) -> list[Mensagem]:
    """Everything from ``ancora`` (the oldest message of the first page shown) onward,
    oldest→newest: the block the open conversation re-fetches when a message arrives, so the
    result never depends on which frames the browser happened to receive.  Without an anchor
    (the conversation was empty when opened) the whole conversation.  Capped at
    ``MENSAGENS_RECENTES_MAX`` newest messages."""
    qs = mensagens_da_conversa(ticket=ticket)
    if ancora is not None:
        anteriores = mensagens_da_conversa(ticket=ticket, antes=ancora).values("id")
        qs = qs.exclude(id__in=anteriores)
    pagina = list(_mensagens_da_conversa_exibiveis(qs)[:MENSAGENS_RECENTES_MAX])
    return list(reversed(pagina))


def mensagem_exibir(*, atendente: Atendente, mensagem_id) -> Mensagem:
    """One message of a ticket the agent may see, with its ticket (404 otherwise)."""
    try:
        return (
            _mensagens_exibiveis(mensagens_visiveis(atendente))
            .select_related("ticket", "ticket__canal")
            .get(pk=mensagem_id)
        )
    except (Mensagem.DoesNotExist, ValueError, TypeError, ValidationError):
        raise NaoEncontrado(_("Mensagem não encontrada.")) from None


# ------------------------------------------------------------------------------ composer
def respostas_rapidas_sugerir(
    *, atendente: Atendente, ticket: Ticket, texto: str
) -> list[Template]:
    """Active quick replies whose ``atalho`` starts with what the agent typed (``/sau``),
    for every queue or the ticket's queue."""
    prefixo = texto.strip()
    if not prefixo.startswith("/") or " " in prefixo:
        return []
    return list(
        da_empresa(Template.objects, atendente)
        .filter(tipo=Template.Tipo.RESPOSTA_RAPIDA, ativo=True, atalho__istartswith=prefixo)
        .filter(Q(fila__isnull=True) | Q(fila_id=ticket.fila_id))
        .order_by("atalho")[:SUGESTOES_MAX]
    )


def resposta_rapida_obter(*, atendente: Atendente, ticket: Ticket, template_id) -> Template:
    try:
        return (
            da_empresa(Template.objects, atendente)
            .filter(tipo=Template.Tipo.RESPOSTA_RAPIDA, ativo=True)
            .filter(Q(fila__isnull=True) | Q(fila_id=ticket.fila_id))
            .get(pk=template_id)
        )
    except (Template.DoesNotExist, ValueError, TypeError, ValidationError):
        raise NaoEncontrado(_("Resposta rápida não encontrada.")) from None


def templates_whatsapp(*, atendente: Atendente, ticket: Ticket | None = None) -> list[Template]:
    """Approved WhatsApp templates for the picker shown outside the 24-hour window: those
    registered by hand and those synced from Meta with status APPROVED — of the ticket's
    channel — each with ``campos`` (its variables and their pre-filled values)."""
    from atendimento.services.templates_whatsapp import variaveis_preenchidas

    consulta = (
        da_empresa(Template.objects, atendente)
        .filter(tipo=Template.Tipo.WHATSAPP, ativo=True, status__in=("", "APPROVED"))
        .order_by("nome")
    )
    if ticket is not None:
        consulta = consulta.filter(Q(canal__isnull=True) | Q(canal_id=ticket.canal_id))
    templates = list(consulta)
    for template in templates:
        template.campos = (
            variaveis_preenchidas(template, ticket=ticket, atendente=atendente) if ticket else []
        )
    return templates


def sugestao_ia_obter(*, atendente: Atendente, ticket: Ticket, resposta_id) -> AIResposta:
    """A suggested reply of ``ticket`` (already checked visible); NaoEncontrado otherwise."""
    try:
        return da_empresa(AIResposta.objects, atendente).get(
            pk=resposta_id, ticket=ticket, funcionalidade=SUGESTAO
        )
    except (AIResposta.DoesNotExist, ValueError, TypeError, ValidationError):
        raise NaoEncontrado(_("Sugestão não encontrada.")) from None


# ------------------------------------------------------------------------------ sidebar
@dataclass(frozen=True)
class Lateral:
    identidades: list
    tickets_do_contato: list[Ticket]
    tags_disponiveis: list[Tag]
    filas: list[Fila]
    atendentes: list[Atendente]
    historico: list[Historico]
    insight: AIInsight | None
    sugestao: AIResposta | None
    analise_em_andamento: bool = False


#: what the sidebar shows of the contact's other tickets (a ticket row is ~40 columns, its
#: channel's carries the encrypted secrets)
CAMPOS_DOS_OUTROS_TICKETS = ("numero", "status", "criado_em", "canal__tipo", "canal__nome")


def lateral_dados(*, atendente: Atendente, ticket: Ticket) -> Lateral:
    """What the sidebar shows beside ``ticket`` (already checked visible)."""
    tickets_do_contato = list(
        tickets_visiveis(atendente)
        .filter(contato_id=ticket.contato_id)
        .exclude(pk=ticket.pk)
        .select_related("canal")
        .only(*CAMPOS_DOS_OUTROS_TICKETS)
        .order_by("-criado_em")[:TICKETS_DO_CONTATO]
    )
    historico = list(
        Historico.objects.filter(ticket=ticket)
        .select_related("atendente")
        .order_by("-criado_em")[:HISTORICO_NA_LATERAL]
    )
    ids_tags = {tag.id for tag in ticket.tags.all()}
    # the options of the selects: only what an option shows, in one query
    opcoes = _opcoes(atendente, atendentes=True)
    return Lateral(
        identidades=_identidades_extras(ticket.contato),
        tickets_do_contato=tickets_do_contato,
        tags_disponiveis=[tag for tag in opcoes["tags"] if tag.id not in ids_tags],
        filas=opcoes["filas"],
        atendentes=opcoes["atendentes"],
        historico=historico,
        insight=AIInsight.objects.filter(ticket=ticket).order_by("-criado_em").first(),
        sugestao=AIResposta.objects.filter(
            ticket=ticket, funcionalidade=SUGESTAO, resultado=AIResposta.Resultado.PENDENTE
        )
        .order_by("-criado_em")
        .first(),
        analise_em_andamento=analise_agendada(ticket.pk),
    )


def _identidades_extras(contato) -> list:
    """The contact's identities on each channel, without repeating the phone and e-mail the
    sidebar already shows."""
    ja_mostrados = {("telefone", contato.telefone), ("email", contato.email)}
    return [
        identidade
        for identidade in contato.identidades.order_by("tipo", "valor")
        if (identidade.tipo, identidade.valor) not in ja_mostrados
    ]


def ticket_para_inbox(*, atendente: Atendente, ticket_id) -> Ticket:
    """One visible ticket with what the conversation header, composer and sidebar read."""
    try:
        return (
            tickets_visiveis(atendente)
            .select_related("contato", "canal", "fila", "atendente")
            .prefetch_related(Prefetch("tags", queryset=Tag.objects.order_by("nome")))
            .get(pk=ticket_id)
        )
    except (Ticket.DoesNotExist, ValueError, TypeError, ValidationError):
        raise NaoEncontrado(_("Ticket não encontrado.")) from None


def relogio_sla(ticket: Ticket) -> tuple[datetime | None, timedelta | None, str | None]:
    """The deadline that matters now — the earliest running one of first response (until
    answered), next response (a customer message waiting) and resolution — the length of its
    target, and which target it is.  None while the ticket waits on the customer (paused)."""
    from atendimento.services.sla import minutos_alvo

    if ticket.status == Ticket.Status.FECHADO or ticket.aguardando_desde is not None:
        return None, None, None
    correndo = [
        (prazo, alvo)
        for prazo, alvo in (
            (
                ticket.sla_primeira_resposta_em if ticket.primeira_resposta_em is None else None,
                "primeira_resposta",
            ),
            (ticket.sla_proxima_resposta_em, "proxima_resposta"),
            (ticket.sla_resolucao_em, "resolucao"),
        )
        if prazo is not None
    ]
    if not correndo:
        return None, None, None
    prazo, alvo = min(correndo, key=lambda par: par[0])
    minutos = minutos_alvo(ticket.fila, ticket.prioridade, alvo) if ticket.fila_id else None
    janela = timedelta(minutes=minutos) if minutos else prazo - ticket.criado_em
    return prazo, janela, alvo


def prazo_sla(ticket: Ticket) -> tuple[datetime | None, timedelta | None]:
    """The deadline that matters now and the whole window it came from (see relogio_sla)."""
    prazo, janela, _ = relogio_sla(ticket)
    return prazo, janela
