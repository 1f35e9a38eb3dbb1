"""Telegram Bot API adapter.

Inbound: one ``Update`` per POST, authenticated only by the ``X-Telegram-Bot-Api-Secret-Token``
header (no body signature); parsing in :mod:`canais.adapters.telegram.parse`.  The routing key is
the sha256 of that secret, so the secret itself is never stored in clear for lookups.
Outbound: ``{api_base_url}/bot<token>/<method>`` (sendMessage, send<Media>, sendChatAction,
getFile, getMe, setWebhook, answerCallbackQuery).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import mimetypes
import posixpath
import re
import secrets
from typing import Any, ClassVar

import httpx
from django.utils.translation import gettext_lazy as _

from canais.adapters import _http
from canais.adapters.base import (
    MIMES_ARQUIVOS,
    AdaptadorCanal,
    AssinaturaInvalida,
    Entrada,
    ErroCanal,
    ErroDefinitivo,
    ErroTransitorio,
    MensagemSaida,
    MidiaBaixada,
    MidiaRef,
    MidiaSaida,
    OperacaoNaoSuportada,
    PayloadInvalido,
    RequisicaoWebhook,
    ResultadoEnvio,
    ResultadoTeste,
    TipoIdentidade,
    TipoMensagem,
    detalhe_erro,
)
from canais.adapters.telegram import parse

API_BASE_PADRAO = "https://api.telegram.org"
MB = 1024 * 1024
CABECALHO_SEGREDO = "x-telegram-bot-api-secret-token"

#: update kinds we ask Telegram for (message_reaction must be listed explicitly)
ALLOWED_UPDATES = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "callback_query",
    "message_reaction",
)

#: MidiaSaida.tipo → (Bot API method, file field)
METODOS_MIDIA = {
    TipoMensagem.IMAGEM: ("sendPhoto", "photo"),
    TipoMensagem.VIDEO: ("sendVideo", "video"),
    TipoMensagem.AUDIO: ("sendAudio", "audio"),
    TipoMensagem.DOCUMENTO: ("sendDocument", "document"),
    TipoMensagem.STICKER: ("sendSticker", "sticker"),
}
#: voice notes (ogg/opus) go through sendVoice so they play as voice messages
MIMES_VOZ = frozenset({"audio/ogg", "audio/opus"})


_TOKEN_NA_URL = re.compile(r"/(file/)?bot[^/\s]+/")


class _OcultarToken(logging.Filter):
    """httpx logs every request URL at INFO; Bot API URLs carry the bot token: redact it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(
                _TOKEN_NA_URL.sub(r"/\1bot<token>/", str(a)) if isinstance(a, httpx.URL) else a
                for a in record.args
            )
        return True


if not any(isinstance(f, _OcultarToken) for f in logging.getLogger("httpx").filters):
    logging.getLogger("httpx").addFilter(_OcultarToken())


class AdaptadorTelegram(AdaptadorCanal):
    tipo: ClassVar[str] = "telegram"
    campos_segredo = frozenset({"bot_token", "webhook_secret"})
    campos_obrigatorios = frozenset({"bot_token", "webhook_secret"})
    limite_midia_bytes = {
        TipoMensagem.IMAGEM: 10 * MB,  # sendPhoto limit; other uploads by a bot: 50 MB
        TipoMensagem.AUDIO: 50 * MB,
        TipoMensagem.VIDEO: 50 * MB,
        TipoMensagem.DOCUMENTO: 50 * MB,
        TipoMensagem.STICKER: 50 * MB,
    }
    #: Telegram takes any file as a document; this is the broad set we expect to handle
    mimes_aceitos = MIMES_ARQUIVOS | {"application/x-tgsticker"}
    #: bots may download at most 20 MB (getFile)
    limite_download_bytes: ClassVar[int] = 20 * MB
    #: bulk sends: a bot may send about 30 messages/s overall
    taxa_lote_por_segundo = 25.0
    rotulo = _("Telegram")
    chaves_config = frozenset({"bot_token", "webhook_secret", "api_base_url"})
    #: sendMessage stops at 4096 characters
    limite_texto = 4096
    identidades_conversa = (TipoIdentidade.TELEGRAM,)
    entrada_em_lote = True
    verificacao_local = True
    identidades_destino = (TipoIdentidade.TELEGRAM,)
    identidades_proprias = {TipoIdentidade.TELEGRAM: _("Telegram")}

    @classmethod
    def config_gerada(cls) -> dict[str, str]:
        # the secret setWebhook registers: nobody needs to type it
        return {"webhook_secret": secrets.token_urlsafe(32)}

    # -- routing ---------------------------------------------------------------------------
    @classmethod
    def identificador_da_config(cls, config: Any) -> str:
        """sha256 hex of ``webhook_secret`` ("" when not configured: routes nothing)."""
        segredo = str(config.get("webhook_secret") or "")
        return hashlib.sha256(segredo.encode()).hexdigest() if segredo else ""

    @classmethod
    def identificador_da_requisicao(cls, req: RequisicaoWebhook) -> str | None:
        segredo = req.cabecalho(CABECALHO_SEGREDO)
        return hashlib.sha256(segredo.encode()).hexdigest() if segredo else None

    # -- inbound ---------------------------------------------------------------------------
    def verificar(self, req: RequisicaoWebhook) -> None:
        esperado = str(self.config.get("webhook_secret") or "")
        recebido = req.cabecalho(CABECALHO_SEGREDO)
        if not esperado:
            raise AssinaturaInvalida("webhook_secret não configurado")
        if not recebido:
            raise AssinaturaInvalida("cabeçalho X-Telegram-Bot-Api-Secret-Token ausente")
        if not hmac.compare_digest(recebido.encode(), esperado.encode()):
            raise AssinaturaInvalida("segredo do webhook do Telegram não confere", status=403)

    def id_evento(self, req: RequisicaoWebhook) -> str | None:
        try:
            return str(parse.carregar(req.corpo)["update_id"])
        except PayloadInvalido:
            return None

    def interpretar(self, req: RequisicaoWebhook) -> list[Entrada]:
        update = parse.carregar(req.corpo)
        try:
            return parse.interpretar(update)
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise PayloadInvalido(f"formato inesperado no Update do Telegram: {exc!r}") from exc

    # -- outbound --------------------------------------------------------------------------
    def enviar(self, mensagem: MensagemSaida) -> ResultadoEnvio:
        if not mensagem.destino:
            raise ErroDefinitivo("mensagem sem destino", codigo="destino")
        base: dict[str, Any] = {"chat_id": _chat_id(mensagem.destino)}
        resposta = _reply_parameters(mensagem.responder_a, mensagem.destino)
        if resposta:
            base["reply_parameters"] = resposta
        if mensagem.midia is not None:
            resultado = self._enviar_midia(mensagem.midia, mensagem.texto, base)
        elif mensagem.texto:
            teclado = teclado_inline(mensagem.botoes)
            if teclado:
                base["reply_markup"] = teclado
            resultado = self._chamar("sendMessage", json={**base, "text": mensagem.texto})
        elif mensagem.template is not None:
            raise ErroDefinitivo(
                "o Telegram não tem templates: envie o texto renderizado", codigo="template"
            )
        else:
            raise ErroDefinitivo("mensagem sem texto nem mídia", codigo="vazia")
        try:
            return ResultadoEnvio(
                id_externo=parse.id_mensagem(resultado["chat"]["id"], resultado["message_id"])
            )
        except (KeyError, TypeError) as exc:
            raise ErroDefinitivo(f"resposta sem mensagem: {resultado!r}") from exc

    def _enviar_midia(self, midia: MidiaSaida, legenda: str, base: dict[str, Any]) -> Any:
        """Upload (multipart) or by URL; stickers take no caption (send the text separately)."""
        if midia.tipo not in METODOS_MIDIA:
            raise ErroDefinitivo(f"tipo de mídia não enviável: {midia.tipo}", codigo="tipo_midia")
        metodo, campo = METODOS_MIDIA[midia.tipo]
        if midia.tipo == TipoMensagem.AUDIO and _http.mime_base(midia.mime) in MIMES_VOZ:
            metodo, campo = "sendVoice", "voice"
        campos = dict(base)
        if legenda and midia.tipo != TipoMensagem.STICKER:
            campos["caption"] = legenda
        if midia.conteudo is not None:
            limite = self.limite_midia_bytes.get(midia.tipo, 50 * MB)
            if len(midia.conteudo) > limite:
                raise ErroDefinitivo(
                    f"arquivo de {len(midia.conteudo)} bytes excede o limite de {limite} bytes "
                    "do Telegram",
                    codigo="midia_grande",
                )
            # multipart fields are strings: nested objects go JSON-serialised
            dados = {k: json.dumps(v) if isinstance(v, dict) else str(v) for k, v in campos.items()}
            arquivo = (midia.nome or "arquivo", midia.conteudo, midia.mime or None)
            return self._chamar(metodo, data=dados, files={campo: arquivo})
        if midia.url:
            return self._chamar(metodo, json={**campos, campo: midia.url})
        raise ErroDefinitivo("mídia sem conteúdo nem URL", codigo="vazia")

    def baixar_midia(self, midia: MidiaRef) -> MidiaBaixada:
        if midia.tamanho and midia.tamanho > self.limite_download_bytes:
            raise _grande_demais(midia.tamanho, self.limite_download_bytes)
        arquivo = self._chamar("getFile", json={"file_id": midia.ref})
        caminho = str((arquivo or {}).get("file_path") or "")
        if not caminho:
            raise ErroDefinitivo(f"getFile sem file_path para {midia.ref}")
        tamanho = arquivo.get("file_size")
        if isinstance(tamanho, int) and tamanho > self.limite_download_bytes:
            raise _grande_demais(tamanho, self.limite_download_bytes)
        conteudo, tipo = _http.baixar_limitado(
            f"{self._base()}/file/bot{self._token()}/{caminho}",
            limite_bytes=self.limite_download_bytes,
            interpretar_erro=erro_telegram,
            timeout=self.timeout_segundos,
        )
        # "may not preserve the original file name and MIME type": prefer the Message's
        mime = midia.mime or (mimetypes.guess_type(caminho)[0] or "") or tipo
        return MidiaBaixada(
            conteudo=conteudo, mime=mime, nome=midia.nome or posixpath.basename(caminho)
        )

    def marcar_lida(self, *, destino: str, id_externo: str) -> None:
        raise OperacaoNaoSuportada("bots do Telegram não têm confirmação de leitura")

    def digitando(self, *, destino: str, id_externo: str = "") -> None:
        self._chamar("sendChatAction", json={"chat_id": _chat_id(destino), "action": "typing"})

    def responder_callback(self, callback_id: str, texto: str = "") -> None:
        """answerCallbackQuery: stops the spinner (``callback_id`` = ``dados["callback_id"]``)."""
        corpo: dict[str, Any] = {"callback_query_id": callback_id.removeprefix("cb:")}
        if texto:
            corpo["text"] = texto[:200]
        self._chamar("answerCallbackQuery", json=corpo)

    def desregistrar_webhook(self, url: str) -> None:
        """deleteWebhook (pending updates kept: they arrive if the channel is activated again)."""
        self._chamar("deleteWebhook", json={"drop_pending_updates": False})

    def testar_conexao(self) -> ResultadoTeste:
        if not self.config.get("bot_token"):
            return ResultadoTeste(False, "configuração incompleta: bot_token")
        try:
            eu = self._chamar("getMe")
        except ErroCanal as exc:
            return ResultadoTeste(False, detalhe_erro(exc), {"codigo": getattr(exc, "codigo", "")})
        dados: dict[str, Any] = {
            "id": str(eu.get("id", "")),
            "username": str(eu.get("username") or ""),
            "first_name": str(eu.get("first_name") or ""),
        }
        try:  # best effort: webhook health (pending updates, last delivery error)
            info = self._chamar("getWebhookInfo")
        except ErroCanal:
            info = None
        if isinstance(info, dict):
            dados["webhook"] = {
                k: info[k]
                for k in ("url", "pending_update_count", "last_error_date", "last_error_message")
                if k in info
            }
        return ResultadoTeste(True, f"conectado como @{dados['username']}", dados)

    def registrar_webhook(self, url: str) -> None:
        segredo = str(self.config.get("webhook_secret") or "")
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", segredo):
            raise ErroDefinitivo(
                "webhook_secret deve ter 1-256 caracteres entre A-Z, a-z, 0-9, _ e -",
                codigo="config",
            )
        self._chamar(
            "setWebhook",
            json={
                "url": url,
                "secret_token": segredo,
                "allowed_updates": list(ALLOWED_UPDATES),
                "drop_pending_updates": False,
            },
        )

    # -- HTTP ------------------------------------------------------------------------------
    def _base(self) -> str:
        return str(self.config.get("api_base_url") or API_BASE_PADRAO).rstrip("/")

    def _token(self) -> str:
        token = str(self.config.get("bot_token") or "")
        if not token:
            raise ErroDefinitivo("bot_token não configurado", codigo="config")
        return token

    def _chamar(self, metodo: str, **kwargs: Any) -> Any:
        """POST a Bot API method; returns ``result`` or raises the mapped error."""
        resp = _http.requisitar(
            "POST",
            f"{self._base()}/bot{self._token()}/{metodo}",
            interpretar_erro=erro_telegram,
            timeout=self.timeout_segundos,
            **kwargs,
        )
        corpo = _http.json_ou_vazio(resp)
        if corpo.get("ok") is not True:
            raise erro_telegram(resp)
        return corpo.get("result")


def teclado_inline(botoes) -> dict[str, Any] | None:
    """``[{"texto": "Sim", "dados": "sim"}, {"texto": "Site", "url": "https://…"}]`` → an
    ``InlineKeyboardMarkup``, one button per row (a ``linha`` number groups buttons)."""
    linhas: dict[Any, list[dict[str, str]]] = {}
    for indice, botao in enumerate(botoes or ()):
        texto = str(botao.get("texto") or botao.get("text") or "").strip()
        if not texto:
            continue
        item: dict[str, str] = {"text": texto[:64]}
        if botao.get("url"):
            item["url"] = str(botao["url"])
        else:  # callback_data: 1-64 bytes
            item["callback_data"] = (
                str(botao.get("dados") or texto).encode()[:64].decode(errors="ignore")
            )
        linhas.setdefault(botao.get("linha", indice), []).append(item)
    return {"inline_keyboard": list(linhas.values())} if linhas else None


def _chat_id(destino: str) -> int | str:
    return int(destino) if re.fullmatch(r"-?\d+", destino) else destino


def _reply_parameters(responder_a: str, destino: str) -> dict[str, Any]:
    """``"<chat_id>:<message_id>"`` (our id_externo form) → Bot API ``reply_parameters``."""
    chat, _, mensagem = responder_a.rpartition(":")
    if not re.fullmatch(r"\d+", mensagem) or chat in ("cb", "upd"):
        return {}
    parametros: dict[str, Any] = {"message_id": int(mensagem), "allow_sending_without_reply": True}
    if chat and chat != destino:
        parametros["chat_id"] = _chat_id(chat)
    return parametros


def erro_telegram(resp: httpx.Response) -> ErroCanal:
    """``{"ok": false, "error_code", "description", "parameters"}`` → adapter error."""
    corpo = _http.json_ou_vazio(resp)
    descricao = str(corpo.get("description") or resp.text[:200] or "sem descrição")
    codigo = str(corpo.get("error_code") or resp.status_code)
    detalhe = f"{codigo}: {descricao}"
    parametros = corpo.get("parameters") if isinstance(corpo.get("parameters"), dict) else {}
    if parametros.get("retry_after") is not None:
        try:
            espera: float | None = float(parametros["retry_after"])
        except (TypeError, ValueError):
            espera = _http.retry_after(resp)
        return ErroTransitorio(detalhe, retry_after=espera, codigo=codigo)
    if parametros.get("migrate_to_chat_id") is not None:
        novo = parametros["migrate_to_chat_id"]
        return ErroDefinitivo(
            f"{detalhe} (o grupo virou supergrupo: novo chat_id {novo})",
            codigo="migrate_to_chat_id",
        )
    return _http.erro_por_status(resp, detalhe, codigo)


def _grande_demais(tamanho: int, limite: int) -> ErroDefinitivo:
    return ErroDefinitivo(
        f"arquivo de {tamanho} bytes excede o limite de download de bots ({limite} bytes)",
        codigo="midia_grande",
    )
