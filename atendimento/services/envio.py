"""Talking to the provider about stored messages: sending one outbound message (claim, send,
classify the outcome, record it), the "typing…" indicator, read receipts and button answers,
and the sweep that re-queues messages stuck in ``pendente``.  The Celery tasks of
``canais.tasks.envio`` call these and only decide about retrying.

Sending one message (:func:`mensagem_enviar_ao_provedor`):

* **Idempotent.** The row is claimed with ``SELECT … FOR NO KEY UPDATE SKIP LOCKED`` held for
  the whole provider call (NO KEY: an inbound reply quoting this message is not blocked): a
  second delivery of the task (broker re-delivery, a manual re-send) finds it locked and
  leaves, and once the first one commits, it finds the message no longer ``pendente`` and
  leaves.  A message that already carries the provider's id is recorded as sent, never sent
  twice.  If the worker dies *during* the provider call the transaction rolls back and the
  re-delivered task (``acks_late`` + ``reject_on_worker_lost``) sends it again: at-least-once,
  the only option with providers that take no idempotency key.
* **Transient failures** (timeouts, 5xx, 429, WhatsApp throughput codes) stay ``pendente``
  with the reason shown, and are retried with exponential backoff (:func:`espera_retentativa`),
  never sooner than the provider's ``retry_after``; after ``ENVIO_MAX_TENTATIVAS`` retries the
  message ends in ``erro`` with the last reason.
* **Definitive failures** end in ``erro`` at once with the provider's code and text.
  Every change is published as ``status_mensagem``.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from atendimento.models import Mensagem, Ticket
from atendimento.services import entrega
from atendimento.services.midia_publica import midia_publica_url, url_publica_base
from atendimento.services.saida_base import destino_do_ticket, enfileirar_agora
from canais.adapters.base import (
    ErroCanal,
    ErroDefinitivo,
    ErroTransitorio,
    MensagemSaida,
    MidiaSaida,
    OperacaoNaoSuportada,
    TemplateSaida,
    TipoMensagem,
    detalhe_erro,
)
from canais.enfileirar import enviar_mensagem
from canais.registry import TipoCanalDesconhecido, classe_adaptador, get_adaptador
from canais.services import config_de_envio

logger = logging.getLogger(__name__)


def espera_retentativa(tentativa: int, retry_after: float | None = None) -> int:
    """Seconds before retry number ``tentativa + 1``: exponential backoff
    (``ENVIO_BACKOFF_BASE_SEGUNDOS`` doubling, at most ``ENVIO_BACKOFF_MAX_SEGUNDOS``: 5, 10,
    20, 40, 80 s by default), never sooner than the provider's ``retry_after`` (capped at
    ``ENVIO_RETRY_AFTER_MAX_SEGUNDOS``)."""
    backoff = min(
        math.ceil(float(settings.ENVIO_BACKOFF_BASE_SEGUNDOS) * 2**tentativa),
        int(settings.ENVIO_BACKOFF_MAX_SEGUNDOS),
    )
    if retry_after:
        teto = float(settings.ENVIO_RETRY_AFTER_MAX_SEGUNDOS)
        return max(math.ceil(min(retry_after, teto)), backoff)
    return backoff


@dataclass(frozen=True, slots=True)
class Retentativa:
    """A transient failure worth another attempt in ``espera`` seconds."""

    espera: int
    erro: ErroTransitorio


# ------------------------------------------------------------------------------- sending
def montar_saida(mensagem) -> MensagemSaida:
    """The adapter's view of a stored outbound message."""
    destino = destino_do_ticket(mensagem.ticket)
    if not destino:
        raise ErroDefinitivo("o contato não tem endereço neste canal", codigo="destino")
    template = None
    texto = mensagem.conteudo
    dados_template = (mensagem.dados or {}).get("template")
    if dados_template:
        template = TemplateSaida(
            nome=dados_template["nome"],
            idioma=dados_template.get("idioma") or "pt_BR",
            componentes=tuple(dados_template.get("componentes") or ()),
        )
        texto = ""
    midia = None
    if mensagem.midia_arquivo and _midia_por_url(mensagem.canal.tipo):
        midia = MidiaSaida(
            tipo=TipoMensagem(mensagem.tipo),
            mime=mensagem.midia_mime,
            nome=mensagem.midia_nome,
            url=_url_da_midia(mensagem),
        )
    elif mensagem.midia_arquivo:
        try:
            with mensagem.midia_arquivo.open("rb") as arquivo:
                conteudo = arquivo.read()
        except FileNotFoundError as exc:
            raise ErroDefinitivo("o arquivo da mídia não foi encontrado", codigo="midia") from exc
        midia = MidiaSaida(
            tipo=TipoMensagem(mensagem.tipo),
            mime=mensagem.midia_mime,
            nome=mensagem.midia_nome,
            conteudo=conteudo,
        )
    responder_a = mensagem.responde_a_id_externo or (
        (mensagem.responder_a.id_externo or "") if mensagem.responder_a_id else ""
    )
    campos: dict[str, Any] = {
        "destino": destino,
        "texto": texto,
        "midia": midia,
        "template": template,
        "responder_a": responder_a,
        "botoes": tuple((mensagem.dados or {}).get("botoes") or ()),
        "texto_botoes": str((mensagem.dados or {}).get("texto_botoes") or ""),
    }
    campos.update(classe_adaptador(mensagem.canal.tipo).contexto_saida(mensagem))
    return MensagemSaida(**campos)


def _midia_por_url(tipo: str) -> bool:
    try:
        return classe_adaptador(tipo).midia_por_url
    except TipoCanalDesconhecido:
        return False


def _url_da_midia(mensagem) -> str:
    """A signed, expiring public URL of the file (the provider fetches it right away)."""
    base = url_publica_base(mensagem.canal)
    if not base:
        raise ErroDefinitivo(
            "o provedor busca a mídia por URL: defina URL_PUBLICA (endereço público do "
            "atendimento) ou ative o canal de novo para registrar a URL do webhook",
            codigo="url_publica",
        )
    return midia_publica_url(mensagem, base=base)


def mensagem_enviar_ao_provedor(
    *, mensagem_id: Any, tentativa: int = 0, ultima: bool = True
) -> Retentativa | None:
    """Send the stored outbound message and record the outcome (see the module's docstring).
    ``tentativa`` counts the earlier attempts; on a transient failure that is not the
    ``ultima`` attempt, the message stays ``pendente`` and a :class:`Retentativa` says when
    to try again."""
    repetir: Retentativa | None = None
    with transaction.atomic():
        mensagem = (
            Mensagem.objects.select_for_update(skip_locked=True, no_key=True, of=("self",))
            .select_related("ticket__contato", "canal", "responder_a")
            .filter(pk=mensagem_id, direcao=Mensagem.Direcao.SAIDA)
            .first()
        )
        if mensagem is None or mensagem.status != Mensagem.Status.PENDENTE:
            return None  # unknown, being sent by another worker right now, or already done
        if mensagem.id_externo:  # the provider already took it: never send twice
            entrega.mensagem_registrar_envio(mensagem=mensagem, id_externo=mensagem.id_externo)
            return None
        repetir = _enviar_e_registrar(mensagem, tentativa=tentativa, ultima=ultima)
        if repetir is None:
            for seguinte in (mensagem.dados or {}).get("enviar_depois", []):
                transaction.on_commit(lambda s=seguinte: enfileirar_agora(enviar_mensagem, s))
    return repetir


def _enviar_e_registrar(mensagem: Mensagem, *, tentativa: int, ultima: bool) -> Retentativa | None:
    try:
        if not mensagem.canal.ativo:
            raise ErroDefinitivo("o canal foi desativado antes do envio", codigo="canal_inativo")
        adaptador = get_adaptador(mensagem.canal.tipo, config_de_envio(mensagem.canal))
        resultado = adaptador.enviar(montar_saida(mensagem))
    except ErroTransitorio as exc:
        if ultima:
            entrega.mensagem_registrar_falha(
                mensagem=mensagem,
                codigo=exc.codigo,
                detalhe=f"{detalhe_erro(exc)} (desistimos após {tentativa + 1} tentativas)",
            )
            return None
        espera = espera_retentativa(tentativa, exc.retry_after)
        entrega.mensagem_registrar_tentativa(
            mensagem=mensagem,
            codigo=exc.codigo,
            detalhe=f"Tentativa {tentativa + 1} falhou: {detalhe_erro(exc)}. "
            f"Nova tentativa em {espera} s.",
        )
        return Retentativa(espera, exc)
    except TipoCanalDesconhecido:
        entrega.mensagem_registrar_falha(
            mensagem=mensagem,
            codigo="canal",
            detalhe=f"o canal {mensagem.canal.tipo} ainda não envia mensagens",
        )
    except (ErroDefinitivo, OperacaoNaoSuportada, ErroCanal) as exc:
        entrega.mensagem_registrar_falha(
            mensagem=mensagem, codigo=getattr(exc, "codigo", ""), detalhe=detalhe_erro(exc)
        )
    except Exception:  # a bug must not leave the agent's message silently pending
        logger.exception("erro inesperado enviando a mensagem %s", mensagem.pk)
        entrega.mensagem_registrar_falha(
            mensagem=mensagem, codigo="interno", detalhe="erro interno ao enviar a mensagem"
        )
    else:
        entrega.mensagem_registrar_envio(
            mensagem=mensagem,
            id_externo=resultado.id_externo,
            id_provedor=resultado.id_provedor,
        )
    return None


# ------------------------------------------------------------------------------- sweep
def mensagens_pendentes_reenfileirar() -> int:
    """Re-queue outbound messages stuck in ``pendente``: so every stored message ends in a
    visible final status even if the broker was down when it was sent.  Sending is idempotent
    (the row claim in :func:`mensagem_enviar_ao_provedor`), so a message queued twice is sent
    once.  Messages the broker refused are taken after
    ``VARREDURA_MENSAGENS_FILA_INDISPONIVEL_SEGUNDOS``, any other still ``pendente`` after
    ``VARREDURA_MENSAGENS_ESQUECIDA_SEGUNDOS`` (a lost task), ``VARREDURA_MENSAGENS_LOTE`` per
    run.  Returns how many were queued."""
    agora = timezone.now()
    indisponivel = timedelta(seconds=int(settings.VARREDURA_MENSAGENS_FILA_INDISPONIVEL_SEGUNDOS))
    esquecida = timedelta(seconds=int(settings.VARREDURA_MENSAGENS_ESQUECIDA_SEGUNDOS))
    pendentes = (
        Mensagem.objects.filter(
            direcao=Mensagem.Direcao.SAIDA,
            status=Mensagem.Status.PENDENTE,
            id_externo__isnull=True,
        )
        .filter(
            Q(
                erro_codigo="fila_indisponivel",
                atualizado_em__lt=agora - indisponivel,
            )
            | Q(atualizado_em__lt=agora - esquecida)
        )
        .order_by("atualizado_em")
        .values_list("pk", flat=True)[: int(settings.VARREDURA_MENSAGENS_LOTE)]
    )
    enfileiradas = 0
    for pk in list(pendentes):
        if enfileirar_agora(enviar_mensagem, pk):
            Mensagem.objects.filter(pk=pk, erro_codigo="fila_indisponivel").update(
                erro_codigo="", erro_detalhe="", atualizado_em=timezone.now()
            )
            enfileiradas += 1
    return enfileiradas


# ------------------------------------------------------------------------------- typing, read
def ticket_digitando_no_provedor(*, ticket_id: Any) -> None:
    """Show "typing…" to the customer, at most once per ticket every
    ``DIGITANDO_INTERVALO_SEGUNDOS``
    (Redis ``SET NX EX`` through the cache); channels without it: nothing to do.  Best
    effort: a provider error is logged, never retried."""
    intervalo = int(settings.DIGITANDO_INTERVALO_SEGUNDOS)
    if not cache.add(f"digitando:{ticket_id}", 1, timeout=intervalo):
        return
    ticket = Ticket.objects.select_related("canal", "contato").filter(pk=ticket_id).first()
    if ticket is None or ticket.status == Ticket.Status.FECHADO or not ticket.canal.ativo:
        return
    ultima_entrada = (
        Mensagem.objects.filter(
            ticket_id=ticket.pk, direcao=Mensagem.Direcao.ENTRADA, id_externo__isnull=False
        )
        .order_by("-data", "-ordem", "-criado_em")
        .values_list("id_externo", flat=True)
        .first()
    )
    try:
        adaptador = get_adaptador(ticket.canal.tipo, ticket.canal.config_completa)
        adaptador.digitando(destino=destino_do_ticket(ticket), id_externo=ultima_entrada or "")
    except (OperacaoNaoSuportada, TipoCanalDesconhecido):
        return
    except ErroCanal as exc:  # best effort: a lost "typing" is not worth a retry
        logger.info("digitando falhou no ticket %s: %s", ticket_id, detalhe_erro(exc))


def mensagem_marcar_lida_no_provedor(*, mensagem_id: Any) -> None:
    """Read receipt for an inbound message (WhatsApp blue ticks); unsupported: nothing.
    :class:`ErroTransitorio` propagates (the task retries); other refusals are logged."""
    mensagem = (
        Mensagem.objects.select_related("ticket__contato", "canal")
        .filter(pk=mensagem_id, direcao=Mensagem.Direcao.ENTRADA)
        .first()
    )
    if mensagem is None or not mensagem.id_externo or not mensagem.canal.ativo:
        return
    try:
        adaptador = get_adaptador(mensagem.canal.tipo, mensagem.canal.config_completa)
        adaptador.marcar_lida(
            destino=destino_do_ticket(mensagem.ticket), id_externo=mensagem.id_externo
        )
    except (OperacaoNaoSuportada, TipoCanalDesconhecido):
        return
    except ErroTransitorio:
        raise
    except ErroCanal as exc:
        logger.warning(
            "confirmação de leitura recusada para %s: %s", mensagem_id, detalhe_erro(exc)
        )


def callback_responder_no_provedor(*, mensagem_id: Any) -> None:
    """Acknowledge a button press (Telegram answerCallbackQuery) so the customer's button stops
    spinning.  :class:`ErroTransitorio` propagates (the task retries); other refusals (e.g.
    "query is too old") are logged: nothing left to stop."""
    mensagem = Mensagem.objects.select_related("canal").filter(pk=mensagem_id).first()
    callback = str(((mensagem.dados or {}) if mensagem else {}).get("callback_id") or "")
    if mensagem is None or not callback or not mensagem.canal.ativo:
        return
    try:
        adaptador = get_adaptador(mensagem.canal.tipo, mensagem.canal.config_completa)
        adaptador.responder_callback(callback)
    except (OperacaoNaoSuportada, TipoCanalDesconhecido):
        return
    except ErroTransitorio:
        raise
    except ErroCanal as exc:
        logger.info("callback %s não respondido: %s", callback, detalhe_erro(exc))
