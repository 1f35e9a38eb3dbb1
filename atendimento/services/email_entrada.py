"""What the desk does after an inbound e-mail is stored (a reaction of
:mod:`atendimento.services.reacoes`, registered by the ``canais`` app):

* **other channels noted** — a mail addressed to several of the empresa's e-mail channels
  opens one ticket, on the first recipient that is a channel (the webhook's routing); the
  others are named in the ticket's history so nobody answers it twice from another inbox;
* **inline images** — images the HTML shows through ``cid:`` are saved as files of the
  message (``baixar_inline`` task), so the inbox can show them in place.

And one check before a mail is applied (the e-mail adapter's ``filtros_entrada``): the **loop
guard** — more than ``settings.EMAIL_LACO_MAX`` mails from one sender to one channel
within ``settings.EMAIL_LACO_JANELA_SEGUNDOS`` is an auto-responder that sends no auto-reply
headers answering our mails; the rest are discarded with the reason until the window passes
(a Redis counter: no query).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.text import get_valid_filename

from atendimento.models import Canal, Historico, Mensagem
from atendimento.services.reacoes import EntradaConfirmada, tipos_dos_canais
from canais.adapters.base import MensagemEntrada
from canais.enfileirar import baixar_inline, enfileirar

logger = logging.getLogger(__name__)


def email_filtro_laco(canal: Canal, evento) -> str:
    """The loop guard (see the module docstring): a reason to discard, or ""."""
    if not isinstance(evento, MensagemEntrada) or not evento.remetente.email:
        return ""
    chave = f"email:laco:{canal.pk}:{evento.remetente.email}"
    try:
        janela = int(settings.EMAIL_LACO_JANELA_SEGUNDOS)
        cache.add(chave, 0, timeout=janela)
        enviados = cache.incr(chave)
    except Exception:  # cache down: no guard rather than no mail
        logger.warning("laço de e-mail: cache indisponível", exc_info=True)
        return ""
    if enviados <= int(settings.EMAIL_LACO_MAX):
        return ""
    minutos = janela // 60
    return (
        f"possível laço de respostas automáticas: {enviados} e-mails de "
        f"{evento.remetente.email} em {minutos} minutos"
    )


def _outros_canais(mensagem: Mensagem) -> list[Canal]:
    destinos = [d for d in (mensagem.dados or {}).get("destinatarios") or [] if isinstance(d, str)]
    if not destinos:
        return []
    return list(
        Canal.objects.filter(
            empresa_id=mensagem.empresa_id, tipo=Canal.Tipo.EMAIL, identificador__in=destinos
        )
        .exclude(pk=mensagem.canal_id)
        .order_by("nome")
    )


@transaction.atomic
def email_notar_outros_canais(*, mensagem: Mensagem) -> list[Canal]:
    """Note, on the ticket, the empresa's other e-mail channels this mail was also sent to."""
    outros = _outros_canais(mensagem)
    if not outros:
        return []
    nomes = ", ".join(f"{c.nome} ({c.identificador})" for c in outros)
    Historico.objects.create(
        empresa_id=mensagem.empresa_id,
        ticket_id=mensagem.ticket_id,
        acao=Historico.Acao.ATUALIZADO,
        descricao=f"O e-mail também foi enviado para {nomes}; ele ficou só neste ticket.",
        dados={"mensagem_id": str(mensagem.pk), "outros_canais": [str(c.pk) for c in outros]},
    )
    return outros


def _canais_de_email(canal_ids: set) -> set:
    return {c for c, tipo in tipos_dos_canais(canal_ids).items() if tipo == Canal.Tipo.EMAIL}


def _apos_entrada(entradas: list[EntradaConfirmada]) -> None:
    """Reaction: for each new e-mail, note other channels and fetch inline images."""

    de_email = _canais_de_email({e.canal_id for e in entradas})
    if not de_email:
        return
    mensagens = Mensagem.objects.filter(
        pk__in=[e.mensagem_id for e in entradas if e.canal_id in de_email]
    ).only("pk", "empresa_id", "ticket_id", "canal_id", "dados", "id_externo")
    for mensagem in mensagens:
        dados = mensagem.dados or {}
        if "#" in (mensagem.id_externo or ""):
            continue  # an extra attachment of the same mail: the main message speaks for it
        if len(dados.get("destinatarios") or []) > 1:
            email_notar_outros_canais(mensagem=mensagem)
        if any(a.get("inline") for a in dados.get("anexos") or [] if isinstance(a, dict)):
            enfileirar(baixar_inline, str(mensagem.pk))


def registrar() -> None:
    from atendimento.services.reacoes import reagir_a_entrada

    reagir_a_entrada(_apos_entrada)


# ------------------------------------------------------------------------------- inline images
def caminho_inline(mensagem: Mensagem, numero: int, nome: str) -> str:
    return f"midia/{mensagem.empresa_id}/{mensagem.ticket_id}/{mensagem.id}/inline/{numero}-{nome}"


def email_inline_baixar(*, mensagem_id) -> Mensagem | None:
    """Save each inline (``cid:``) image of an inbound e-mail to storage, within the channel's
    media limits, and record its file on ``dados["anexos"][i]["arquivo"]`` (served by
    ``/midia/<mensagem>/inline/<n>/``); the open conversation is told to refresh.  Idempotent:
    images already saved are skipped; one that breaks a limit gets ``erro`` instead."""
    from atendimento.realtime.eventos import publicar_status_mensagem
    from atendimento.services.midia import requisicao_da_mensagem, validar_midia
    from canais.adapters.base import ErroCanal, MidiaRef, PayloadInvalido
    from canais.registry import get_adaptador

    mensagem = Mensagem.objects.select_related("canal").filter(pk=mensagem_id).first()
    if mensagem is None or mensagem.canal.tipo != Canal.Tipo.EMAIL:
        return None
    anexos = [a for a in (mensagem.dados or {}).get("anexos") or [] if isinstance(a, dict)]
    pendentes = [a for a in anexos if a.get("inline") and not (a.get("arquivo") or a.get("erro"))]
    if not pendentes:
        return None
    adaptador = get_adaptador(mensagem.canal.tipo, mensagem.canal.config_completa)
    try:
        requisicao = requisicao_da_mensagem(mensagem)
    except ErroCanal:
        return None
    armazenamento = mensagem.midia_arquivo.storage
    resultado: dict[str, dict] = {}
    for anexo in pendentes:
        ref = str(anexo.get("ref") or "")
        try:
            baixada = adaptador.extrair_midia(requisicao, MidiaRef(ref=ref))
            mime = (baixada.mime or "").split(";", 1)[0].strip().lower()
            validar_midia(adaptador, baixada, mime)
            if not mime.startswith("image/"):
                raise PayloadInvalido(f"{mime!r} não é uma imagem")
        except (ErroCanal, PayloadInvalido) as exc:
            resultado[ref] = {"erro": str(getattr(exc, "detalhe", "") or exc)[:500]}
            continue
        numero = ref.removeprefix("anexo:")
        try:
            nome = get_valid_filename(baixada.nome.rsplit("/", 1)[-1])
        except SuspiciousFileOperation:
            nome = f"imagem{numero}"
        salvo = armazenamento.save(
            caminho_inline(mensagem, int(numero), nome[:120]), ContentFile(baixada.conteudo)
        )
        resultado[ref] = {"arquivo": salvo}
    with transaction.atomic():
        atual = (
            Mensagem.objects.select_for_update(of=("self",))
            .select_related("ticket")
            .get(pk=mensagem.pk)
        )
        dados = dict(atual.dados or {})
        dados["anexos"] = [
            {**a, **resultado.get(str(a.get("ref")), {})} if isinstance(a, dict) else a
            for a in dados.get("anexos") or []
        ]
        atual.dados = dados
        atual.save(update_fields=["dados", "atualizado_em"])
        publicar_status_mensagem(atual, atual.ticket)
    return atual


def anexo_inline(mensagem: Mensagem, numero: int) -> dict | None:
    """The saved inline image ``anexo:<numero>`` of a message, or None."""
    for anexo in (mensagem.dados or {}).get("anexos") or []:
        if isinstance(anexo, dict) and anexo.get("ref") == f"anexo:{numero}":
            return anexo if anexo.get("inline") and anexo.get("arquivo") else None
    return None
