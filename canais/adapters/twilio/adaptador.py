"""Twilio Programmable Messaging adapter (SMS/MMS and WhatsApp via Twilio).

Inbound: form-encoded webhooks signed with ``X-Twilio-Signature``, checked by the official SDK's
``RequestValidator`` over the exact URL Twilio called plus the POST parameters; parsing in
:mod:`canais.adapters.twilio.parse`.  Outbound: the official SDK ``Client`` (``messages.create``,
account fetch, incoming-number update) with its ``api`` domain pointed at ``api_base_url`` and
an httpx transport (:class:`_Transporte`) so timeouts and errors map like the other adapters.

Routing: the channel is its ``numero`` normalised (``+5511…`` or ``whatsapp:+5511…``), read
from ``To`` of an inbound message and from ``From`` of a status callback; a channel configured
with a Messaging Service (``messaging_service_sid``, ``MG…``) instead of a number is routed by
the ``MessagingServiceSid`` Twilio adds to the webhooks of the service's numbers.

Inbound media is downloaded only from Twilio's media hosts (``TWILIO_HOSTS_MIDIA``) or the
channel's own ``api_base_url``, with the account's credentials only towards the API origin.
Outbound media goes as ``MediaUrl``: a signed, expiring URL of ours (``midia_por_url``).

Delivery statuses only arrive when Twilio is told where to send them: set the optional public
config key ``status_callback_url`` to the channel's webhook URL and every message goes out with
it as ``StatusCallback`` (plain numbers have no account-wide status callback).
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import urljoin

import httpx
from django.conf import settings
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
    OperacaoNaoSuportada,
    PayloadInvalido,
    RequisicaoWebhook,
    RespostaHandshake,
    ResultadoEnvio,
    ResultadoTeste,
    TemplateSaida,
    TipoIdentidade,
    TipoMensagem,
    detalhe_erro,
)
from canais.adapters.twilio import parse
from twilio.http import HttpClient
from twilio.http.response import Response as RespostaSdk
from twilio.request_validator import (
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)
from twilio.rest import Client

API_BASE_PADRAO = "https://api.twilio.com"
MB = 1024 * 1024
CABECALHO_ASSINATURA = "x-twilio-signature"
TWIML_VAZIO = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
#: Twilio API error codes worth retrying besides HTTP 429/5xx
CODIGOS_TRANSITORIOS = frozenset({20429, 20500, 20503})

logger = logging.getLogger(__name__)


class AdaptadorTwilio(AdaptadorCanal):
    tipo: ClassVar[str] = "twilio"
    campos_segredo = frozenset({"auth_token"})
    #: plus ``numero`` or ``messaging_service_sid`` (checked where it matters)
    campos_obrigatorios = frozenset({"account_sid", "auth_token"})
    midia_por_url = True
    #: a long code sends about 1 message per second (toll-free 3, short codes 100: set the
    #: channel's ``mensagens_por_segundo``)
    taxa_lote_por_segundo = 1.0
    rotulo = _("Twilio (SMS/WhatsApp)")
    chaves_config = frozenset(
        {
            "account_sid", "auth_token", "numero", "messaging_service_sid", "api_base_url",
            "status_callback_url", "mensagens_por_segundo",
        }
    )  # fmt: skip
    #: a message body stops at 1600 characters
    limite_texto = 1600
    entrada_em_lote = True
    verificacao_local = True
    identidades_destino = (TipoIdentidade.TELEFONE, TipoIdentidade.WHATSAPP)
    campo_contato_destino = "telefone"
    #: 5 MB is Twilio's total size of an MMS; WhatsApp via Twilio takes up to 16 MB, but the
    #: limit is per class and must hold for SMS numbers too
    limite_midia_bytes = {
        TipoMensagem.IMAGEM: 5 * MB,
        TipoMensagem.AUDIO: 5 * MB,
        TipoMensagem.VIDEO: 5 * MB,
        TipoMensagem.DOCUMENTO: 5 * MB,
    }
    #: types both MMS and WhatsApp-via-Twilio deliver (Twilio "accepted content types")
    mimes_aceitos = frozenset(
        {
            "image/jpeg", "image/png", "image/gif",
            "audio/mpeg", "audio/ogg", "audio/amr", "audio/mp4", "audio/aac",
            "video/mp4", "video/3gpp",
            "application/pdf", "text/vcard", "text/x-vcard",
        }
    )  # fmt: skip
    #: inbound media: WhatsApp via Twilio carries up to 16 MB
    limite_download_bytes: ClassVar[int] = 16 * MB

    # -- channel facts ---------------------------------------------------------------------
    @classmethod
    def tem_janela(cls, config: Any) -> bool:
        # Twilio's WhatsApp senders ("whatsapp:+55…") follow WhatsApp's window (error 63016)
        # and send its approved templates as Content templates (``HX…``)
        return parse.remetente_whatsapp(config.get("numero"))

    @classmethod
    def conversa_do_contato(cls, config: Any, identidades: Mapping[str, str]) -> str:
        telefone = identidades.get(TipoIdentidade.TELEFONE)
        if not telefone:
            return ""
        prefixo = "whatsapp:" if cls.tem_janela(config) else ""
        return f"{prefixo}+{telefone.lstrip('+')}"

    @classmethod
    def config_ao_ativar(cls, url_webhook: str) -> dict[str, str]:
        # Twilio sends delivery statuses only to a per-message StatusCallback: our webhook
        return {"status_callback_url": url_webhook}

    # -- routing ---------------------------------------------------------------------------
    @classmethod
    def identificador_da_config(cls, config: Any) -> str:
        """``numero`` normalised, else the Messaging Service SID ("" when neither is set: such
        a channel routes nothing)."""
        numero = parse.normalizar_endereco(str(config.get("numero") or ""))
        return numero or str(config.get("messaging_service_sid") or "").strip()

    @classmethod
    def identificador_da_requisicao(cls, req: RequisicaoWebhook) -> str | None:
        candidatos = cls.identificadores_da_requisicao(req)
        return candidatos[0] if candidatos else None

    @classmethod
    def identificadores_da_requisicao(cls, req: RequisicaoWebhook) -> list[str]:
        """Our number first, then the Messaging Service it belongs to."""
        try:
            form = parse.carregar(req.corpo)
        except PayloadInvalido:
            return []
        candidatos = [parse.identificador(form), form.valor("MessagingServiceSid").strip()]
        return [c for c in dict.fromkeys(candidatos) if c]

    # -- inbound ---------------------------------------------------------------------------
    @classmethod
    def confirmacao(cls, req: RequisicaoWebhook) -> RespostaHandshake:
        """Empty TwiML: Twilio reads the answer to an incoming-message webhook as instructions
        (plain text would be logged as error 12300 "Invalid Content-Type")."""
        return RespostaHandshake(200, TWIML_VAZIO, "text/xml")

    def verificar(self, req: RequisicaoWebhook) -> None:
        token = str(self.config.get("auth_token") or "")
        if not token:
            raise AssinaturaInvalida("auth_token não configurado")
        assinatura = req.cabecalho(CABECALHO_ASSINATURA).strip()
        if not assinatura:
            raise AssinaturaInvalida("cabeçalho X-Twilio-Signature ausente")
        configuracao = req.cabecalho(SIGNATURE_SETTINGS_HEADER)
        if _http.mime_base(req.cabecalho("content-type")) == "application/json":
            # JSON-bodied webhooks: bodySHA256 in the URL covers the body, params are empty
            params: Any = req.corpo.decode("utf-8", errors="replace")
        else:
            try:
                params = parse.carregar(req.corpo)
            except PayloadInvalido as exc:
                raise AssinaturaInvalida("corpo ilegível: assinatura não verificável") from exc
        validador = RequestValidator(token)
        if not validador.validate(
            req.url, params, assinatura, algorithm=get_signature_algorithm(configuracao)
        ):
            if configuracao:
                raise AssinaturaInvalida(
                    "assinatura X-Twilio-Signature não confere (Webhook Rules com SharedKey "
                    "não são suportadas: o canal só conhece o auth_token)"
                )
            raise AssinaturaInvalida("assinatura X-Twilio-Signature não confere")

    def id_evento(self, req: RequisicaoWebhook) -> str | None:
        try:
            return parse.id_evento(parse.carregar(req.corpo))
        except PayloadInvalido:
            return None

    def interpretar(self, req: RequisicaoWebhook) -> list[Entrada]:
        if _http.mime_base(req.cabecalho("content-type")) == "application/json":
            raise PayloadInvalido("webhook JSON do Twilio não é de mensagens")
        return parse.interpretar(parse.carregar(req.corpo))

    # -- outbound --------------------------------------------------------------------------
    def enviar(self, mensagem: MensagemSaida) -> ResultadoEnvio:
        whatsapp = self._eh_whatsapp()
        para = parse.normalizar_endereco(
            mensagem.destino, prefixo_padrao=parse.PREFIXO_WHATSAPP if whatsapp else ""
        )
        if not para:
            raise ErroDefinitivo("mensagem sem destino", codigo="destino")
        campos: dict[str, Any] = {"to": para, **self._remetente()}
        if mensagem.template is not None:
            # WhatsApp templates are Content API templates: nome = ContentSid (HX…)
            campos["content_sid"] = mensagem.template.nome
            variaveis = variaveis_do_template(mensagem.template)
            if variaveis:
                campos["content_variables"] = json.dumps(variaveis, ensure_ascii=False)
        elif mensagem.midia is not None:
            if not mensagem.midia.url:
                raise ErroDefinitivo(
                    "o Twilio só envia mídia por URL pública (MediaUrl); esta mídia não tem URL",
                    codigo="midia_sem_url",
                )
            campos["media_url"] = [mensagem.midia.url]
            if mensagem.texto:
                campos["body"] = mensagem.texto
        elif mensagem.texto:
            campos["body"] = mensagem.texto
        else:
            raise ErroDefinitivo("mensagem sem texto, mídia ou template", codigo="vazia")
        retorno = str(self.config.get("status_callback_url") or "")
        if retorno:
            campos["status_callback"] = retorno
        criada = self._cliente().messages.create(**campos)
        if not criada.sid:
            raise ErroDefinitivo("resposta do Twilio sem sid da mensagem")
        return ResultadoEnvio(id_externo=str(criada.sid))

    def baixar_midia(self, midia: MidiaRef) -> MidiaBaixada:
        """GET the MediaUrl (Basic auth only towards Twilio's own API host).

        Twilio answers with a redirect to its CDN: the redirect is followed once, without
        credentials (they must never reach another host).
        """
        if midia.tamanho and midia.tamanho > self.limite_download_bytes:
            raise ErroDefinitivo(
                f"mídia maior que o limite ({midia.tamanho} > {self.limite_download_bytes} bytes)",
                codigo="midia_grande",
            )
        self._exigir_host_de_midia(midia.ref)
        cabecalhos = self._autorizacao() if self._host_da_api(midia.ref) else {}
        try:
            conteudo, tipo = _http.baixar_limitado(
                midia.ref,
                limite_bytes=self.limite_download_bytes,
                interpretar_erro=_erro_ou_redirecionamento,
                timeout=self.timeout_segundos,
                headers=cabecalhos,
            )
        except _Redirecionamento as desvio:
            self._exigir_host_de_midia(desvio.destino)
            conteudo, tipo = _http.baixar_limitado(
                desvio.destino,
                limite_bytes=self.limite_download_bytes,
                interpretar_erro=erro_twilio,
                timeout=self.timeout_segundos,
            )
        mime = tipo if tipo and tipo != "application/octet-stream" else midia.mime or tipo
        return MidiaBaixada(
            conteudo=conteudo, mime=mime, nome=midia.nome or parse.nome_da_midia(midia.ref, mime)
        )

    def marcar_lida(self, *, destino: str, id_externo: str) -> None:
        raise OperacaoNaoSuportada("o Twilio não envia confirmação de leitura")

    def digitando(self, *, destino: str, id_externo: str = "") -> None:
        raise OperacaoNaoSuportada("o Twilio Messaging não tem indicador de digitação")

    def testar_conexao(self) -> ResultadoTeste:
        faltando = sorted(c for c in self.campos_obrigatorios if not self.config.get(c))
        if not (self.config.get("numero") or self._servico()):
            faltando.append("numero")
        if faltando:
            return ResultadoTeste(False, f"configuração incompleta: {', '.join(faltando)}")
        sid = str(self.config["account_sid"])
        try:
            conta = self._cliente().api.v2010.accounts(sid).fetch()
        except ErroCanal as exc:
            return ResultadoTeste(False, detalhe_erro(exc), {"codigo": getattr(exc, "codigo", "")})
        dados = {
            "account_sid": str(conta.sid or sid),
            "nome": str(conta.friendly_name or ""),
            "status": str(conta.status or ""),
            "numero": self.identificador_da_config(self.config),
        }
        ok = dados["status"] == "active"
        return ResultadoTeste(ok, f"conta {dados['nome']} ({dados['status']})", dados)

    def registrar_webhook(self, url: str) -> None:
        """Point the number's "A message comes in" URL (``SmsUrl``) at ``url`` — or, for a
        Messaging Service, its ``InboundRequestUrl`` and ``StatusCallback``.

        A number not on the account is refused naming the numbers it has.  WhatsApp senders
        are configured in Twilio's console / Senders API, not here.
        """
        servico = self._servico()
        if not (servico or self.config.get("numero")):
            raise ErroDefinitivo(
                "configuração incompleta: informe numero ou messaging_service_sid",
                codigo="config",
            )
        if servico and not self.config.get("numero"):
            self._cliente().messaging.v1.services(servico).update(
                inbound_request_url=url, inbound_method="POST", status_callback=url
            )
            return
        if self._eh_whatsapp():
            raise OperacaoNaoSuportada(
                "remetentes WhatsApp do Twilio: configure a URL do webhook no console do Twilio"
            )
        numero = self._numero()
        cliente = self._cliente()
        encontrados = cliente.incoming_phone_numbers.list(phone_number=numero, limit=1)
        if not encontrados:
            conta = [str(n.phone_number) for n in cliente.incoming_phone_numbers.list(limit=20)]
            lista = ", ".join(conta) if conta else "nenhum"
            raise ErroDefinitivo(
                f"o número {numero} não está na conta {self.config.get('account_sid')} do "
                f"Twilio (números da conta: {lista}); corrija “numero” ou use "
                "“messaging_service_sid”",
                codigo="numero",
            )
        cliente.incoming_phone_numbers(encontrados[0].sid).update(sms_url=url, sms_method="POST")

    def desregistrar_webhook(self, url: str) -> None:
        """Clear what :meth:`registrar_webhook` set, only while it still points at ``url``
        (another system may have taken the number since)."""
        servico = self._servico()
        cliente = self._cliente()
        if servico and not self.config.get("numero"):
            contexto = cliente.messaging.v1.services(servico)
            atual = contexto.fetch()
            if str(atual.inbound_request_url or "") == url:
                contexto.update(inbound_request_url="", status_callback="")
            return
        if self._eh_whatsapp():
            raise OperacaoNaoSuportada("remetentes WhatsApp do Twilio: remova a URL no console")
        encontrados = cliente.incoming_phone_numbers.list(phone_number=self._numero(), limit=1)
        if encontrados and str(encontrados[0].sms_url or "") == url:
            cliente.incoming_phone_numbers(encontrados[0].sid).update(sms_url="")

    # -- HTTP ------------------------------------------------------------------------------
    def _base(self) -> str:
        return str(self.config.get("api_base_url") or API_BASE_PADRAO).rstrip("/")

    def _numero(self) -> str:
        numero = parse.normalizar_endereco(str(self.config.get("numero") or ""))
        if not numero:
            raise ErroDefinitivo("numero não configurado", codigo="config")
        return numero

    def _servico(self) -> str:
        return str(self.config.get("messaging_service_sid") or "").strip()

    def _remetente(self) -> dict[str, str]:
        """``From`` (our number) or, without one, the Messaging Service that picks it."""
        if self.config.get("numero"):
            return {"from_": self._numero()}
        if self._servico():
            return {"messaging_service_sid": self._servico()}
        raise ErroDefinitivo("informe numero ou messaging_service_sid", codigo="config")

    def _exigir_host_de_midia(self, url: str) -> None:
        """SSRF guard: media comes only from Twilio's media hosts or the configured API."""
        if not self._host_de_midia(url):
            raise ErroDefinitivo(
                f"mídia fora dos servidores do Twilio recusada: {url[:200]}", codigo="midia_host"
            )

    def _host_de_midia(self, url: str) -> bool:
        """The API origin; an https host listed in ``TWILIO_HOSTS_MIDIA`` (``host`` or
        ``.suffix``); or an origin listed there in full (``http://127.0.0.1:8080``, tests)."""
        try:
            alvo, base = httpx.URL(url), httpx.URL(self._base())
        except httpx.InvalidURL:
            return False
        origem = (alvo.scheme, alvo.host, alvo.port)
        if origem == (base.scheme, base.host, base.port):
            return True
        for permitido in settings.TWILIO_HOSTS_MIDIA:
            if "://" in permitido:
                try:
                    lista = httpx.URL(permitido)
                except httpx.InvalidURL:
                    continue
                if origem == (lista.scheme, lista.host, lista.port):
                    return True
            elif (
                alvo.scheme == "https"
                and alvo.host
                and (
                    alvo.host == permitido
                    or (permitido.startswith(".") and alvo.host.endswith(permitido))
                )
            ):
                return True
        return False

    def _eh_whatsapp(self) -> bool:
        return parse.separar(str(self.config.get("numero") or ""))[0] == parse.PREFIXO_WHATSAPP

    def _credenciais(self) -> tuple[str, str]:
        sid = str(self.config.get("account_sid") or "")
        token = str(self.config.get("auth_token") or "")
        if not (sid and token):
            raise ErroDefinitivo("account_sid/auth_token não configurados", codigo="config")
        return sid, token

    def _autorizacao(self) -> dict[str, str]:
        credencial = base64.b64encode(":".join(self._credenciais()).encode()).decode()
        return {"Authorization": f"Basic {credencial}"}

    def _host_da_api(self, url: str) -> bool:
        """Credentials go only to the configured API origin or to https Twilio hosts."""
        try:
            alvo, base = httpx.URL(url), httpx.URL(self._base())
        except httpx.InvalidURL:
            return False
        if (alvo.scheme, alvo.host, alvo.port) == (base.scheme, base.host, base.port):
            return True
        return alvo.scheme == "https" and (
            alvo.host == "twilio.com" or alvo.host.endswith(".twilio.com")
        )

    def _cliente(self) -> Client:
        sid, token = self._credenciais()
        cliente = Client(sid, token, http_client=_Transporte(self.timeout_segundos))
        cliente.edge = cliente.region = None  # never rewritten by TWILIO_EDGE/TWILIO_REGION
        cliente.api.base_url = self._base()
        cliente.messaging.base_url = self._base()
        return cliente


class _Transporte(HttpClient):
    """The SDK's documented extension point (``Client(http_client=…)``), over httpx.

    Failures never reach the SDK: transport problems and non-2xx answers are raised here as
    :class:`ErroTransitorio`/:class:`ErroDefinitivo` (with ``Retry-After`` and Twilio's code).
    """

    def __init__(self, timeout: float) -> None:
        super().__init__(logger, is_async=False, timeout=timeout)

    def request(
        self,
        method: str,
        uri: str,
        params: Mapping[str, object] | None = None,
        data: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> RespostaSdk:
        resp = _http.requisitar(
            method,
            uri,
            interpretar_erro=erro_twilio,
            timeout=timeout or self.timeout or None,
            headers=headers,
            params=params,
            data=data,
            auth=auth,
        )
        return RespostaSdk(resp.status_code, resp.text, resp.headers)


class _Redirecionamento(ErroCanal):
    def __init__(self, destino: str) -> None:
        super().__init__(destino)
        self.destino = destino


def _erro_ou_redirecionamento(resp: httpx.Response) -> ErroCanal:
    if resp.is_redirect and resp.headers.get("location"):
        return _Redirecionamento(urljoin(str(resp.url), resp.headers["location"]))
    return erro_twilio(resp)


def erro_twilio(resp: httpx.Response) -> ErroCanal:
    """``{"code", "message", "more_info", "status"}`` (or RFC 9457 ``title``/``detail``)."""
    corpo = _http.json_ou_vazio(resp)
    codigo = str(corpo.get("code") or resp.status_code)
    texto = str(
        corpo.get("message") or corpo.get("detail") or corpo.get("title") or resp.text[:200]
    ).strip() or parse.ERROS.get(codigo, "sem descrição")
    detalhe = f"{codigo}: {texto}"
    if codigo.isdigit() and int(codigo) in CODIGOS_TRANSITORIOS:
        return ErroTransitorio(detalhe, retry_after=_http.retry_after(resp), codigo=codigo)
    return _http.erro_por_status(resp, detalhe, codigo)


def variaveis_do_template(template: TemplateSaida) -> dict[str, str]:
    """Content API ``ContentVariables`` (``{"1": "Ana"}``) from the template's components:
    plain ``{"1": "Ana"}`` mappings, or WhatsApp-style ``{"type": "body", "parameters":
    [{"type": "text", "text": "Ana"}]}`` (numbered in order, or by ``parameter_name``)."""
    variaveis: dict[str, str] = {}
    posicao = 0
    for componente in template.componentes:
        if "parameters" not in componente and "type" not in componente:
            variaveis.update({str(k): str(v) for k, v in componente.items()})
            continue
        for parametro in componente.get("parameters") or []:
            if not isinstance(parametro, Mapping) or parametro.get("type") != "text":
                continue
            posicao += 1
            nome = str(parametro.get("parameter_name") or posicao)
            variaveis[nome] = str(parametro.get("text", ""))
    return variaveis
