"""Delivery state of outbound messages: pendente < enviada < entregue < lida, and ``erro``.

Every transition is one conditional ``UPDATE … WHERE status IN (<states below the new one>)``,
so two statuses processed at the same time (or a late ``sent`` after a ``read``) can never move
a message back; ``erro`` is final.  A change publishes ``status_mensagem`` after commit; a
repeated or late status changes nothing and publishes nothing.

``mensagem_aplicar_status`` is the entry point for provider status webhooks (re-exported by
:mod:`atendimento.services.saida`); the ``mensagem_registrar_*`` functions are used by the
sending task (``canais.tasks.envio``).
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce
from django.utils import timezone

from atendimento.models import Canal, Mensagem
from atendimento.realtime.eventos import publicar_status_mensagem
from canais.adapters.base import StatusEntrada, StatusEntrega

S = Mensagem.Status

#: new status -> the states it may move a message from
ANTERIORES: dict[str, tuple[str, ...]] = {
    S.ENVIADA: (S.PENDENTE,),
    S.ENTREGUE: (S.PENDENTE, S.ENVIADA),
    S.LIDA: (S.PENDENTE, S.ENVIADA, S.ENTREGUE),
    # "failed after delivered" happens (e.g. a media download failure); after "read" it cannot
    S.ERRO: (S.PENDENTE, S.ENVIADA, S.ENTREGUE),
}

#: provider status -> our status
STATUS_DO_PROVEDOR: dict[StatusEntrega, str] = {
    StatusEntrega.ENVIADA: S.ENVIADA,
    StatusEntrega.ENTREGUE: S.ENTREGUE,
    StatusEntrega.LIDA: S.LIDA,
    StatusEntrega.ERRO: S.ERRO,
}


def _carimbos(novo: str, quando) -> dict:
    """enviada_em/entregue_em/lida_em, never overwriting an earlier value.  A ``read`` may come
    without ``delivered`` (WhatsApp skips it): reading implies both earlier steps."""
    campos: dict = {}
    if novo in (S.ENVIADA, S.ENTREGUE, S.LIDA):
        campos["enviada_em"] = Coalesce(F("enviada_em"), quando)
    if novo in (S.ENTREGUE, S.LIDA):
        campos["entregue_em"] = Coalesce(F("entregue_em"), quando)
    if novo == S.LIDA:
        campos["lida_em"] = Coalesce(F("lida_em"), quando)
    return campos


def _mover(filtro: dict, novo: str, **campos) -> Mensagem | None:
    """Apply the transition to the message matching ``filtro`` if it is still below ``novo``;
    return the updated message (and publish) or None when nothing changed."""
    alterou = Mensagem.objects.filter(
        **filtro, direcao=Mensagem.Direcao.SAIDA, status__in=ANTERIORES[novo]
    ).update(status=novo, atualizado_em=timezone.now(), **campos)
    if not alterou:
        return None
    mensagem = Mensagem.objects.select_related("ticket").get(**filtro)
    publicar_status_mensagem(mensagem, mensagem.ticket)
    return mensagem


@transaction.atomic
def mensagem_aplicar_status(*, canal: Canal, status: StatusEntrada) -> Mensagem | None:
    """Apply a provider status to our message ``(canal, status.id_externo)``.

    Returns the message (changed or not), or None when no outbound message of this channel has
    that id (e.g. a status for a message sent by another system on the same number).
    """
    if not status.id_externo:
        return None
    novo = STATUS_DO_PROVEDOR[StatusEntrega(status.status)]
    filtro = {"canal_id": canal.pk, "id_externo": status.id_externo}
    quando = status.data or timezone.now()
    if novo == S.ERRO:
        campos = {
            "erro_codigo": (status.erro_codigo or "")[:50],
            "erro_detalhe": status.erro_detalhe or "O provedor informou falha na entrega.",
        }
    else:
        campos = _carimbos(novo, quando)
    mensagem = _mover(filtro, novo, **campos)
    if status.descadastro:
        _descadastrar(filtro, status)
    if mensagem is not None:
        return mensagem
    atual = (
        Mensagem.objects.filter(**filtro, direcao=Mensagem.Direcao.SAIDA)
        .select_related("ticket")
        .first()
    )
    if atual is not None:
        return atual
    # the provider may name the message by its own id (Amazon SES), not by ours
    pk = (
        Mensagem.objects.alias(id_provedor=KeyTextTransform("id_provedor", "dados"))
        .filter(canal_id=canal.pk, dados__has_key="id_provedor", id_provedor=status.id_externo)
        .values_list("pk", flat=True)
        .first()
    )
    if pk is None:
        return None
    return _mover({"pk": pk}, novo, **campos) or (
        Mensagem.objects.select_related("ticket").get(pk=pk)
    )


def _descadastrar(filtro: dict, status: StatusEntrada) -> None:
    from atendimento.services.descadastro import contato_descadastrar

    contato_id = (
        Mensagem.objects.filter(**filtro).values_list("ticket__contato_id", flat=True).first()
    )
    if contato_id:
        motivo = status.erro_detalhe or status.erro_codigo or "descadastrado pelo provedor"
        contato_descadastrar(contato_id=contato_id, motivo=motivo)


@transaction.atomic
def mensagem_registrar_envio(
    *, mensagem: Mensagem, id_externo: str, id_provedor: str = ""
) -> Mensagem | None:
    """The provider accepted the message: ``enviada`` with its id (only from ``pendente``);
    ``id_provedor``: the provider's own id when ``id_externo`` is ours (kept in ``dados``)."""
    extras = {}
    if id_provedor:
        extras["dados"] = {**(mensagem.dados or {}), "id_provedor": id_provedor[:255]}
    return _mover(
        {"pk": mensagem.pk},
        S.ENVIADA,
        **extras,
        id_externo=id_externo,
        enviada_em=Coalesce(F("enviada_em"), timezone.now()),
        tentativas=F("tentativas") + 1,
        erro_codigo="",
        erro_detalhe="",
    )


@transaction.atomic
def mensagem_registrar_falha(*, mensagem: Mensagem, codigo: str, detalhe: str) -> Mensagem | None:
    """Final failure: ``erro`` with the provider's code and reason."""
    return _mover(
        {"pk": mensagem.pk},
        S.ERRO,
        erro_codigo=(codigo or "")[:50],
        erro_detalhe=detalhe or "Falha no envio.",
        tentativas=F("tentativas") + 1,
    )


@transaction.atomic
def mensagem_registrar_tentativa(
    *, mensagem: Mensagem, codigo: str, detalhe: str
) -> Mensagem | None:
    """A transient failure: the message stays ``pendente`` (a retry is scheduled) and shows the
    last reason to the agent."""
    alterou = Mensagem.objects.filter(pk=mensagem.pk, status=S.PENDENTE).update(
        erro_codigo=(codigo or "")[:50],
        erro_detalhe=detalhe,
        tentativas=F("tentativas") + 1,
        atualizado_em=timezone.now(),
    )
    if not alterou:
        return None
    atual = Mensagem.objects.select_related("ticket").get(pk=mensagem.pk)
    publicar_status_mensagem(atual, atual.ticket)
    return atual
