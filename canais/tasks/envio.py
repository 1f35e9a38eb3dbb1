"""Outbound tasks (``messages`` queue): enviar_mensagem, enviar_midia, reenviar_mensagem,
enviar_lote, digitando, marcar_lida_provedor, responder_callback, sincronizar_templates.

Sending one message (``_enviar``):

* **Idempotent.** The row is claimed with ``SELECT … FOR NO KEY UPDATE SKIP LOCKED`` held for
  the whole provider call (NO KEY: an inbound reply quoting this message is not blocked): a
  second delivery of the task (broker re-delivery, a manual re-send) finds it locked and
  leaves, and once the first one commits, it finds the message no longer ``pendente`` and
  leaves.  A message that already carries the provider's id is recorded as sent, never sent
  twice.  If the worker dies *during* the provider call the transaction rolls back and the
  re-delivered task (``acks_late`` + ``reject_on_worker_lost``) sends it again: at-least-once,
  the only option with providers that take no idempotency key.
* **Transient failures** (timeouts, 5xx, 429, WhatsApp throughput codes) stay ``pendente``
  with the reason shown, and are retried with exponential backoff (5, 10, 20, 40, 80 s),
  never sooner than the provider's ``retry_after``; after ``MAX_TENTATIVAS`` retries the
  message ends in ``erro`` with the last reason.
* **Definitive failures** end in ``erro`` at once with the provider's code and text.
  Every change is published as ``status_mensagem``.

Throttling of ``enviar_lote``: messages of one channel are spread with ``countdown`` at the
channel's rate (``mensagens_por_segundo`` in its config, else its adapter's
``taxa_lote_por_segundo``: WhatsApp Cloud API 80 msg/s per number, Telegram bots 25, Twilio
long codes 1, e-mail 5).  Two batches on the same channel at once share the limit; a 429 is then
retried like any transient failure.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from celery import shared_task
from django.core.cache import cache
from django.db import InterfaceError, OperationalError, transaction

from canais.adapters.base import (
    AdaptadorCanal,
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
from canais.registry import TipoCanalDesconhecido, classe_adaptador, get_adaptador

__all__ = [
    "digitando",
    "enviar_lote",
    "enviar_mensagem",
    "enviar_midia",
    "marcar_lida_provedor",
    "reenviar_mensagem",
    "responder_callback",
    "sincronizar_templates",
    "varrer_mensagens_pendentes",
]

logger = logging.getLogger(__name__)

MAX_TENTATIVAS = 5  # retries after the first attempt
BACKOFF_BASE = 5  # seconds: 5, 10, 20, 40, 80
BACKOFF_MAX = 300
RETRY_AFTER_MAX = 3600  # a provider asking for more than an hour is treated as one hour
DEBOUNCE_DIGITANDO = 5  # seconds between two provider "typing" calls for one ticket


def espera_retentativa(tentativa: int, retry_after: float | None = None) -> int:
    """Seconds before retry number ``tentativa + 1``: exponential backoff, never sooner than
    the provider's ``retry_after``."""
    backoff = min(BACKOFF_BASE * 2**tentativa, BACKOFF_MAX)
    if retry_after:
        return max(math.ceil(min(retry_after, RETRY_AFTER_MAX)), backoff)
    return backoff


# ------------------------------------------------------------------------------- sending
def montar_saida(mensagem) -> MensagemSaida:
    """The adapter's view of a stored outbound message."""
    from atendimento.services.saida import destino_do_ticket

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
    from atendimento.services.midia_publica import midia_publica_url, url_publica_base

    base = url_publica_base(mensagem.canal)
    if not base:
        raise ErroDefinitivo(
            "o provedor busca a mídia por URL: defina URL_PUBLICA (endereço público do "
            "atendimento) ou ative o canal de novo para registrar a URL do webhook",
            codigo="url_publica",
        )
    return midia_publica_url(mensagem, base=base)


def _enviar(tarefa, mensagem_id: str) -> None:
    from atendimento.models import Mensagem
    from atendimento.services import entrega
    from atendimento.services.saida import enfileirar_agora
    from canais.services import config_de_envio

    ultima = tarefa.request.retries >= tarefa.max_retries
    repetir: tuple[int, ErroTransitorio] | None = None
    with transaction.atomic():
        mensagem = (
            Mensagem.objects.select_for_update(skip_locked=True, no_key=True, of=("self",))
            .select_related("ticket__contato", "canal", "responder_a")
            .filter(pk=mensagem_id, direcao=Mensagem.Direcao.SAIDA)
            .first()
        )
        if mensagem is None or mensagem.status != Mensagem.Status.PENDENTE:
            return  # unknown, being sent by another worker right now, or already done
        if mensagem.id_externo:  # the provider already took it: never send twice
            entrega.mensagem_registrar_envio(mensagem=mensagem, id_externo=mensagem.id_externo)
            return
        try:
            if not mensagem.canal.ativo:
                raise ErroDefinitivo(
                    "o canal foi desativado antes do envio", codigo="canal_inativo"
                )
            adaptador = get_adaptador(mensagem.canal.tipo, config_de_envio(mensagem.canal))
            resultado = adaptador.enviar(montar_saida(mensagem))
        except ErroTransitorio as exc:
            if ultima:
                entrega.mensagem_registrar_falha(
                    mensagem=mensagem,
                    codigo=exc.codigo,
                    detalhe=f"{detalhe_erro(exc)} (desistimos após {tarefa.request.retries + 1} "
                    "tentativas)",
                )
            else:
                espera = espera_retentativa(tarefa.request.retries, exc.retry_after)
                entrega.mensagem_registrar_tentativa(
                    mensagem=mensagem,
                    codigo=exc.codigo,
                    detalhe=f"Tentativa {tarefa.request.retries + 1} falhou: {detalhe_erro(exc)}. "
                    f"Nova tentativa em {espera} s.",
                )
                repetir = (espera, exc)
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
            logger.exception("erro inesperado enviando a mensagem %s", mensagem_id)
            entrega.mensagem_registrar_falha(
                mensagem=mensagem, codigo="interno", detalhe="erro interno ao enviar a mensagem"
            )
        else:
            entrega.mensagem_registrar_envio(
                mensagem=mensagem,
                id_externo=resultado.id_externo,
                id_provedor=resultado.id_provedor,
            )
        if repetir is None:
            for seguinte in (mensagem.dados or {}).get("enviar_depois", []):
                transaction.on_commit(lambda s=seguinte: enfileirar_agora("enviar_mensagem", s))
    if repetir is not None:
        espera, exc = repetir
        raise tarefa.retry(countdown=espera, exc=exc)


_OPCOES_ENVIO: dict[str, Any] = {"bind": True, "max_retries": MAX_TENTATIVAS, "acks_late": True}


@shared_task(name="canais.tasks.enviar_mensagem", **_OPCOES_ENVIO)
def enviar_mensagem(self, mensagem_id: str) -> None:
    _enviar(self, mensagem_id)


@shared_task(name="canais.tasks.enviar_midia", **_OPCOES_ENVIO)
def enviar_midia(self, mensagem_id: str) -> None:
    _enviar(self, mensagem_id)


@shared_task(name="canais.tasks.reenviar_mensagem", **_OPCOES_ENVIO)
def reenviar_mensagem(self, mensagem_id: str) -> None:
    _enviar(self, mensagem_id)


@shared_task(name="canais.tasks.enviar_lote", bind=True, max_retries=5, acks_late=True)
def enviar_lote(self, mensagem_ids: list[str] | None = None, lote_id: str = "") -> None:
    """A bulk send (``lote_id``: an ``EnvioLote``): the next minute's worth of recipients at
    the channel's rate, each message queued with its own delay, then this task again a minute
    later until none is left (no task waits more than a minute in the broker).

    ``mensagem_ids``: messages already stored for many tickets, queued spaced per channel.
    Re-running either is harmless: a recipient is taken once, a message is sent once.
    """
    from atendimento.models import Canal, Mensagem
    from atendimento.services.lote import lote_processar, taxa_do_canal
    from atendimento.services.saida import enfileirar_agora

    if lote_id:
        try:
            espera = lote_processar(lote_id=lote_id)
        except (OperationalError, InterfaceError) as exc:
            raise self.retry(exc=exc, countdown=espera_retentativa(self.request.retries)) from exc
        if espera is not None:
            enviar_lote.apply_async(kwargs={"lote_id": lote_id}, countdown=espera)
        return
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
        enfileirar_agora("enviar_mensagem", pk, countdown=round(indice / taxas[canal_id], 3))


@shared_task(name="canais.tasks.responder_callback", bind=True, max_retries=3, ignore_result=True)
def responder_callback(self, mensagem_id: str) -> None:
    """Acknowledge a button press (Telegram answerCallbackQuery) so the customer's button stops
    spinning; best effort (Telegram drops the query after a while anyway)."""
    from atendimento.models import Mensagem

    mensagem = Mensagem.objects.select_related("canal").filter(pk=mensagem_id).first()
    callback = str(((mensagem.dados or {}) if mensagem else {}).get("callback_id") or "")
    if mensagem is None or not callback or not mensagem.canal.ativo:
        return
    try:
        adaptador = get_adaptador(mensagem.canal.tipo, mensagem.canal.config_completa)
        adaptador.responder_callback(callback)
    except (OperacaoNaoSuportada, TipoCanalDesconhecido):
        return
    except ErroTransitorio as exc:
        if self.request.retries < self.max_retries:
            raise self.retry(countdown=min(2**self.request.retries, 5), exc=exc) from exc
        logger.info("callback %s não respondido: %s", callback, detalhe_erro(exc))
    except ErroCanal as exc:  # e.g. "query is too old": nothing left to stop
        logger.info("callback %s não respondido: %s", callback, detalhe_erro(exc))


@shared_task(name="canais.tasks.sincronizar_templates", ignore_result=True)
def sincronizar_templates(canal_id: str = "") -> dict[str, Any]:
    """Approved WhatsApp templates from Meta: one channel, or (beat, daily) every active
    channel that lists templates.  A channel that fails is logged; the others still sync."""
    from atendimento.exceptions import ErroDominio
    from atendimento.models import Canal
    from atendimento.services.templates_whatsapp import templates_sincronizar

    canais = Canal.objects.filter(pk=canal_id) if canal_id else Canal.objects.filter(ativo=True)
    resultado: dict[str, Any] = {}
    for canal in canais:
        try:
            if canal_id == "" and classe_adaptador(canal.tipo).listar_templates is (
                AdaptadorCanal.listar_templates
            ):
                continue
            resultado[str(canal.pk)] = templates_sincronizar(canal=canal)
        except (ErroDominio, TipoCanalDesconhecido) as exc:
            logger.warning("templates do canal %s não sincronizados: %s", canal.pk, exc)
            resultado[str(canal.pk)] = {"erro": str(exc)}
    return resultado


# Messages that never reached the broker are re-queued by the beat sweep below; so is any
# message still ``pendente`` long after the longest retry wait (a lost task).
VARREDURA_FILA_INDISPONIVEL_S = 30
VARREDURA_ESQUECIDA_S = RETRY_AFTER_MAX + 2 * BACKOFF_MAX
VARREDURA_LOTE = 200


@shared_task(name="canais.tasks.varrer_mensagens_pendentes", ignore_result=True)
def varrer_mensagens_pendentes() -> int:
    """Re-queue outbound messages stuck in ``pendente``: so every stored message ends in a
    visible final status even if the broker was down when it was sent. Sending is idempotent
    (the row claim in ``_enviar``), so a message queued twice is sent once."""
    from datetime import timedelta

    from django.db.models import Q
    from django.utils import timezone

    from atendimento.models import Mensagem
    from atendimento.services.saida import enfileirar_agora

    agora = timezone.now()
    pendentes = (
        Mensagem.objects.filter(
            direcao=Mensagem.Direcao.SAIDA,
            status=Mensagem.Status.PENDENTE,
            id_externo__isnull=True,
        )
        .filter(
            Q(
                erro_codigo="fila_indisponivel",
                atualizado_em__lt=agora - timedelta(seconds=VARREDURA_FILA_INDISPONIVEL_S),
            )
            | Q(atualizado_em__lt=agora - timedelta(seconds=VARREDURA_ESQUECIDA_S))
        )
        .order_by("atualizado_em")
        .values_list("pk", flat=True)[:VARREDURA_LOTE]
    )
    enfileiradas = 0
    for pk in list(pendentes):
        if enfileirar_agora("enviar_mensagem", pk):
            Mensagem.objects.filter(pk=pk, erro_codigo="fila_indisponivel").update(
                erro_codigo="", erro_detalhe="", atualizado_em=timezone.now()
            )
            enfileiradas += 1
    return enfileiradas


# ------------------------------------------------------------------------------- typing, read
@shared_task(name="canais.tasks.digitando", ignore_result=True)
def digitando(ticket_id: str) -> None:
    """Show "typing…" to the customer, at most once per ticket every ``DEBOUNCE_DIGITANDO`` s
    (Redis ``SET NX EX`` through the cache); channels without it: nothing to do."""
    from atendimento.models import Mensagem, Ticket
    from atendimento.services.saida import destino_do_ticket

    if not cache.add(f"digitando:{ticket_id}", 1, timeout=DEBOUNCE_DIGITANDO):
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


@shared_task(name="canais.tasks.marcar_lida_provedor", bind=True, max_retries=3, ignore_result=True)
def marcar_lida_provedor(self, mensagem_id: str) -> None:
    """Read receipt for an inbound message (WhatsApp blue ticks); unsupported: nothing."""
    from atendimento.models import Mensagem
    from atendimento.services.saida import destino_do_ticket

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
    except ErroTransitorio as exc:
        if self.request.retries < self.max_retries:
            raise self.retry(
                countdown=espera_retentativa(self.request.retries, exc.retry_after), exc=exc
            ) from exc
        logger.warning(
            "confirmação de leitura desistida para %s: %s", mensagem_id, detalhe_erro(exc)
        )
    except ErroCanal as exc:
        logger.warning(
            "confirmação de leitura recusada para %s: %s", mensagem_id, detalhe_erro(exc)
        )
