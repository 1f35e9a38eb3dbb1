"""Bulk sends (``EnvioLote``): one template or text to a list of contacts on one channel.

``lote_criar`` checks everything that can be checked up front (channel, template, contacts of
this empresa) and stores the batch with one ``DestinatarioLote`` per contact, then queues
``canais.tasks.enviar_lote``.  ``lote_processar`` (that task) takes the next minute's worth of
recipients at the channel's rate: a contact who opted out, or has no address on the channel,
is skipped with the reason; the others get the message on their open ticket (or a new one)
queued with a delay that keeps the channel at its rate.  Each recipient's delivery result is
then its message's own status (enviada → entregue → lida, or erro with the provider's reason).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from atendimento.exceptions import ErroDominio, NaoEncontrado, RegraNegocio
from atendimento.models import (
    Atendente,
    Canal,
    Contato,
    DestinatarioLote,
    EnvioLote,
    Mensagem,
    Template,
    Ticket,
)
from atendimento.services.saida_base import classe_do_canal, enfileirar_agora
from canais.enfileirar import enfileirar, enviar_lote, enviar_mensagem

logger = logging.getLogger(__name__)


def limite_destinatarios() -> int:
    """Most recipients of one bulk send (``settings.LOTE_MAX_DESTINATARIOS``)."""
    return int(settings.LOTE_MAX_DESTINATARIOS)


def taxa_do_canal(canal: Canal) -> float:
    """Messages per second for bulk sends: the channel's ``mensagens_por_segundo``, else its
    provider's default rate."""
    configurada = (canal.config or {}).get("mensagens_por_segundo")
    try:
        taxa = float(configurada) if configurada not in (None, "") else 0.0
    except (TypeError, ValueError):
        taxa = 0.0
    if taxa <= 0:
        taxa = classe_do_canal(canal).taxa_lote_por_segundo
    return min(taxa, float(settings.LOTE_TAXA_MAXIMA))


@transaction.atomic
def lote_criar(
    *,
    atendente: Atendente,
    canal: Canal | Any,
    contatos: Iterable[Contato | Any],
    template: Template | Any | None = None,
    conteudo: str = "",
    variaveis: dict[str, str] | None = None,
) -> EnvioLote:
    """Store a bulk send and queue it.  NaoEncontrado (404) for a channel, template or contact
    of another empresa; RegraNegocio (422) for an inactive channel, no recipients, too many,
    or neither text nor template."""
    empresa_id = atendente.empresa_id
    try:
        canal = Canal.objects.get(pk=getattr(canal, "pk", canal), empresa_id=empresa_id)
    except (Canal.DoesNotExist, ValueError, TypeError):
        raise NaoEncontrado(_("Canal não encontrado.")) from None
    if not canal.ativo:
        raise RegraNegocio(
            _("O canal “%(canal)s” está inativo: ative-o para enviar.") % {"canal": canal.nome}
        )
    if template is not None:
        try:
            template = Template.objects.get(
                pk=getattr(template, "pk", template), empresa_id=empresa_id
            )
        except (Template.DoesNotExist, ValueError, TypeError):
            raise NaoEncontrado(_("Template não encontrado.")) from None
        if not template.ativo:
            raise RegraNegocio(
                _("O template “%(template_nome)s” está inativo.") % {"template_nome": template.nome}
            )
    conteudo = (conteudo or "").strip()
    if template is None and not conteudo:
        raise RegraNegocio(_("Informe o texto ou um template."))
    ids = list(dict.fromkeys(str(getattr(c, "pk", c)) for c in contatos))
    if not ids:
        raise RegraNegocio(_("Informe ao menos um contato."), contatos=["obrigatório"])
    if len(ids) > (limite := limite_destinatarios()):
        raise RegraNegocio(_("Envie para no máximo %(n)s contatos por lote.") % {"n": limite})
    try:
        encontrados = {
            str(pk)
            for pk in Contato.objects.filter(pk__in=ids, empresa_id=empresa_id).values_list(
                "pk", flat=True
            )
        }
    except (ValueError, TypeError, ValidationError):
        raise NaoEncontrado(_("Contato não encontrado.")) from None
    faltando = [i for i in ids if i not in encontrados]
    if faltando:
        raise NaoEncontrado(_("Contato não encontrado."), contatos=faltando[:20])
    lote = EnvioLote.objects.create(
        empresa_id=empresa_id,
        canal=canal,
        template=template,
        conteudo=conteudo,
        variaveis={str(k): str(v) for k, v in (variaveis or {}).items()},
        criado_por=atendente,
        taxa_por_segundo=taxa_do_canal(canal),
        total=len(ids),
    )
    DestinatarioLote.objects.bulk_create(
        DestinatarioLote(empresa_id=empresa_id, lote=lote, contato_id=pk, posicao=n)
        for n, pk in enumerate(ids, start=1)
    )
    transaction.on_commit(lambda: _enfileirar(lote.pk))
    return lote


def _enfileirar(lote_id) -> None:
    # broker down: the batch stays "pendente", visibly (logged); retomar re-queues it
    enfileirar(enviar_lote, lote_id=str(lote_id))


def lote_mensagens_enfileirar(*, mensagem_ids: list[str]) -> None:
    """Messages already stored for many tickets (``enviar_lote`` of the API), queued spaced
    at each channel's rate (:func:`taxa_do_canal`)."""
    linhas = (
        Mensagem.objects.filter(pk__in=mensagem_ids or [], status=Mensagem.Status.PENDENTE)
        .order_by("canal_id", "data", "criado_em")
        .values_list("pk", "canal_id")
    )
    posicao: dict[Any, int] = {}
    taxas: dict[Any, float] = {}
    for pk, canal_id in linhas:
        if canal_id not in taxas:
            taxas[canal_id] = taxa_do_canal(Canal.objects.get(pk=canal_id))
        indice = posicao.get(canal_id, 0)
        posicao[canal_id] = indice + 1
        enfileirar_agora(enviar_mensagem, pk, countdown=round(indice / taxas[canal_id], 3))


def lote_retomar(*, atendente: Atendente, lote: EnvioLote | Any) -> EnvioLote:
    """Queue again a batch that still has recipients waiting (e.g. the broker was down)."""
    try:
        alvo = EnvioLote.objects.get(pk=getattr(lote, "pk", lote), empresa_id=atendente.empresa_id)
    except (EnvioLote.DoesNotExist, ValueError, TypeError):
        raise NaoEncontrado(_("Lote não encontrado.")) from None
    if alvo.status in (EnvioLote.Status.CONCLUIDO, EnvioLote.Status.CANCELADO):
        raise RegraNegocio(_("O lote já terminou."))
    transaction.on_commit(lambda: _enfileirar(alvo.pk))
    return alvo


@transaction.atomic
def lote_cancelar(*, atendente: Atendente, lote: EnvioLote | Any) -> EnvioLote:
    """Stop a batch: recipients not reached yet are skipped (messages already queued go)."""
    try:
        alvo = EnvioLote.objects.select_for_update().get(
            pk=getattr(lote, "pk", lote), empresa_id=atendente.empresa_id
        )
    except (EnvioLote.DoesNotExist, ValueError, TypeError):
        raise NaoEncontrado(_("Lote não encontrado.")) from None
    if alvo.status in (EnvioLote.Status.CONCLUIDO, EnvioLote.Status.CANCELADO):
        raise RegraNegocio(_("O lote já terminou."))
    agora = timezone.now()
    alvo.destinatarios.filter(status=DestinatarioLote.Status.PENDENTE).update(
        status=DestinatarioLote.Status.IGNORADO,
        motivo="lote cancelado",
        processado_em=agora,
        atualizado_em=agora,
    )
    alvo.status = EnvioLote.Status.CANCELADO
    alvo.concluido_em = agora
    alvo.save(update_fields=["status", "concluido_em", "atualizado_em"])
    return alvo


# ------------------------------------------------------------------------------- processing
def _ticket(atendente: Atendente, canal: Canal, contato: Contato) -> Ticket:
    from atendimento.services.tickets import conversa_do_contato, ticket_criar

    conversa = conversa_do_contato(canal=canal, contato=contato)
    if not conversa:
        raise RegraNegocio(f"o contato não tem endereço no canal {canal.get_tipo_display()}")
    aberto = (
        Ticket.objects.filter(canal=canal, conversa_id_externo=conversa)
        .exclude(status=Ticket.Status.FECHADO)
        .first()
    )
    if aberto is not None:
        return aberto
    return ticket_criar(
        empresa=canal.empresa, canal=canal, contato=contato, fila=canal.fila_padrao, por=atendente
    )


def _um(lote: EnvioLote, destinatario: DestinatarioLote, atraso: float) -> bool:
    """Prepare one recipient; True when a message was queued."""
    from atendimento.services.saida import mensagem_enviar

    contato = destinatario.contato
    agora = timezone.now()
    if contato.opt_out_em is not None:
        destinatario.status = DestinatarioLote.Status.IGNORADO
        destinatario.motivo = f"contato descadastrado: {contato.opt_out_motivo or 'opt-out'}"
    else:
        try:
            with transaction.atomic():
                ticket = _ticket(lote.criado_por, lote.canal, contato)
                mensagem = mensagem_enviar(
                    atendente=lote.criado_por,
                    ticket=ticket,
                    conteudo=lote.conteudo,
                    template=lote.template,
                    variaveis=lote.variaveis or None,
                    atraso_segundos=atraso,
                )
        except ErroDominio as exc:
            destinatario.status = DestinatarioLote.Status.ERRO
            destinatario.motivo = exc.detalhe
        else:
            destinatario.status = DestinatarioLote.Status.ENFILEIRADO
            destinatario.mensagem = mensagem
            destinatario.motivo = ""
    destinatario.processado_em = agora
    destinatario.save(
        update_fields=["status", "motivo", "mensagem", "processado_em", "atualizado_em"]
    )
    return destinatario.status == DestinatarioLote.Status.ENFILEIRADO


@transaction.atomic
def lote_processar(*, lote_id) -> float | None:
    """Prepare the next ``settings.LOTE_JANELA_SEGUNDOS`` of the batch; seconds until the next
    run, or None when the batch is over (or was cancelled, or is being processed by another
    worker)."""
    lote = (
        EnvioLote.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("canal__empresa", "canal__fila_padrao", "template", "criado_por")
        .filter(pk=lote_id)
        .first()
    )
    if lote is None or lote.status in (EnvioLote.Status.CONCLUIDO, EnvioLote.Status.CANCELADO):
        return None
    if lote.criado_por is None:
        lote_finalizar_sem_autor(lote)
        return None
    if lote.status == EnvioLote.Status.PENDENTE:
        lote.status = EnvioLote.Status.ENVIANDO
        lote.iniciado_em = timezone.now()
        lote.save(update_fields=["status", "iniciado_em", "atualizado_em"])
    taxa = lote.taxa_por_segundo or 1.0
    vagas = max(1, int(taxa * float(settings.LOTE_JANELA_SEGUNDOS)))
    pendentes = list(
        lote.destinatarios.select_related("contato")
        .filter(status=DestinatarioLote.Status.PENDENTE)
        .order_by("posicao")[: vagas + 1]
    )
    enfileiradas = 0
    for destinatario in pendentes[:vagas]:
        if _um(lote, destinatario, enfileiradas / taxa):
            enfileiradas += 1
    if len(pendentes) > vagas:
        return max(enfileiradas / taxa, 1.0)
    lote.status = EnvioLote.Status.CONCLUIDO
    lote.concluido_em = timezone.now()
    lote.save(update_fields=["status", "concluido_em", "atualizado_em"])
    return None


def lote_finalizar_sem_autor(lote: EnvioLote) -> None:
    """The agent who created the batch was removed: nobody to send as."""
    agora = timezone.now()
    lote.destinatarios.filter(status=DestinatarioLote.Status.PENDENTE).update(
        status=DestinatarioLote.Status.ERRO,
        motivo="o atendente que criou o lote foi removido",
        processado_em=agora,
        atualizado_em=agora,
    )
    lote.status = EnvioLote.Status.CONCLUIDO
    lote.concluido_em = agora
    lote.save(update_fields=["status", "concluido_em", "atualizado_em"])


# ------------------------------------------------------------------------------- reads
def lote_progresso(lote: EnvioLote) -> dict[str, Any]:
    """Counts by recipient status and, for queued ones, by their message's status."""
    por_status = Counter(
        dict(
            lote.destinatarios.values_list("status")
            .annotate(n=Count("id"))
            .values_list("status", "n")
        )
    )
    por_entrega = dict(
        Mensagem.objects.filter(
            pk__in=lote.destinatarios.exclude(mensagem=None).values("mensagem_id")
        )
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    feitos = lote.total - por_status.get(DestinatarioLote.Status.PENDENTE, 0)
    return {
        "total": lote.total,
        "processados": feitos,
        "percentual": round(100 * feitos / lote.total, 1) if lote.total else 100.0,
        "pendentes": por_status.get(DestinatarioLote.Status.PENDENTE, 0),
        "enfileirados": por_status.get(DestinatarioLote.Status.ENFILEIRADO, 0),
        "ignorados": por_status.get(DestinatarioLote.Status.IGNORADO, 0),
        "erros": por_status.get(DestinatarioLote.Status.ERRO, 0),
        "entrega": por_entrega,
    }
