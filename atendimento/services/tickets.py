"""Ticket actions taken by people (API, inbox): create, edit, assign, transfer, close, reopen,
tag, delete.  Each writes Historico and publishes ``ticket_atualizado`` after commit."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from atendimento.exceptions import Conflito, RegraNegocio
from atendimento.models import (
    Atendente,
    Canal,
    Contato,
    Empresa,
    Fila,
    Historico,
    IdentidadeContato,
    Tag,
    Ticket,
)
from atendimento.realtime.eventos import publicar_ticket_atualizado
from atendimento.realtime.grupos import grupos_que_veem_ticket
from atendimento.services import avisos, sla
from atendimento.services.abertura import ticket_abrir
from atendimento.services.contatos import contato_obter_ou_criar
from canais.registry import classe_adaptador

TipoId = IdentidadeContato.Tipo


# ------------------------------------------------------------------------------- creation
_CAMPO_CONTATO = {TipoId.TELEFONE: "telefone", TipoId.WHATSAPP: "telefone", TipoId.EMAIL: "email"}


def conversa_do_contato(*, canal: Canal, contato: Contato) -> str:
    """How ``contato`` is addressed on ``canal`` (the ticket's ``conversa_id_externo``)."""
    identidades = {i.tipo: i.valor for i in contato.identidades.all()}
    for tipo, campo in _CAMPO_CONTATO.items():
        identidades.setdefault(tipo, getattr(contato, campo))
    return classe_adaptador(canal.tipo).conversa_do_contato(canal.config or {}, identidades)


@transaction.atomic
def ticket_criar(
    *,
    empresa: Empresa,
    canal: Canal,
    contato: Contato | None = None,
    novo_contato: dict[str, str] | None = None,
    assunto: str = "",
    fila: Fila | None = None,
    prioridade: str = Ticket.Prioridade.MEDIA,
    por: Atendente | None = None,
) -> Ticket:
    """A ticket opened by an agent for ``contato``, or for the contact found or created from
    ``novo_contato`` (``nome``, ``telefone``, ``email``).  The conversation is the contact's
    address on ``canal``; Conflito (409) when it already has an open ticket."""
    if contato is None:
        contato = contato_obter_ou_criar(empresa=empresa, **(novo_contato or {}))
    conversa = conversa_do_contato(canal=canal, contato=contato)
    if not conversa:
        raise RegraNegocio(
            _(
                "O contato não tem um endereço no canal %(valor)s "
                "(telefone, e-mail ou usuário do Telegram)."
            )
            % {"valor": canal.get_tipo_display()}
        )
    aberto = Ticket.objects.filter(canal=canal, conversa_id_externo=conversa).exclude(
        status=Ticket.Status.FECHADO
    )
    existente = aberto.values_list("id", "numero").first()
    if existente:
        raise Conflito(
            _("Já existe o ticket #%(valor)s aberto para este contato neste canal.")
            % {"valor": existente[1]},
            ticket_id=str(existente[0]),
        )
    ticket = ticket_abrir(
        empresa=empresa,
        canal=canal,
        contato=contato,
        conversa_id_externo=conversa,
        assunto=assunto,
        fila=fila,
        prioridade=prioridade,
        por=por,
    )
    _redistribuir_apos_commit(ticket, liberado=None)
    transaction.on_commit(
        lambda: avisos.agendar_novo_ticket([ticket.pk], exceto=por.pk if por else None)
    )
    return ticket


# ------------------------------------------------------------------------------- helpers
def _travar(ticket: Ticket) -> Ticket:
    """Re-read the ticket under a row lock so concurrent actions serialise."""
    return Ticket.objects.select_for_update().get(pk=ticket.pk)


def _registrar(
    ticket: Ticket, *, acao: str, descricao: str, por: Atendente | None, **dados: object
) -> Historico:
    return Historico.objects.create(
        empresa_id=ticket.empresa_id,
        ticket=ticket,
        acao=acao,
        descricao=descricao,
        dados=dados,
        atendente=por,
        usuario_id=por.usuario_id if por else None,
    )


def _id(valor) -> str | None:
    return str(valor) if valor else None


def _redistribuir_apos_commit(ticket: Ticket, *, liberado) -> None:
    """After commit: the queue's waiting tickets go to whoever is free now (the agent who was
    just relieved of this ticket, or the new queue's agents for an unassigned one)."""
    from atendimento.services.distribuicao import distribuir_apos_commit

    distribuir_apos_commit(
        filas=[ticket.fila_id] if ticket.atendente_id is None else [],
        atendentes=[liberado] if liberado != ticket.atendente_id else [],
    )


def _exigir_aberto(ticket: Ticket, acao: str) -> None:
    if ticket.status == Ticket.Status.FECHADO:
        raise RegraNegocio(_("O ticket está fechado: reabra-o antes de %(acao)s.") % {"acao": acao})


# ------------------------------------------------------------------------------- actions
@transaction.atomic
def ticket_atualizar(
    *,
    ticket: Ticket,
    por: Atendente | None,
    assunto: str | None = None,
    prioridade: str | None = None,
    status: str | None = None,
) -> Ticket:
    """Subject, priority and the working status (aberto/em_atendimento/aguardando); closing and
    reopening have their own actions."""
    ticket = _travar(ticket)
    if status == Ticket.Status.FECHADO:
        raise RegraNegocio(_("Use a ação fechar para encerrar o ticket."))
    if status is not None and status != ticket.status:
        _exigir_aberto(ticket, "mudar o status")
    mudancas: list[str] = []
    alteracoes = (
        ("assunto", assunto, Historico.Acao.ATUALIZADO, "Assunto alterado."),
        ("prioridade", prioridade, Historico.Acao.PRIORIDADE, "Prioridade: {de} → {para}."),
        ("status", status, Historico.Acao.STATUS, "Status: {de} → {para}."),
    )
    for campo, valor, acao, descricao in alteracoes:
        anterior = getattr(ticket, campo)
        if valor is None or valor == anterior:
            continue
        _registrar(
            ticket,
            acao=acao,
            descricao=descricao.format(de=anterior, para=valor),
            por=por,
            de=anterior,
            para=valor,
        )
        setattr(ticket, campo, valor)
        mudancas.append(campo)
    if mudancas:
        agora = timezone.now()
        if "status" in mudancas:
            mudancas += (
                sla.pausar(ticket, agora)
                if ticket.status == Ticket.Status.AGUARDANDO
                else sla.retomar(ticket, agora)
            )
        if "prioridade" in mudancas:
            mudancas += sla.recalcular(ticket)
        ticket.save(update_fields=[*dict.fromkeys(mudancas), "atualizado_em"])
        publicar_ticket_atualizado(ticket)
    return ticket


@transaction.atomic
def ticket_atribuir(
    *,
    ticket: Ticket,
    atendente_destino: Atendente | None,
    por: Atendente | None,
    motivo: str = "",
    dados: dict | None = None,
) -> Ticket:
    """Assign to ``atendente_destino`` (None: back to the queue, unassigned).  ``motivo``
    (why: automatic distribution, agent offline, ...) goes to the history with ``dados``."""
    ticket = _travar(ticket)
    _exigir_aberto(ticket, "atribuí-lo")
    if atendente_destino is not None and not atendente_destino.ativo:
        raise RegraNegocio(_("O atendente está inativo."))
    destino_id = atendente_destino.id if atendente_destino else None
    if destino_id == ticket.atendente_id:
        return ticket
    grupos_anteriores = grupos_que_veem_ticket(ticket)
    _registrar(
        ticket,
        acao=Historico.Acao.ATRIBUIDO,
        descricao=(
            f"Atribuído a {atendente_destino.nome}."
            if atendente_destino
            else "Atribuição removida."
        )
        + (f" Motivo: {motivo}" if motivo else ""),
        por=por,
        de=_id(ticket.atendente_id),
        para=_id(destino_id),
        **({"motivo": motivo} if motivo else {}),
        **(dados or {}),
    )
    anterior_id = ticket.atendente_id
    ticket.atendente = atendente_destino
    ticket.save(update_fields=["atendente", "atualizado_em"])
    publicar_ticket_atualizado(ticket, grupos_anteriores=grupos_anteriores)
    _redistribuir_apos_commit(ticket, liberado=anterior_id)
    return ticket


@transaction.atomic
def ticket_transferir(
    *,
    ticket: Ticket,
    fila: Fila,
    atendente_destino: Atendente | None = None,
    motivo: str = "",
    por: Atendente | None,
) -> Ticket:
    """Move to another queue, to ``atendente_destino`` or unassigned (the new queue's turn)."""
    ticket = _travar(ticket)
    _exigir_aberto(ticket, "transferi-lo")
    if not fila.ativo:
        raise RegraNegocio(_("A fila de destino está inativa."))
    if atendente_destino is not None and not atendente_destino.ativo:
        raise RegraNegocio(_("O atendente de destino está inativo."))
    destino_id = atendente_destino.id if atendente_destino else None
    if fila.id == ticket.fila_id and destino_id == ticket.atendente_id:
        raise RegraNegocio(_("O ticket já está nessa fila com esse atendente."))
    grupos_anteriores = grupos_que_veem_ticket(ticket)
    _registrar(
        ticket,
        acao=Historico.Acao.TRANSFERIDO,
        descricao=f"Transferido para a fila {fila.nome}."
        + (f" Motivo: {motivo}" if motivo else ""),
        por=por,
        fila_de=_id(ticket.fila_id),
        fila_para=str(fila.id),
        atendente_de=_id(ticket.atendente_id),
        atendente_para=_id(destino_id),
        motivo=motivo,
    )
    anterior_id = ticket.atendente_id
    ticket.fila = fila
    ticket.atendente = atendente_destino
    campos_sla = sla.recalcular(ticket)  # the new queue's targets and business hours
    ticket.save(update_fields=["fila", "atendente", "atualizado_em", *campos_sla])
    publicar_ticket_atualizado(ticket, grupos_anteriores=grupos_anteriores)
    _redistribuir_apos_commit(ticket, liberado=anterior_id)
    return ticket


@transaction.atomic
def ticket_fechar(*, ticket: Ticket, motivo: str = "", por: Atendente | None) -> Ticket:
    ticket = _travar(ticket)
    if ticket.status == Ticket.Status.FECHADO:
        raise Conflito(_("O ticket já está fechado."))
    agora = timezone.now()
    _registrar(
        ticket,
        acao=Historico.Acao.FECHADO,
        descricao="Ticket fechado." + (f" Motivo: {motivo}" if motivo else ""),
        por=por,
        de=ticket.status,
        motivo=motivo,
    )
    campos_sla = sla.ao_fechar(ticket, agora)
    ticket.status = Ticket.Status.FECHADO
    ticket.fechado_em = agora
    ticket.motivo_fechamento = motivo
    ticket.automacao = Ticket.Automacao.NENHUMA  # the menu or the bot stops with the ticket
    ticket.automacao_desde = None
    ticket.save(
        update_fields=[
            "status", "fechado_em", "motivo_fechamento", "automacao", "automacao_desde",
            "atualizado_em", *campos_sla,
        ]
    )  # fmt: skip
    publicar_ticket_atualizado(ticket)
    if ticket.atendente_id:  # a free slot: the agent's queues hand out waiting tickets
        from atendimento.services.distribuicao import distribuir_apos_commit

        distribuir_apos_commit(atendentes=[ticket.atendente_id])
    from ia.tasks import agendar_churn

    agendar_churn(ticket.pk)  # the contact's churn risk, with this ticket closed
    return ticket


@transaction.atomic
def ticket_reabrir(*, ticket: Ticket, por: Atendente | None) -> Ticket:
    """Back to ``aberto`` with a new resolution deadline from its queue; Conflito when the
    conversation already has another open ticket."""
    ticket = _travar(ticket)
    if ticket.status != Ticket.Status.FECHADO:
        raise Conflito(_("O ticket não está fechado."))
    if ticket.conversa_id_externo:
        outro = (
            Ticket.objects.filter(
                canal_id=ticket.canal_id, conversa_id_externo=ticket.conversa_id_externo
            )
            .exclude(status=Ticket.Status.FECHADO)
            .values_list("id", "numero")
            .first()
        )
        if outro:
            raise Conflito(
                _("A conversa já tem o ticket #%(valor)s aberto.") % {"valor": outro[1]},
                ticket_id=str(outro[0]),
            )
    agora = timezone.now()
    _registrar(ticket, acao=Historico.Acao.REABERTO, descricao="Ticket reaberto.", por=por)
    ticket.status = Ticket.Status.ABERTO
    ticket.reaberto_em = agora
    ticket.fechado_em = None
    campos = ["status", "reaberto_em", "fechado_em", "atualizado_em", *sla.ao_reabrir(ticket)]
    try:
        with transaction.atomic():
            ticket.save(update_fields=campos)
    except IntegrityError:  # a concurrent inbound message opened a new ticket meanwhile
        raise Conflito(_("A conversa já tem outro ticket aberto.")) from None
    publicar_ticket_atualizado(ticket)
    return ticket


@transaction.atomic
def ticket_alterar_tags(
    *,
    ticket: Ticket,
    adicionar: Iterable[Tag] = (),
    remover: Iterable[Tag] = (),
    por: Atendente | None,
) -> Ticket:
    ticket = _travar(ticket)
    atuais = set(ticket.tags.values_list("id", flat=True))
    novas = [tag for tag in dict.fromkeys(adicionar) if tag.id not in atuais]
    removidas = [tag for tag in dict.fromkeys(remover) if tag.id in atuais]
    if not novas and not removidas:
        return ticket
    ticket.tags.add(*novas)
    ticket.tags.remove(*removidas)
    _registrar(
        ticket,
        acao=Historico.Acao.TAGS,
        descricao="Tags alteradas.",
        por=por,
        adicionadas=[tag.nome for tag in novas],
        removidas=[tag.nome for tag in removidas],
    )
    ticket.save(update_fields=["atualizado_em"])
    publicar_ticket_atualizado(ticket)
    return ticket


@transaction.atomic
def ticket_excluir(*, ticket: Ticket, por: Atendente | None) -> None:
    """Delete the ticket with its messages, history and insights."""
    Ticket.objects.filter(pk=ticket.pk).delete()
