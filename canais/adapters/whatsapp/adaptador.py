"""WhatsApp Business Cloud API (Meta Graph API) adapter.

Inbound: GET verification handshake, ``X-Hub-Signature-256`` over the raw body, payload parsing
in :mod:`canais.adapters.whatsapp.parse`.  Outbound: ``/{version}/{phone_number_id}/messages``
(text, choices as interactive reply buttons or lists, media by upload or link, templates, read
receipts, typing), media download, health check.

Routing: the channel is the payload's ``metadata.phone_number_id``.  One POST normally carries
one number; if a batch mixes several numbers of a WABA, the *first* one routes the request and
:meth:`AdaptadorWhatsApp.interpretar` keeps only the changes addressed to this channel's number (the
raw webhook stays stored by the pipeline).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from typing import Any, ClassVar

import httpx
from django.utils.translation import gettext_lazy as _

from canais.adapters import _http
from canais.adapters.base import (
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
    RespostaHandshake,
    ResultadoEnvio,
    ResultadoTeste,
    TemplateProvedor,
    TipoIdentidade,
    TipoMensagem,
    detalhe_erro,
)
from canais.adapters.whatsapp import parse
from canais.adapters.whatsapp.interativo import interativo

API_VERSION_PADRAO = "v23.0"
API_BASE_PADRAO = "https://graph.facebook.com"
CAMPOS_TEMPLATES = "id,name,language,status,category,components,rejected_reason"
PAGINAS_TEMPLATES = 50  # x 100 templates: far above a WABA's limit (250 by default)
#: bulk sends: a Cloud API number takes 80 messages/s by default (130429 beyond it)
TAXA_LOTE = 80.0
MB = 1024 * 1024

#: Graph/WhatsApp error codes that mean "slow down / try later" (Meta's error-code reference):
#: 1/2 temporary API problems, 4/17/32/613 Graph rate limits, 80007 WABA rate limit,
#: 130429 throughput, 131000 generic "something went wrong", 131048 spam rate limit,
#: 131056 pair rate limit, 131057 throughput upgrade in progress, 133004 server unavailable.
CODIGOS_TRANSITORIOS = frozenset(
    {1, 2, 4, 17, 32, 613, 80007, 130429, 131000, 131048, 131056, 131057, 133004}
)

#: Meta's documented supported media types per kind (Media reference page).
MIMES_POR_TIPO: dict[TipoMensagem, frozenset[str]] = {
    TipoMensagem.IMAGEM: frozenset({"image/jpeg", "image/png"}),
    TipoMensagem.AUDIO: frozenset(
        {"audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg"}
    ),
    TipoMensagem.VIDEO: frozenset({"video/mp4", "video/3gpp"}),
    TipoMensagem.DOCUMENTO: frozenset(
        {
            "text/plain",
            "application/pdf",
            "application/msword",
            "application/vnd.ms-excel",
            "application/vnd.ms-powerpoint",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        }
    ),
    TipoMensagem.STICKER: frozenset({"image/webp"}),
}

TIPO_GRAPH = {
    TipoMensagem.IMAGEM: "image",
    TipoMensagem.AUDIO: "audio",
    TipoMensagem.VIDEO: "video",
    TipoMensagem.DOCUMENTO: "document",
    TipoMensagem.STICKER: "sticker",
}
COM_LEGENDA = frozenset({TipoMensagem.IMAGEM, TipoMensagem.VIDEO, TipoMensagem.DOCUMENTO})


class AdaptadorWhatsApp(AdaptadorCanal):
    tipo: ClassVar[str] = "whatsapp"
    campos_segredo = frozenset({"access_token", "app_secret", "verify_token"})
    campos_obrigatorios = frozenset(
        {"phone_number_id", "access_token", "app_secret", "verify_token"}
    )
    limite_midia_bytes = {
        TipoMensagem.IMAGEM: 5 * MB,
        TipoMensagem.AUDIO: 16 * MB,
        TipoMensagem.VIDEO: 16 * MB,
        TipoMensagem.DOCUMENTO: 100 * MB,
        TipoMensagem.STICKER: 500 * 1024,  # animated; static stickers are limited to 100 KB
    }
    mimes_aceitos = frozenset().union(*MIMES_POR_TIPO.values())
    #: largest download accepted (the largest documented media limit)
    limite_download_bytes: ClassVar[int] = 100 * MB
    taxa_lote_por_segundo = TAXA_LOTE
    rotulo = _("WhatsApp")
    chaves_config = frozenset(
        {
            "phone_number_id", "waba_id", "access_token", "app_secret", "verify_token",
            "api_version", "api_base_url", "mensagens_por_segundo",
        }
    )  # fmt: skip
    #: WhatsApp text bodies stop at 4096 characters
    limite_texto = 4096
    identidades_conversa = (TipoIdentidade.WHATSAPP, TipoIdentidade.TELEFONE)
    entrada_em_lote = True
    verificacao_local = True
    identidades_destino = (
        TipoIdentidade.WHATSAPP,
        TipoIdentidade.WHATSAPP_BSUID,
        TipoIdentidade.TELEFONE,
    )
    campo_contato_destino = "telefone"
    identidades_proprias = {
        TipoIdentidade.WHATSAPP: _("WhatsApp (wa_id)"),
        TipoIdentidade.WHATSAPP_BSUID: _("WhatsApp (ID de usuário da empresa)"),
    }

    @classmethod
    def tem_janela(cls, config: Any) -> bool:
        return True

    # -- routing ---------------------------------------------------------------------------
    @classmethod
    def identificador_da_config(cls, config: Any) -> str:
        """``phone_number_id`` ("" when not configured yet: such a channel routes nothing)."""
        return str(config.get("phone_number_id") or "")

    @classmethod
    def identificador_da_requisicao(cls, req: RequisicaoWebhook) -> str | None:
        """First ``metadata.phone_number_id`` of the body; None for GETs and unreadable bodies."""
        try:
            dados = json.loads(req.corpo)
        except (ValueError, UnicodeDecodeError):
            return None
        return parse.phone_number_id(dados)

    # -- inbound ---------------------------------------------------------------------------
    def handshake(self, req: RequisicaoWebhook) -> RespostaHandshake | None:
        if req.metodo.upper() != "GET":
            return None
        esperado = str(self.config.get("verify_token") or "")
        recebido = req.query.get("hub.verify_token", "")
        if (
            req.query.get("hub.mode") == "subscribe"
            and esperado
            and hmac.compare_digest(recebido.encode(), esperado.encode())
        ):
            return RespostaHandshake(200, req.query.get("hub.challenge", ""))
        return RespostaHandshake(403, "Forbidden")

    def verificar(self, req: RequisicaoWebhook) -> None:
        segredo = str(self.config.get("app_secret") or "")
        if not segredo:
            raise AssinaturaInvalida("app_secret não configurado")
        cabecalho = req.cabecalho("x-hub-signature-256").strip()
        if not cabecalho:
            raise AssinaturaInvalida("cabeçalho X-Hub-Signature-256 ausente")
        prefixo, _, recebido = cabecalho.partition("=")
        if prefixo.lower() != "sha256" or not re.fullmatch(r"[0-9a-fA-F]{64}", recebido):
            raise AssinaturaInvalida("cabeçalho X-Hub-Signature-256 malformado")
        # Meta signs the exact bytes it sent (non-ASCII already \uXXXX-escaped): never re-encode.
        esperado = hmac.new(segredo.encode(), req.corpo, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(recebido.lower(), esperado):
            raise AssinaturaInvalida("assinatura X-Hub-Signature-256 não confere")

    def id_evento(self, req: RequisicaoWebhook) -> str | None:
        return None  # one POST batches many updates; dedupe is per message/status id

    def interpretar(self, req: RequisicaoWebhook) -> list[Entrada]:
        dados = parse.carregar(req.corpo)
        try:
            return parse.interpretar(
                dados, so_phone_number_id=self.identificador_da_config(self.config)
            )
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise PayloadInvalido(f"formato inesperado no payload do WhatsApp: {exc!r}") from exc

    # -- outbound --------------------------------------------------------------------------
    def enviar(self, mensagem: MensagemSaida) -> ResultadoEnvio:
        corpo: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            **_destinatario(mensagem.destino),
        }
        if mensagem.template is not None:
            corpo["type"] = "template"
            corpo["template"] = {
                "name": mensagem.template.nome,
                "language": {"code": mensagem.template.idioma},
                "components": [dict(c) for c in mensagem.template.componentes],
            }
        elif mensagem.midia is not None:
            tipo_graph, objeto = self._objeto_midia(mensagem.midia, mensagem.texto)
            corpo["type"] = tipo_graph
            corpo[tipo_graph] = objeto
        elif mensagem.texto and (
            escolhas := interativo(mensagem.texto, mensagem.botoes, mensagem.texto_botoes)
        ):
            corpo["type"] = "interactive"
            corpo["interactive"] = escolhas
        elif mensagem.texto:
            corpo["type"] = "text"
            corpo["text"] = {"preview_url": "://" in mensagem.texto, "body": mensagem.texto}
        else:
            raise ErroDefinitivo("mensagem sem texto, mídia ou template", codigo="vazia")
        if mensagem.responder_a:
            corpo["context"] = {"message_id": mensagem.responder_a}
        resposta = self._post_mensagens(corpo)
        try:
            return ResultadoEnvio(id_externo=str(resposta["messages"][0]["id"]))
        except (KeyError, IndexError, TypeError) as exc:
            raise ErroDefinitivo(f"resposta sem id de mensagem: {resposta!r}") from exc

    def _objeto_midia(self, midia: MidiaSaida, legenda: str) -> tuple[str, dict[str, Any]]:
        """``("image", {"id": …, "caption": …})``; uploads ``midia.conteudo`` first.

        WhatsApp has no caption for audio and stickers: the caller sends such text separately.
        """
        tipo_graph = TIPO_GRAPH.get(midia.tipo)
        if tipo_graph is None:
            raise ErroDefinitivo(f"tipo de mídia não enviável: {midia.tipo}", codigo="tipo_midia")
        if midia.conteudo is not None:
            objeto: dict[str, Any] = {"id": self._upload(midia)}
        elif midia.url:
            objeto = {"link": midia.url}
        else:
            raise ErroDefinitivo("mídia sem conteúdo nem URL", codigo="vazia")
        if legenda and midia.tipo in COM_LEGENDA:
            objeto["caption"] = legenda
        if midia.tipo == TipoMensagem.DOCUMENTO and midia.nome:
            objeto["filename"] = midia.nome
        return tipo_graph, objeto

    def _upload(self, midia: MidiaSaida) -> str:
        conteudo = midia.conteudo or b""
        limite = self.limite_midia_bytes.get(midia.tipo, self.limite_download_bytes)
        if len(conteudo) > limite:
            raise ErroDefinitivo(
                f"arquivo de {len(conteudo)} bytes excede o limite de {limite} bytes do WhatsApp",
                codigo="midia_grande",
            )
        mime = _http.mime_base(midia.mime)
        if mime not in MIMES_POR_TIPO.get(midia.tipo, frozenset()):
            raise ErroDefinitivo(
                f"tipo {midia.mime!r} não aceito pelo WhatsApp para {midia.tipo}",
                codigo="mime_nao_suportado",
            )
        resp = self._chamar(
            "POST",
            f"{self._pnid()}/media",
            data={"messaging_product": "whatsapp", "type": midia.mime},
            files={"file": (midia.nome or "arquivo", conteudo, midia.mime)},
        )
        id_midia = _http.json_ou_vazio(resp).get("id")
        if not id_midia:
            raise ErroDefinitivo(f"upload de mídia sem id: {resp.text[:200]}")
        return str(id_midia)

    def baixar_midia(self, midia: MidiaRef) -> MidiaBaixada:
        info = _http.json_ou_vazio(self._chamar("GET", midia.ref))
        url = info.get("url")
        if not url:
            raise ErroDefinitivo(f"mídia {midia.ref} sem URL de download")
        tamanho = str(info.get("file_size") or "")
        if tamanho.isdigit() and int(tamanho) > self.limite_download_bytes:
            raise ErroDefinitivo(
                f"mídia de {tamanho} bytes excede o limite de {self.limite_download_bytes}",
                codigo="midia_grande",
            )
        conteudo, tipo = _http.baixar_limitado(
            str(url),
            limite_bytes=self.limite_download_bytes,
            interpretar_erro=_erro_download,
            timeout=self.timeout_segundos,
            headers=self._auth(),
        )
        mime = midia.mime or str(info.get("mime_type") or "") or tipo
        return MidiaBaixada(conteudo=conteudo, mime=mime, nome=midia.nome)

    def marcar_lida(self, *, destino: str, id_externo: str) -> None:
        if not id_externo:
            raise OperacaoNaoSuportada("confirmação de leitura exige o id da mensagem recebida")
        self._post_mensagens(
            {"messaging_product": "whatsapp", "status": "read", "message_id": id_externo}
        )

    def digitando(self, *, destino: str, id_externo: str = "") -> None:
        """Typing indicator (also marks ``id_externo`` as read; lasts ≤ 25 s or until we reply)."""
        if not id_externo:
            raise OperacaoNaoSuportada("indicador de digitação exige o id da mensagem recebida")
        self._post_mensagens(
            {
                "messaging_product": "whatsapp",
                "status": "read",
                "message_id": id_externo,
                "typing_indicator": {"type": "text"},
            }
        )

    def testar_conexao(self) -> ResultadoTeste:
        faltando = sorted(c for c in ("phone_number_id", "access_token") if not self.config.get(c))
        if faltando:
            return ResultadoTeste(False, f"configuração incompleta: {', '.join(faltando)}")
        try:
            resp = self._chamar(
                "GET", self._pnid(), params={"fields": "display_phone_number,verified_name"}
            )
        except ErroCanal as exc:
            return ResultadoTeste(False, detalhe_erro(exc), {"codigo": getattr(exc, "codigo", "")})
        dados = _http.json_ou_vazio(resp)
        numero = str(dados.get("display_phone_number") or "")
        nome = str(dados.get("verified_name") or "")
        return ResultadoTeste(
            True,
            f"conectado: {nome} ({numero})" if nome else f"conectado: {numero}",
            {"display_phone_number": numero, "verified_name": nome, "id": dados.get("id", "")},
        )

    def registrar_webhook(self, url: str) -> None:
        raise OperacaoNaoSuportada(
            "o webhook do WhatsApp é configurado no painel do app da Meta (URL + verify_token)"
        )

    def listar_templates(self) -> list[TemplateProvedor]:
        """``GET /{waba_id}/message_templates``, every page: ``paging.next`` is followed only on
        the configured Graph origin (else the ``after`` cursor is used), at most
        ``PAGINAS_TEMPLATES`` pages."""
        waba = str(self.config.get("waba_id") or "")
        if not waba:
            raise ErroDefinitivo("waba_id não configurado", codigo="config")
        base = httpx.URL(self._url(""))
        url = self._url(f"{waba}/message_templates")
        params: dict[str, Any] | None = {"limit": 100, "fields": CAMPOS_TEMPLATES}
        modelos: list[TemplateProvedor] = []
        for _pagina in range(PAGINAS_TEMPLATES):
            resp = _http.requisitar(
                "GET",
                url,
                interpretar_erro=erro_graph,
                timeout=self.timeout_segundos,
                headers=self._auth(),
                params=params,
            )
            corpo = _http.json_ou_vazio(resp)
            modelos += [parse.template_provedor(item) for item in corpo.get("data") or []]
            paginacao = corpo.get("paging") or {}
            proxima = str(paginacao.get("next") or "")
            depois = str((paginacao.get("cursors") or {}).get("after") or "")
            if not proxima:
                break
            alvo = httpx.URL(proxima)
            if (alvo.scheme, alvo.host, alvo.port) == (base.scheme, base.host, base.port):
                url, params = proxima, None
            elif depois:
                params = {"limit": 100, "fields": CAMPOS_TEMPLATES, "after": depois}
            else:
                break
        return modelos

    # -- HTTP ------------------------------------------------------------------------------
    def _pnid(self) -> str:
        pnid = str(self.config.get("phone_number_id") or "")
        if not pnid:
            raise ErroDefinitivo("phone_number_id não configurado", codigo="config")
        return pnid

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.config.get('access_token') or ''}"}

    def _url(self, caminho: str) -> str:
        base = str(self.config.get("api_base_url") or API_BASE_PADRAO).rstrip("/")
        versao = str(self.config.get("api_version") or API_VERSION_PADRAO).strip("/")
        return f"{base}/{versao}/{caminho.lstrip('/')}"

    def _chamar(self, metodo: str, caminho: str, **kwargs: Any) -> httpx.Response:
        return _http.requisitar(
            metodo,
            self._url(caminho),
            interpretar_erro=erro_graph,
            timeout=self.timeout_segundos,
            headers=self._auth(),
            **kwargs,
        )

    def _post_mensagens(self, corpo: dict[str, Any]) -> dict[str, Any]:
        return _http.json_ou_vazio(self._chamar("POST", f"{self._pnid()}/messages", json=corpo))


def _destinatario(destino: str) -> dict[str, str]:
    """wa_id digits → ``to`` in E.164 with ``+``; a BSUID (``US.123…``) → ``recipient``."""
    if not destino:
        raise ErroDefinitivo("mensagem sem destino", codigo="destino")
    if re.fullmatch(r"\+?\d+", destino):
        return {"to": "+" + destino.lstrip("+")}
    return {"recipient": destino}


def erro_graph(resp: httpx.Response) -> ErroCanal:
    """Graph error body ``{"error": {code, message, error_data.details, …}}`` → adapter error."""
    erro = _http.json_ou_vazio(resp).get("error")
    if not isinstance(erro, dict):
        return _http.erro_por_status(
            resp, f"HTTP {resp.status_code} da API do WhatsApp: {resp.text[:200]}"
        )
    detalhe = parse.descrever_erro(erro)
    codigo = str(erro.get("code", "") or resp.status_code)
    transitorio = erro.get("code") in CODIGOS_TRANSITORIOS or (
        resp.status_code == 429 or resp.status_code >= 500
    )
    if transitorio:
        return ErroTransitorio(detalhe, retry_after=_http.retry_after(resp), codigo=codigo)
    return ErroDefinitivo(detalhe, codigo=codigo)


def _erro_download(resp: httpx.Response) -> ErroCanal:
    """The lookaside URL lives 5 minutes: a 404/403 there is worth a retry with a fresh URL."""
    if resp.status_code in (403, 404):
        return ErroTransitorio(
            f"URL de mídia expirada ou negada (HTTP {resp.status_code})",
            codigo=str(resp.status_code),
        )
    return _http.erro_por_status(resp, f"HTTP {resp.status_code} baixando mídia do WhatsApp")
