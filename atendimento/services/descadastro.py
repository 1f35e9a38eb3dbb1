"""Opt-out: a contact who asked not to receive campaigns (replied STOP, Twilio error 21610, or
marked by a supervisor) is skipped by bulk sends, with the reason shown per recipient.

Replies inside a conversation the customer opened are not affected: opting out of campaigns
is not closing the door on support (Twilio itself still blocks a sender the customer STOPped).
"""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from atendimento.models import Contato, Mensagem
from atendimento.services.reacoes import EntradaConfirmada, reagir_a_entrada, tipos_dos_canais
from canais.enfileirar import enfileirar, responder_callback


def contato_descadastrar(*, contato_id, motivo: str) -> bool:
    """Mark the contact opted out (the first reason is kept); True when it changed."""
    return bool(
        Contato.objects.filter(pk=contato_id, opt_out_em__isnull=True).update(
            opt_out_em=timezone.now(), opt_out_motivo=motivo[:255], atualizado_em=timezone.now()
        )
    )


def contato_recadastrar(*, contato_id) -> bool:
    """The contact opted back in (START)."""
    return bool(
        Contato.objects.filter(pk=contato_id, opt_out_em__isnull=False).update(
            opt_out_em=None, opt_out_motivo="", atualizado_em=timezone.now()
        )
    )


#: what a customer's message asks of us beyond storing it, by the key the adapter put in
#: ``Mensagem.dados``, for the channel types whose adapters put it there: one query per
#: committed batch of those channels finds the few messages that carry one (none for others)
_ACOES = {"opt_out": frozenset({"twilio"}), "callback_id": frozenset({"telegram"})}
_TIPOS_COM_ACOES = frozenset().union(*_ACOES.values())


def _palavra_chave(mensagem: Mensagem) -> None:
    opt_out = str(mensagem.dados.get("opt_out") or "")
    if opt_out == "STOP":
        contato_descadastrar(
            contato_id=mensagem.ticket.contato_id,
            motivo=f"respondeu {mensagem.conteudo.strip()[:40] or 'STOP'} "
            f"em {timezone.localtime():%d/%m/%Y}",
        )
    elif opt_out == "START":
        contato_recadastrar(contato_id=mensagem.ticket.contato_id)


def _botao(mensagem: Mensagem) -> None:
    enfileirar(responder_callback, str(mensagem.pk))


def apos_entrada(entradas: list[EntradaConfirmada]) -> None:
    tipos = tipos_dos_canais({e.canal_id for e in entradas})
    ids = [e.mensagem_id for e in entradas if tipos.get(e.canal_id) in _TIPOS_COM_ACOES]
    if not ids:
        return
    filtro = Q()
    for chave in _ACOES:
        filtro |= Q(dados__has_key=chave)
    mensagens = Mensagem.objects.select_related("ticket").filter(filtro, pk__in=ids)
    for mensagem in mensagens:
        if "opt_out" in mensagem.dados:
            _palavra_chave(mensagem)
        if "callback_id" in mensagem.dados:
            _botao(mensagem)


def registrar() -> None:
    reagir_a_entrada(apos_entrada)
