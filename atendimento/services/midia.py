"""Inbound media: downloaded from the provider (by the ``baixar_midia`` task) into Django storage,
within the channel's size and type limits, and announced with ``status_mensagem`` so open
conversations refresh the message (its ``midia`` now has a URL that serves the file).

Channels whose media travel inside the webhook (e-mail attachments: ``midia_no_webhook``) are
read from the stored ``EventoWebhook`` that announced them: the event whose provider id is the
message's ``id_externo`` (without the ``#midiaN`` suffix of a mail's further attachments)."""

from __future__ import annotations

import logging
import mimetypes
import uuid

from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.text import get_valid_filename

from atendimento.models import EventoWebhook, Mensagem
from atendimento.realtime.eventos import publicar_status_mensagem
from canais.adapters.base import (
    AdaptadorCanal,
    ErroDefinitivo,
    MidiaBaixada,
    MidiaRef,
    OperacaoNaoSuportada,
    PayloadInvalido,
    RequisicaoWebhook,
)
from canais.registry import get_adaptador

logger = logging.getLogger(__name__)

StatusMidia = Mensagem.StatusMidia
LIMITE_PADRAO = 16 * 1024 * 1024


def _mime_base(mime: str) -> str:
    return mime.split(";")[0].strip().lower()


def _limite(adaptador: AdaptadorCanal) -> int:
    return int(
        getattr(adaptador, "limite_download_bytes", 0)
        or max(adaptador.limite_midia_bytes.values(), default=LIMITE_PADRAO)
    )


def _nome_arquivo(mensagem: Mensagem, baixada: MidiaBaixada, mime: str) -> str:
    try:
        nome = get_valid_filename((baixada.nome or mensagem.midia_nome or "").rsplit("/", 1)[-1])
    except SuspiciousFileOperation:  # empty, ".", ".."
        nome = ""
    if not nome:
        extensao = mimetypes.guess_extension(mime) or ".bin"
        nome = f"{mensagem.tipo or 'arquivo'}{extensao}"
    return nome[:200]


def validar_midia(adaptador: AdaptadorCanal, baixada: MidiaBaixada, mime: str) -> None:
    """The channel's limits: size (``limite_download_bytes``) and accepted types."""
    limite = _limite(adaptador)
    if len(baixada.conteudo) > limite:
        raise ErroDefinitivo(
            f"arquivo de {len(baixada.conteudo)} bytes excede o limite de {limite} bytes do canal",
            codigo="midia_grande",
        )
    if adaptador.mimes_aceitos and mime not in adaptador.mimes_aceitos:
        raise ErroDefinitivo(f"tipo de arquivo {mime!r} não aceito no canal", codigo="midia_tipo")


@transaction.atomic
def _concluir(mensagem_id, **campos) -> Mensagem | None:
    """Apply the outcome to a message still ``pendente`` (a concurrent download may have won)."""
    mensagem = (
        Mensagem.objects.select_for_update(of=("self",))
        .select_related("ticket")
        .filter(pk=mensagem_id, midia_status=StatusMidia.PENDENTE)
        .first()
    )
    if mensagem is None:
        return None
    erro = campos.pop("erro", None)
    if erro is not None:
        mensagem.dados = {**mensagem.dados, "midia_erro": erro}
        campos["dados"] = mensagem.dados
    for nome, valor in campos.items():
        setattr(mensagem, nome, valor)
    mensagem.save(update_fields=[*campos, "atualizado_em"])
    publicar_status_mensagem(mensagem, mensagem.ticket)
    return mensagem


def requisicao_da_mensagem(mensagem: Mensagem) -> RequisicaoWebhook:
    """The stored webhook request that delivered an inbound message."""
    from canais.webhooks_guardados import requisicao_do_evento

    id_evento = (mensagem.id_externo or "").split("#", 1)[0]
    evento = (
        EventoWebhook.objects.filter(canal_id=mensagem.canal_id, id_evento_externo=id_evento)
        .order_by("recebido_em")
        .first()
    )
    if not id_evento or evento is None:
        raise ErroDefinitivo(
            "a requisição original da mensagem não está armazenada", codigo="midia"
        )
    return requisicao_do_evento(evento)


def mensagem_midia_marcar_erro(*, mensagem_id: uuid.UUID | str, detalhe: str) -> Mensagem | None:
    logger.warning("mídia da mensagem %s não baixada: %s", mensagem_id, detalhe)
    return _concluir(mensagem_id, midia_status=StatusMidia.ERRO, erro=detalhe[:1000])


def mensagem_midia_baixar(*, mensagem_id: uuid.UUID | str) -> Mensagem | None:
    """Download the media of an inbound message (idempotent: only ``pendente`` media).

    :class:`~canais.adapters.base.ErroTransitorio` propagates (the task retries); a definitive
    failure, an unsupported operation, or a file over the channel's limits ends ``erro``.
    """
    mensagem = (
        Mensagem.objects.select_related("canal")
        .filter(pk=mensagem_id, midia_status=StatusMidia.PENDENTE)
        .first()
    )
    if mensagem is None:
        return None
    canal = mensagem.canal
    adaptador = get_adaptador(canal.tipo, canal.config_completa)
    ref = MidiaRef(
        ref=mensagem.midia_ref,
        mime=mensagem.midia_mime,
        nome=mensagem.midia_nome,
        tamanho=mensagem.midia_tamanho,
    )
    try:
        if adaptador.midia_no_webhook:
            baixada = adaptador.extrair_midia(requisicao_da_mensagem(mensagem), ref)
        else:
            baixada = adaptador.baixar_midia(ref)
        mime = _mime_base(baixada.mime or mensagem.midia_mime) or "application/octet-stream"
        validar_midia(adaptador, baixada, mime)
    except (ErroDefinitivo, OperacaoNaoSuportada, PayloadInvalido) as exc:
        return mensagem_midia_marcar_erro(mensagem_id=mensagem.pk, detalhe=str(exc))
    arquivo = mensagem.midia_arquivo
    arquivo.save(_nome_arquivo(mensagem, baixada, mime), ContentFile(baixada.conteudo), save=False)
    concluida = _concluir(
        mensagem.pk,
        midia_arquivo=arquivo.name,
        midia_mime=(baixada.mime or mensagem.midia_mime)[:150],
        midia_nome=_nome_arquivo(mensagem, baixada, mime),
        midia_tamanho=len(baixada.conteudo),
        midia_status=StatusMidia.DISPONIVEL,
    )
    if concluida is None:  # someone else finished first: drop our copy
        arquivo.storage.delete(arquivo.name)
    return concluida
