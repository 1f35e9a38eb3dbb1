"""Rules and building blocks shared by the outbound services (:mod:`atendimento.services.saida`):
the WhatsApp 24-hour window, where a ticket's messages go, the checks before storing a message,
storing it with the ticket's bookkeeping, and queueing it after commit."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from celery import Task
from django.db import transaction
from django.db.models import F
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from atendimento.exceptions import NaoEncontrado, RegraNegocio
from atendimento.models import (
    Atendente,
    Canal,
    Historico,
    IdentidadeContato,
    Mensagem,
    Template,
    Ticket,
)
from atendimento.realtime.eventos import (
    publicar_nova_mensagem,
    publicar_status_mensagem,
    publicar_ticket_atualizado,
)
from atendimento.selectors.acesso import ticket_visivel
from atendimento.services import sla
from canais.adapters.base import AdaptadorCanal
from canais.enfileirar import publicar
from canais.registry import TipoCanalDesconhecido, classe_adaptador

logger = logging.getLogger(__name__)


JANELA_ATENDIMENTO = timedelta(hours=24)

#: statuses of a synced template that may be sent ("" = registered by hand)
STATUS_ENVIAVEIS = frozenset({"", "APPROVED"})


# ------------------------------------------------------------------------------- reads
def janela_aberta(ticket: Ticket, *, agora=None) -> bool:
    """True when free text may be sent: the channel has no window, or the customer wrote in
    the last 24 hours."""
    try:
        tem_janela = classe_adaptador(ticket.canal.tipo).tem_janela(ticket.canal.config or {})
    except TipoCanalDesconhecido:
        tem_janela = False
    if not tem_janela:
        return True
    if ticket.ultima_entrada_em is None:
        return False
    return (agora or timezone.now()) - ticket.ultima_entrada_em < JANELA_ATENDIMENTO


def destino_do_ticket(ticket: Ticket) -> str:
    """The provider address of the ticket's conversation ("" when the contact has none here)."""
    if ticket.conversa_id_externo:
        return ticket.conversa_id_externo
    try:
        classe = classe_adaptador(ticket.canal.tipo)
    except TipoCanalDesconhecido:
        return ""
    tipos = classe.identidades_destino
    identidades = dict(
        IdentidadeContato.objects.filter(contato_id=ticket.contato_id, tipo__in=tipos).values_list(
            "tipo", "valor"
        )
    )
    for tipo_identidade in tipos:
        if identidades.get(tipo_identidade):
            return identidades[tipo_identidade]
    campo = classe.campo_contato_destino
    return str(getattr(ticket.contato, campo, "") or "") if campo else ""


def resumo(mensagem: Mensagem) -> str:
    texto = " ".join(mensagem.conteudo.split())
    if mensagem.tipo != Mensagem.Tipo.TEXTO:
        rotulo = f"[{mensagem.get_tipo_display()}]"
        texto = f"{rotulo} {texto or mensagem.midia_nome}".strip()
    return texto[:200]


# ------------------------------------------------------------------------------- checks
def ticket_para_envio(atendente: Atendente, ticket: Ticket | Any) -> Ticket:
    """The ticket, locked, if this agent may send on it now."""
    try:
        bloqueado = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("canal", "contato")
            .get(pk=getattr(ticket, "pk", ticket), empresa_id=atendente.empresa_id)
        )
    except (Ticket.DoesNotExist, ValueError, TypeError):
        raise NaoEncontrado(_("Ticket não encontrado.")) from None
    if not ticket_visivel(atendente, bloqueado):
        raise NaoEncontrado(_("Ticket não encontrado."))
    if bloqueado.status == Ticket.Status.FECHADO:
        raise RegraNegocio(_("O ticket está fechado: reabra-o para enviar mensagens."))
    if not bloqueado.canal.ativo:
        raise RegraNegocio(
            _("O canal “%(bloqueado_canal_nome)s” está inativo: ative-o para enviar mensagens.")
            % {"bloqueado_canal_nome": bloqueado.canal.nome}
        )
    if not destino_do_ticket(bloqueado):
        raise RegraNegocio(
            _("O contato não tem endereço no canal %(valor)s.")
            % {"valor": bloqueado.canal.get_tipo_display()}
        )
    return bloqueado


def exigir_janela(ticket: Ticket) -> None:
    if janela_aberta(ticket):
        return
    if ticket.ultima_entrada_em is None:
        quando = _("o cliente ainda não escreveu nesta conversa")
    else:
        local = timezone.localtime(ticket.ultima_entrada_em)
        quando = _("a última mensagem do cliente foi em %(data)s") % {
            "data": formats.date_format(local, "SHORT_DATETIME_FORMAT")
        }
    raise RegraNegocio(
        _(
            "A janela de 24 horas de atendimento do WhatsApp está fechada (%(quando)s). "
            "Fora dela só é possível enviar um template aprovado do WhatsApp: "
            "escolha um template para retomar a conversa."
        )
        % {"quando": quando},
        janela_aberta=False,
        ultima_entrada_em=ticket.ultima_entrada_em.isoformat()
        if ticket.ultima_entrada_em
        else None,
    )


def template_valido(atendente: Atendente, ticket: Ticket, template: Template | Any) -> Template:
    if not isinstance(template, Template):
        try:
            template = Template.objects.get(pk=template, empresa_id=atendente.empresa_id)
        except (Template.DoesNotExist, ValueError, TypeError):
            raise NaoEncontrado(_("Template não encontrado.")) from None
    if template.empresa_id != atendente.empresa_id:
        raise NaoEncontrado(_("Template não encontrado."))
    if not template.ativo:
        raise RegraNegocio(
            _("O template “%(template_nome)s” está inativo.") % {"template_nome": template.nome}
        )
    if template.tipo == Template.Tipo.WHATSAPP:
        classe = classe_do_canal(ticket.canal)
        if not classe.envia_templates_whatsapp(ticket.canal.config or {}):
            raise RegraNegocio(
                _("Templates aprovados do WhatsApp só podem ser enviados pelo WhatsApp.")
            )
        if template.canal_id and template.canal_id != ticket.canal_id:
            raise RegraNegocio(
                _("O template “%(template_nome)s” pertence a outro número de WhatsApp.")
                % {"template_nome": template.nome}
            )
        if template.status not in STATUS_ENVIAVEIS:
            raise RegraNegocio(
                _("O template “%(template_nome)s” não está aprovado pela Meta (%(status)s).")
                % {"template_nome": template.nome, "status": template.status}
            )
    return template


def mensagem_respondida(ticket: Ticket, responder_a: Mensagem | Any) -> Mensagem | None:
    if responder_a is None or responder_a == "":
        return None
    try:
        return Mensagem.objects.get(pk=getattr(responder_a, "pk", responder_a), ticket=ticket)
    except (Mensagem.DoesNotExist, ValueError, TypeError):
        raise NaoEncontrado(_("A mensagem respondida não pertence a este ticket.")) from None


def classe_do_canal(canal: Canal) -> type[AdaptadorCanal]:
    try:
        return classe_adaptador(canal.tipo)
    except TipoCanalDesconhecido:
        raise RegraNegocio(
            _("O canal %(valor)s ainda não envia mensagens.") % {"valor": canal.get_tipo_display()}
        ) from None


# ------------------------------------------------------------------------------- writes
def nova_saida(ticket: Ticket, atendente: Atendente, **campos: Any) -> Mensagem:
    return Mensagem(
        empresa_id=ticket.empresa_id,
        ticket=ticket,
        canal_id=ticket.canal_id,
        direcao=Mensagem.Direcao.SAIDA,
        remetente_tipo=Mensagem.Remetente.ATENDENTE,
        atendente=atendente,
        remetente_nome=atendente.nome,
        status=Mensagem.Status.PENDENTE,
        data=timezone.now(),
        **campos,
    )


def gravar_saida(ticket: Ticket, atendente: Atendente, mensagem: Mensagem) -> Mensagem:
    """Insert the message and update the ticket (first response, counters), then publish."""
    mensagem.save(force_insert=True)
    agora = mensagem.data
    ticket.ultima_mensagem_em = agora
    ticket.ultima_mensagem_resumo = resumo(mensagem)
    ticket.total_mensagens = F("total_mensagens") + 1
    campos = ["ultima_mensagem_em", "ultima_mensagem_resumo", "total_mensagens", "atualizado_em"]
    campos += sla.ao_responder(ticket, agora)
    if ticket.primeira_resposta_em is None:
        ticket.primeira_resposta_em = agora
        campos.append("primeira_resposta_em")
    if ticket.status == Ticket.Status.ABERTO:
        ticket.status = Ticket.Status.EM_ATENDIMENTO
        campos.append("status")
        Historico.objects.create(
            empresa_id=ticket.empresa_id,
            ticket=ticket,
            acao=Historico.Acao.STATUS,
            descricao="Primeira resposta enviada: ticket em atendimento.",
            dados={"de": Ticket.Status.ABERTO, "para": Ticket.Status.EM_ATENDIMENTO},
            atendente=atendente,
            usuario_id=atendente.usuario_id,
        )
    ticket.save(update_fields=campos)
    ticket.refresh_from_db(fields=["total_mensagens"])
    publicar_nova_mensagem(mensagem, ticket)
    publicar_ticket_atualizado(ticket)
    if ticket.atendente_id is None and atendente is not None:
        from atendimento.services.distribuicao import assumir_ao_responder

        assumir_ao_responder(ticket, atendente)
    return mensagem


def enfileirar(tarefa: Task, mensagem_id) -> None:
    """Queue ``tarefa(mensagem_id)`` (a task of :mod:`canais.enfileirar`) after commit."""
    transaction.on_commit(lambda: enfileirar_agora(tarefa, mensagem_id))


def enfileirar_agora(tarefa: Task, mensagem_id, **opcoes: Any) -> bool:
    """Hand the message to the broker; on failure keep it ``pendente`` with the reason shown
    (never lost: the sweep or ``mensagem_reenviar`` queues it again)."""
    if publicar(tarefa, args=[str(mensagem_id)], **opcoes):
        return True
    registrar_nao_enfileirada(mensagem_id)  # the stored message is the source of truth
    return False


@transaction.atomic
def registrar_nao_enfileirada(mensagem_id) -> None:
    alterou = Mensagem.objects.filter(pk=mensagem_id, status=Mensagem.Status.PENDENTE).update(
        erro_codigo="fila_indisponivel",
        erro_detalhe=(
            "A mensagem foi salva mas não entrou na fila de envio (serviço de filas "
            "indisponível). Use “reenviar” para tentar de novo."
        ),
        atualizado_em=timezone.now(),
    )
    if alterou:
        mensagem = Mensagem.objects.select_related("ticket").get(pk=mensagem_id)
        publicar_status_mensagem(mensagem, mensagem.ticket)
