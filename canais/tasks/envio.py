"""Outbound tasks (``messages`` queue): enviar_mensagem, enviar_midia, reenviar_mensagem,
enviar_lote, digitando, marcar_lida_provedor.

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

Throttling of ``enviar_lote``: messages of one channel are spread with ``countdown`` at
``TAXA_LOTE_POR_SEGUNDO`` — below the providers' limits (WhatsApp Cloud API: 80 msg/s per
number by default; Telegram bots: ~30 msg/s overall; Twilio long codes: 1 msg/s) so live replies
still fit.  Two batches on the same channel at once share the limit; a 429 is then retried like
any transient failure.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any

from celery import shared_task
from django.core.cache import cache
from django.db import transaction

from canais.adapters.base import (
    ErroCanal,
    ErroDefinitivo,
    ErroTransitorio,
    MensagemSaida,
    MidiaSaida,
    OperacaoNaoSuportada,
    TemplateSaida,
    TipoMensagem,
)
from canais.adapters.email_envio import cabecalhos_resposta, endereco_resposta
from canais.registry import TipoCanalDesconhecido, get_adaptador

__all__ = [
    "digitando",
    "enviar_lote",
    "enviar_mensagem",
    "enviar_midia",
    "marcar_lida_provedor",
    "reenviar_mensagem",
    "varrer_mensagens_pendentes",
]

logger = logging.getLogger(__name__)

MAX_TENTATIVAS = 5  # retries after the first attempt
BACKOFF_BASE = 5  # seconds: 5, 10, 20, 40, 80
BACKOFF_MAX = 300
RETRY_AFTER_MAX = 3600  # a provider asking for more than an hour is treated as one hour
DEBOUNCE_DIGITANDO = 5  # seconds between two provider "typing" calls for one ticket
TAXA_LOTE_POR_SEGUNDO: dict[str, float] = {
    "whatsapp": 60.0,
    "telegram": 25.0,
    "twilio": 1.0,
    "email": 5.0,
}
TAXA_LOTE_PADRAO = 1.0


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
    if mensagem.midia_arquivo:
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
    }
    contexto = CONTEXTO_POR_TIPO.get(mensagem.canal.tipo)
    if contexto is not None:
        campos.update(contexto(mensagem))
    return MensagemSaida(**campos)


def _contexto_email(mensagem) -> dict[str, Any]:
    """Subject and threading headers of an e-mail reply: those answering the quoted customer
    message, else the customer's latest e-mail in the ticket; ``To`` falls back to the contact's
    address and the subject to the ticket's.  ``Reply-To`` is the ticket's reply address (the
    customer's answer comes back to this ticket even from a client that drops the threading
    headers); ``Auto-Submitted: auto-replied`` marks messages no person wrote (bot, system),
    so RFC 3834 auto-responders do not answer them.  The body gets the empresa's layout and
    signature (plain text + HTML)."""
    from atendimento.models import Mensagem
    from atendimento.services.email_layout import corpo_email

    base = mensagem.responder_a if mensagem.responder_a_id else None
    if base is None or base.direcao != Mensagem.Direcao.ENTRADA:
        base = (
            Mensagem.objects.filter(
                ticket_id=mensagem.ticket_id,
                direcao=Mensagem.Direcao.ENTRADA,
                dados__has_key="cabecalhos",
            )
            .order_by("-data", "-ordem", "-criado_em")
            .first()
        )
    cabecalhos = cabecalhos_resposta((base.dados or {}).get("cabecalhos") or {}) if base else {}
    if base is None:  # no customer mail yet (an agent opened the ticket): thread on our last
        anterior = (
            Mensagem.objects.filter(
                ticket_id=mensagem.ticket_id,
                direcao=Mensagem.Direcao.SAIDA,
                id_externo__startswith="<",
            )
            .exclude(pk=mensagem.pk)
            .order_by("-data", "-criado_em")
            .values_list("id_externo", flat=True)
            .first()
        )
        if anterior:
            cabecalhos = {"In-Reply-To": anterior, "References": anterior}
    if not cabecalhos.get("To") and mensagem.ticket.contato.email:
        cabecalhos["To"] = mensagem.ticket.contato.email
    ticket = mensagem.ticket
    assunto = (
        cabecalhos.pop("Subject", "")
        or ticket.assunto
        or f"{ticket.empresa.nome}: atendimento #{ticket.numero}"  # never an empty subject
    )
    endereco = str((mensagem.canal.config or {}).get("endereco") or "")
    if "@" in endereco:
        cabecalhos["Reply-To"] = endereco_resposta(endereco, mensagem.ticket_id)
    automatica = mensagem.remetente_tipo in (Mensagem.Remetente.BOT, Mensagem.Remetente.SISTEMA)
    if automatica:
        cabecalhos["Auto-Submitted"] = "auto-replied"
    campos: dict[str, Any] = {"assunto": assunto, "cabecalhos": cabecalhos}
    if mensagem.conteudo and not (mensagem.dados or {}).get("template"):
        corpo = corpo_email(
            ticket=mensagem.ticket,
            atendente=mensagem.atendente if not automatica else None,
            texto=mensagem.conteudo,
        )
        campos.update(texto=corpo.texto, html=corpo.html)
    return campos


def _contexto_webchat(mensagem) -> dict[str, Any]:
    """The website chat's visitor fetches a file from the desk itself: a signed, expiring link
    to this message's file, valid only for the visitor of the conversation."""
    if not mensagem.midia_arquivo:
        return {}
    from canais.webchat.conversa import url_midia

    destino = mensagem.ticket.conversa_id_externo
    return {
        "midia": MidiaSaida(
            tipo=TipoMensagem(mensagem.tipo),
            mime=mensagem.midia_mime,
            nome=mensagem.midia_nome,
            url=url_midia(mensagem.canal, mensagem, destino),
        )
    }


#: channel-specific fields of MensagemSaida built from the stored conversation
CONTEXTO_POR_TIPO: dict[str, Callable[[Any], dict[str, Any]]] = {
    "email": _contexto_email,
    "webchat": _contexto_webchat,
}


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
                    detalhe=f"{_detalhe(exc)} (desistimos após {tarefa.request.retries + 1} "
                    "tentativas)",
                )
            else:
                espera = espera_retentativa(tarefa.request.retries, exc.retry_after)
                entrega.mensagem_registrar_tentativa(
                    mensagem=mensagem,
                    codigo=exc.codigo,
                    detalhe=f"Tentativa {tarefa.request.retries + 1} falhou: {_detalhe(exc)}. "
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
                mensagem=mensagem, codigo=getattr(exc, "codigo", ""), detalhe=_detalhe(exc)
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


def _detalhe(exc: Exception) -> str:
    return str(getattr(exc, "detalhe", "") or exc)


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


@shared_task(name="canais.tasks.enviar_lote", bind=True, max_retries=3, acks_late=True)
def enviar_lote(self, mensagem_ids: list[str]) -> None:
    """Queue each message of a batch, spaced per channel at ``TAXA_LOTE_POR_SEGUNDO``.
    Re-running it is harmless: a message already sent is skipped by its own task."""
    from atendimento.models import Mensagem
    from atendimento.services.saida import enfileirar_agora

    linhas = (
        Mensagem.objects.filter(pk__in=mensagem_ids, status=Mensagem.Status.PENDENTE)
        .order_by("canal_id", "data", "criado_em")
        .values_list("pk", "canal_id", "canal__tipo")
    )
    posicao: dict[Any, int] = {}
    for pk, canal_id, tipo in linhas:
        indice = posicao.get(canal_id, 0)
        posicao[canal_id] = indice + 1
        taxa = TAXA_LOTE_POR_SEGUNDO.get(tipo, TAXA_LOTE_PADRAO)
        enfileirar_agora("enviar_mensagem", pk, countdown=round(indice / taxa, 3))


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
        logger.info("digitando falhou no ticket %s: %s", ticket_id, _detalhe(exc))


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
        logger.warning("confirmação de leitura desistida para %s: %s", mensagem_id, _detalhe(exc))
    except ErroCanal as exc:
        logger.warning("confirmação de leitura recusada para %s: %s", mensagem_id, _detalhe(exc))
