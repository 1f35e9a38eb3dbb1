"""What the notice jobs decide: who hears of a new ticket, which customers wait too long, what
goes into the daily summary. Each sends through :func:`notificacoes.notificar` with a ``chave``
naming the event, so a job that runs again sends nothing twice.

``ticket_sem_resposta``: a customer waits when the ticket's last message is theirs
(``ultima_entrada_em >= ultima_mensagem_em``). The limit in minutes is the queue's
``alerta_sem_resposta_min``, else the empresa's ``configuracoes["alerta_sem_resposta_min"]``,
else ``settings.NOTIFICACAO_SEM_RESPOSTA_MIN``. One notice per waiting spell (the chave carries
the customer's last message time); spells older than a day are not looked at any more.
"""

from __future__ import annotations

import logging
import zoneinfo
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import (
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    Value,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from atendimento.models import Atendente, Empresa, Notificacao, Ticket
from atendimento.selectors import painel
from atendimento.services.notificacoes import notificar

logger = logging.getLogger(__name__)

JANELA_SEM_RESPOSTA = timedelta(days=1)


def _destinatarios(ticket: Ticket) -> list[Atendente]:
    """Who should act on ``ticket``: its agent; else its queue's agents; else the supervisors."""
    return _destinatarios_de([ticket])[ticket.pk]


def _destinatarios_de(tickets: list[Ticket]) -> dict:
    """:func:`_destinatarios` of each ticket (by pk), in three queries at most whatever their
    number: the agents assigned, the members of the queues, the supervisors of the empresas."""
    pessoas = Atendente.objects.filter(ativo=True)
    atribuidos = {t.atendente_id for t in tickets if t.atendente_id}
    filas = {t.fila_id for t in tickets if not t.atendente_id and t.fila_id}
    empresas = {t.empresa_id for t in tickets if not t.atendente_id and not t.fila_id}
    por_id = {a.pk: a for a in pessoas.filter(pk__in=atribuidos)} if atribuidos else {}
    membros: dict = {}
    if filas:
        for pessoa in pessoas.filter(membros_fila__fila_id__in=filas).annotate(
            fila_membro=F("membros_fila__fila_id")
        ):
            membros.setdefault(pessoa.fila_membro, {}).setdefault(pessoa.pk, pessoa)
    chefes: dict = {}
    if empresas:
        gerentes = pessoas.filter(
            empresa_id__in=empresas,
            papel__in=[Atendente.Papel.ADMIN, Atendente.Papel.SUPERVISOR],
        )
        for pessoa in gerentes:
            chefes.setdefault(pessoa.empresa_id, []).append(pessoa)
    destinatarios = {}
    for ticket in tickets:
        if ticket.atendente_id:
            candidatos = [por_id[ticket.atendente_id]] if ticket.atendente_id in por_id else []
        elif ticket.fila_id:
            candidatos = list(membros.get(ticket.fila_id, {}).values())
        else:
            candidatos = chefes.get(ticket.empresa_id, [])
        destinatarios[ticket.pk] = [p for p in candidatos if p.empresa_id == ticket.empresa_id]
    return destinatarios


def _nome_contato(ticket: Ticket) -> str:
    return str(ticket.contato) if ticket.contato_id else ""


def avisar_novo_ticket(ticket_id, *, exceto=None) -> int:
    """``novo_ticket`` to the agents who may take it (not ``exceto``, who opened it)."""
    ticket = Ticket.objects.select_related("contato", "fila").filter(id=ticket_id).first()
    if ticket is None or ticket.status == Ticket.Status.FECHADO:
        return 0
    return _avisar_aberto(ticket, _destinatarios(ticket), exceto)


def _avisar_aberto(ticket: Ticket, pessoas: list[Atendente], exceto) -> int:
    pessoas = [p for p in pessoas if str(p.id) != str(exceto or "")]
    inicio = ticket.reaberto_em or ticket.criado_em
    corpo = " · ".join(
        v for v in (_nome_contato(ticket), ticket.assunto or ticket.ultima_mensagem_resumo) if v
    )
    return len(
        notificar(
            empresa=ticket.empresa_id,
            usuarios=pessoas,
            tipo="novo_ticket",
            titulo=lambda: _("Novo ticket #%(numero)s") % {"numero": ticket.numero},
            corpo=corpo,
            ticket=ticket,
            chave=f"novo_ticket:{ticket.id}:{inicio.isoformat()}",
        )
    )


def tickets_sem_resposta(agora: datetime | None = None):
    """Open tickets whose customer has waited longer than their limit (see the module doc)."""
    agora = agora or timezone.now()
    limite = Coalesce(
        F("fila__alerta_sem_resposta_min"),
        Cast(KeyTextTransform("alerta_sem_resposta_min", "empresa__configuracoes"), IntegerField()),
        Value(int(settings.NOTIFICACAO_SEM_RESPOSTA_MIN)),
        output_field=IntegerField(),
    )
    return (
        Ticket.objects.exclude(status=Ticket.Status.FECHADO)
        .filter(
            ultima_entrada_em__isnull=False,
            ultima_entrada_em__gte=agora - JANELA_SEM_RESPOSTA,
        )
        .filter(
            Q(ultima_mensagem_em__isnull=True) | Q(ultima_entrada_em__gte=F("ultima_mensagem_em"))
        )
        .annotate(
            limite_min=limite,
            prazo=ExpressionWrapper(
                F("ultima_entrada_em")
                + ExpressionWrapper(
                    limite * Value(timedelta(minutes=1)), output_field=DurationField()
                ),
                output_field=DateTimeField(),
            ),
        )
        .filter(limite_min__gt=0, prazo__lt=agora)
        # spells already notified (the chave would refuse them anyway: this skips the work)
        .exclude(
            Exists(
                Notificacao.objects.filter(
                    ticket_id=OuterRef("pk"),
                    tipo="ticket_sem_resposta",
                    criado_em__gte=OuterRef("ultima_entrada_em"),
                )
            )
        )
        .select_related("contato", "fila", "empresa")
    )


def avisar_sem_resposta(agora: datetime | None = None) -> int:
    enviadas = 0
    agora = agora or timezone.now()
    for ticket in tickets_sem_resposta(agora):
        espera = int((agora - ticket.ultima_entrada_em).total_seconds() // 60)
        valores = {"numero": ticket.numero, "contato": _nome_contato(ticket), "minutos": espera}
        enviadas += len(
            notificar(
                empresa=ticket.empresa_id,
                usuarios=_destinatarios(ticket),
                tipo="ticket_sem_resposta",
                titulo=lambda v=valores: _("Cliente sem resposta no ticket #%(numero)s") % v,
                corpo=lambda v=valores: _("%(contato)s espera há %(minutos)s min.") % v,
                ticket=ticket,
                chave=f"ticket_sem_resposta:{ticket.id}:{ticket.ultima_entrada_em.isoformat()}",
            )
        )
    return enviadas


# ----------------------------------------------------------------------------- daily summary
def _dia_local(empresa: Empresa, dia: date) -> tuple[datetime, datetime]:
    fuso = zoneinfo.ZoneInfo(empresa.fuso_horario or settings.TIME_ZONE)
    inicio = datetime.combine(dia, time.min, tzinfo=fuso)
    return inicio, inicio + timedelta(days=1)


def _minutos(segundos: float | None) -> str:
    return "—" if segundos is None else f"{segundos / 60:.0f} min"


def _texto_resumo(numeros: painel.Resumo) -> str:
    linhas = [
        _("Tickets abertos: %(n)s") % {"n": numeros.abertos},
        _("Tickets fechados: %(n)s") % {"n": numeros.fechados},
        _("Mensagens recebidas: %(n)s") % {"n": numeros.recebidas},
        _("Mensagens enviadas: %(n)s") % {"n": numeros.enviadas},
        _("Primeira resposta (mediana): %(t)s") % {"t": _minutos(numeros.primeira_resposta_p50)},
        _("Resolução (mediana): %(t)s") % {"t": _minutos(numeros.resolucao_p50)},
        _("Tickets com SLA violado: %(n)s") % {"n": numeros.sla_violados},
    ]
    return "\n".join(linhas)


def enviar_resumos(data: str | None = None, *, agora: datetime | None = None) -> int:
    """The daily summary of ``data`` (ISO; default: yesterday in each empresa's time zone) to
    every active person of every active empresa: an agent gets their own figures, a supervisor
    or admin the empresa's. In the app and by e-mail."""
    enviadas = 0
    agora = agora or timezone.now()
    for empresa in Empresa.objects.filter(ativo=True):
        fuso = zoneinfo.ZoneInfo(empresa.fuso_horario or settings.TIME_ZONE)
        dia = date.fromisoformat(data) if data else (agora.astimezone(fuso).date() - timedelta(1))
        inicio, fim = _dia_local(empresa, dia)
        pessoas = list(Atendente.objects.filter(empresa=empresa, ativo=True))
        if not pessoas:
            continue
        da_empresa = painel.resumo(empresa.id, inicio, fim)
        por_atendente = painel.resumo_por_atendente(empresa.id, inicio, fim)
        for pessoa in pessoas:
            # rendered in the person's language (notificar calls them under its override)
            if pessoa.gerencia_empresa:
                numeros = da_empresa

                def titulo(dia=dia, empresa=empresa) -> str:
                    return _("Resumo do dia %(data)s — %(empresa)s") % {
                        "data": date_format(dia, "SHORT_DATE_FORMAT"),
                        "empresa": empresa.nome,
                    }
            else:
                numeros = por_atendente.get(pessoa.id, painel.Resumo())

                def titulo(dia=dia, empresa=empresa) -> str:
                    return _("Seu resumo do dia %(data)s") % {
                        "data": date_format(dia, "SHORT_DATE_FORMAT")
                    }

            enviadas += len(
                notificar(
                    empresa=empresa,
                    usuarios=[pessoa],
                    tipo="resumo_diario",
                    titulo=titulo,
                    corpo=lambda numeros=numeros: _texto_resumo(numeros),
                    chave=f"resumo_diario:{dia.isoformat()}",
                    email=True,
                )
            )
    return enviadas


# ----------------------------------------------------------------------------- triggers
def avisar_novos_tickets(ticket_ids, *, exceto=None) -> int:
    """:func:`avisar_novo_ticket` for each ticket: the tickets and who should hear of them in
    a fixed number of queries (a burst of 200 first contacts cost the notifications worker
    2 ms of CPU per ticket, one query after another), then one :func:`notificar` per ticket
    with someone to tell; one that fails is logged and the others are still told."""
    ids = list(dict.fromkeys(str(t) for t in ticket_ids))
    if not ids:
        return 0
    try:
        achados = {
            str(t.pk): t
            for t in Ticket.objects.select_related("contato", "fila")
            .filter(id__in=ids)
            .exclude(status=Ticket.Status.FECHADO)
        }
        tickets = [achados[i] for i in ids if i in achados]
        destinatarios = _destinatarios_de(tickets)
    except Exception:
        logger.exception("novo_ticket não avisado para %s tickets", len(ids))
        return 0
    enviadas = 0
    for ticket in tickets:
        try:
            enviadas += _avisar_aberto(ticket, destinatarios[ticket.pk], exceto)
        except Exception:
            logger.exception("novo_ticket não avisado para %s", ticket.pk)
    return enviadas


def agendar_novo_ticket(ticket_ids, *, exceto=None) -> None:
    """Queue the ``novo_ticket`` notices of these tickets, one job for all of them (call after
    commit)."""
    from atendimento.tasks.notificacoes import novo_ticket, novos_tickets
    from canais.enfileirar import enfileirar

    ids = list(dict.fromkeys(str(t) for t in ticket_ids))
    exceto = str(exceto) if exceto else None
    # broker down: the ticket is there, the notice is lost (logged once per interval by the
    # enqueue seam, not a traceback per ticket), never the ingest
    if len(ids) == 1:
        enfileirar(novo_ticket, ids[0], exceto=exceto)
    elif ids:
        enfileirar(novos_tickets, ids, exceto=exceto)


def ao_receber(entradas) -> None:
    """Reaction to committed customer messages: a ticket opened (or reopened) by one of them
    is a new ticket for its agents."""
    agendar_novo_ticket([e.ticket_id for e in entradas if e.ticket_novo])
