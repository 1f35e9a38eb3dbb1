"""E-mail channel: SendGrid Inbound Parse in, SMTP or SendGrid v3 out, SendGrid events.

One webhook URL receives two kinds of POST, told apart by content type:

* ``multipart/form-data`` — SendGrid Inbound Parse (default fields or "send raw", the latter
  recommended), protected by HTTP Basic credentials (``inbound_usuario``/``inbound_senha``,
  put in the URL configured at SendGrid: ``https://user:pass@host/…``);
* ``application/json`` — the SendGrid Event Webhook (array of events), signed with ECDSA
  (``sendgrid_webhook_public_key``).

* ``text/plain`` with ``x-amz-sns-message-type`` — Amazon SES notifications through an SNS
  HTTP(S) subscription to ``…/webhooks/email/<empresa_id>/?canal=<endereco>``, accepted for
  the topics in ``sns_topic_arn`` with a valid SNS signature (:mod:`.sns`).  Outbound
  through SES uses its SMTP interface (``smtp_url``); SES's message id (from the SMTP reply)
  is kept so its notifications find the message.

Routing: the channel is its ``endereco`` (lower case).  An inbound mail may name several
recipients: :meth:`AdaptadorEmail.identificadores_da_requisicao` lists them all (envelope first,
each sub-address ``suporte+x@`` followed by its base ``suporte@``); the webhook takes the first
that is a channel.  ``suporte+<ticket id hex>@`` is our per-ticket reply address
(``MensagemEntrada.ticket_ref``).  Events name their channel
through the ``conectcrm_canal`` custom argument of our SendGrid sends, or the ``canal`` query
parameter of the Event Webhook URL.

Mail no person wrote (auto-replies, bulk and list mail, system senders: see
:func:`.parse.motivo_automatico`) raises :class:`EventoDescartado` with the reason, so it
never reaches a ticket; a bounce of one of our mails (RFC 3464 ``Action: failed``) becomes the
``erro`` status of that mail instead.

Attachments arrive inside the inbound POST itself, so there is nothing to download later:
``MidiaRef.ref`` is ``"anexo:N"`` and :meth:`AdaptadorEmail.extrair_anexo` returns the bytes from
the stored request (the ``EventoWebhook`` whose id is the e-mail's Message-ID).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
import smtplib
import ssl
from typing import Any, ClassVar

from django.utils.translation import gettext_lazy as _

from canais.adapters import _http
from canais.adapters.base import (
    MIMES_ARQUIVOS,
    AdaptadorCanal,
    AssinaturaInvalida,
    Entrada,
    ErroCanal,
    ErroDefinitivo,
    EventoDescartado,
    MensagemSaida,
    MidiaBaixada,
    MidiaRef,
    OperacaoNaoSuportada,
    PayloadInvalido,
    RequisicaoRecusada,
    RequisicaoWebhook,
    ResultadoEnvio,
    ResultadoTeste,
    StatusEntrada,
    StatusEntrega,
    TipoIdentidade,
    TipoMensagem,
    detalhe_erro,
)
from canais.adapters.email import envio as envio_util
from canais.adapters.email import parse, sendgrid, sns

logger = logging.getLogger(__name__)

API_BASE_PADRAO = "https://api.sendgrid.com"
MB = 1024 * 1024
FORMULARIO = "multipart/form-data"
JSON = "application/json"


class AdaptadorEmail(AdaptadorCanal):
    tipo: ClassVar[str] = "email"
    campos_segredo = frozenset({"smtp_url", "inbound_senha", "sendgrid_api_key"})
    #: receiving needs these; sending needs smtp_url or sendgrid_api_key (see testar_conexao)
    campos_obrigatorios = frozenset({"endereco", "inbound_usuario", "inbound_senha"})
    #: one attachment per message; base64 grows it by a third and SendGrid takes 30 MB in all
    limite_midia_bytes = {
        TipoMensagem.IMAGEM: 20 * MB,
        TipoMensagem.AUDIO: 20 * MB,
        TipoMensagem.VIDEO: 20 * MB,
        TipoMensagem.DOCUMENTO: 20 * MB,
    }
    mimes_aceitos = MIMES_ARQUIVOS | {"image/bmp", "image/tiff", "image/svg+xml", "message/rfc822"}
    #: SendGrid Inbound Parse accepts messages up to 30 MB
    limite_download_bytes: ClassVar[int] = 30 * MB
    taxa_lote_por_segundo = 5.0
    rotulo = _("E-mail")
    chaves_config = frozenset(
        {
            "endereco", "nome_remetente", "smtp_url", "inbound_usuario", "inbound_senha",
            "sendgrid_api_key", "sendgrid_webhook_public_key", "api_base_url", "sns_topic_arn",
        }
    )  # fmt: skip
    identidades_conversa = (TipoIdentidade.EMAIL,)
    identidades_destino = (TipoIdentidade.EMAIL,)
    campo_contato_destino = "email"
    # SendGrid Inbound Parse posts messages of up to 30 MB (attachments included); in "raw"
    # mode the whole MIME message, base64 attachments and all (4/3), plus the form fields
    limite_corpo_bytes: ClassVar[int | None] = 42 * MB
    midia_no_webhook: ClassVar[bool] = True
    #: TLS context for SMTP (None: the system's default verification)
    contexto_tls: ssl.SSLContext | None = None

    # -- channel facts (the services that need the database live in atendimento.services) ---
    @classmethod
    def config_de_envio(cls, canal: Any, config: dict[str, Any]) -> dict[str, Any]:
        """A channel with neither ``smtp_url`` nor ``sendgrid_api_key`` sends through the
        empresa's SMTP / SendGrid integration, else the server's ``EMAIL_URL``."""
        if config.get("smtp_url") or config.get("sendgrid_api_key"):
            return config
        from atendimento.services.email_saida import email_transporte_padrao

        return {**config, **email_transporte_padrao(canal)}

    @classmethod
    def contexto_saida(cls, mensagem: Any) -> dict[str, Any]:
        from atendimento.services.email_saida import email_contexto_saida

        return email_contexto_saida(mensagem)

    @classmethod
    def filtros_entrada(cls) -> tuple[Any, ...]:
        from atendimento.services.email_entrada import email_filtro_laco

        return (email_filtro_laco,)

    # -- routing ---------------------------------------------------------------------------
    @classmethod
    def identificador_da_config(cls, config: Any) -> str:
        return str(config.get("endereco") or "").strip().lower()

    @classmethod
    def identificador_da_requisicao(cls, req: RequisicaoWebhook) -> str | None:
        candidatos = cls.identificadores_da_requisicao(req)
        return candidatos[0] if candidatos else None

    @classmethod
    def identificadores_da_requisicao(cls, req: RequisicaoWebhook) -> list[str]:
        """Every address the request may belong to, most likely first."""
        tipo = _http.mime_base(req.cabecalho("content-type"))
        consulta = str(req.query.get("canal") or "").strip().lower()
        try:
            if req.cabecalho(sns.CABECALHO_TIPO):
                candidatos = [consulta, sns.remetente(sns.carregar(req.corpo))]
                return [c for c in dict.fromkeys(candidatos) if c]
            if tipo == FORMULARIO:
                return parse.destinatarios(
                    parse.formulario(req.corpo, req.cabecalho("content-type"))
                )
            if tipo == JSON:
                candidatos = [*sendgrid.canais(sendgrid.carregar(req.corpo)), consulta]
                return [c for c in dict.fromkeys(candidatos) if c]
        except PayloadInvalido:
            return []
        return []

    # -- inbound ---------------------------------------------------------------------------
    def verificar(self, req: RequisicaoWebhook) -> None:
        if req.cabecalho(sns.CABECALHO_TIPO):
            try:
                mensagem = sns.carregar(req.corpo)
            except PayloadInvalido as exc:
                raise RequisicaoRecusada(str(exc), status=400) from exc
            sns.verificar(mensagem, sns.topicos(self.config.get("sns_topic_arn")))
            return
        tipo = _http.mime_base(req.cabecalho("content-type"))
        if tipo == FORMULARIO:
            self._verificar_basic(req.cabecalho("authorization"))
        elif tipo == JSON:
            sendgrid.verificar_assinatura(
                str(self.config.get("sendgrid_webhook_public_key") or ""), req.cabecalho, req.corpo
            )
        else:
            raise RequisicaoRecusada(f"tipo de conteúdo não suportado: {tipo or '?'}", status=415)

    def _verificar_basic(self, cabecalho: str) -> None:
        usuario = str(self.config.get("inbound_usuario") or "")
        senha = str(self.config.get("inbound_senha") or "")
        if not (usuario and senha):
            raise AssinaturaInvalida("inbound_usuario/inbound_senha não configurados")
        esquema, _, credencial = cabecalho.strip().partition(" ")
        if esquema.lower() != "basic" or not credencial.strip():
            raise AssinaturaInvalida("credenciais Basic ausentes")
        try:
            recebido = base64.b64decode(credencial.strip(), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise AssinaturaInvalida("credenciais Basic malformadas") from exc
        recebido_usuario, _, recebida_senha = recebido.partition(b":")
        # both compared, always: no early exit telling which one was wrong
        usuario_ok = hmac.compare_digest(recebido_usuario, usuario.encode())
        senha_ok = hmac.compare_digest(recebida_senha, senha.encode())
        if not (usuario_ok and senha_ok):
            raise AssinaturaInvalida("credenciais Basic não conferem")

    def id_evento(self, req: RequisicaoWebhook) -> str | None:
        """The e-mail's Message-ID; SNS's MessageId (its retries keep it); an event batch has
        no id of its own."""
        if req.cabecalho(sns.CABECALHO_TIPO):
            try:
                return f"sns:{sns.carregar(req.corpo).get('MessageId') or ''}"
            except PayloadInvalido:
                return None
        if _http.mime_base(req.cabecalho("content-type")) != FORMULARIO:
            return None
        try:
            return parse.id_da_mensagem(self._correio(req))
        except PayloadInvalido:
            return None

    def interpretar(self, req: RequisicaoWebhook) -> list[Entrada]:
        if req.cabecalho(sns.CABECALHO_TIPO):
            return self._interpretar_sns(sns.carregar(req.corpo))
        tipo = _http.mime_base(req.cabecalho("content-type"))
        if tipo == JSON:
            return list(
                sendgrid.interpretar(
                    sendgrid.carregar(req.corpo), endereco=self.identificador_da_config(self.config)
                )
            )
        if tipo != FORMULARIO:
            raise PayloadInvalido(f"tipo de conteúdo não suportado: {tipo or '?'}")
        form = parse.formulario(req.corpo, req.cabecalho("content-type"))
        correio = parse.ler(form)
        evento = parse.mensagem(
            correio,
            campo_from=parse.texto_do_campo(form, "from"),
            endereco_canal=self.identificador_da_config(self.config),
            destinos=parse.destinatarios(form),
        )
        motivo = parse.motivo_automatico(
            correio.cabecalhos, evento.remetente.email, parse.remetente_do_envelope(form)
        )
        endereco = self.identificador_da_config(self.config)
        if not motivo and parse.sem_subendereco(evento.remetente.email) == endereco:
            motivo = "enviado pelo próprio endereço do canal (nossa mensagem de volta)"
        if motivo:
            falha = parse.devolucao(correio)
            if falha is not None:  # a bounce of one of our mails: that mail failed
                return [
                    StatusEntrada(
                        id_externo=falha.id_original,
                        status=StatusEntrega.ERRO,
                        data=evento.data,
                        erro_codigo=falha.codigo,
                        erro_detalhe=f"devolvido por {falha.destinatario}: {falha.detalhe}",
                        conversa_id_externo=falha.destinatario,
                    )
                ]
            raise EventoDescartado(f"{motivo}; de {evento.remetente.email}, {evento.id_externo}")
        return [evento]

    def _interpretar_sns(self, mensagem: dict) -> list[Entrada]:
        """A subscription is confirmed here (a GET on SNS: processing, not the webhook's
        answer, talks to the provider); a notification becomes the status of our message."""
        if mensagem["Type"] == "SubscriptionConfirmation":
            sns.confirmar_inscricao(mensagem)
            logger.info("inscrição SNS confirmada: %s", mensagem.get("TopicArn"))
            return []
        if mensagem["Type"] == "UnsubscribeConfirmation":
            logger.warning("inscrição SNS cancelada: %s", mensagem.get("TopicArn"))
            return []
        return list(sns.interpretar(mensagem))

    def _correio(self, req: RequisicaoWebhook) -> parse.Correio:
        return parse.ler(parse.formulario(req.corpo, req.cabecalho("content-type")))

    def extrair_anexo(self, req: RequisicaoWebhook, midia: MidiaRef) -> MidiaBaixada:
        """The bytes of attachment ``midia.ref`` ("anexo:N") from the stored inbound request."""
        anexo = parse.anexo(self._correio(req), midia.ref)
        if midia.sha256 and midia.sha256 != anexo.sha256:
            raise ErroDefinitivo(f"o anexo {midia.ref} não confere (sha256)", codigo="anexo")
        return MidiaBaixada(conteudo=anexo.conteudo, mime=anexo.mime, nome=anexo.nome)

    def extrair_midia(self, req: RequisicaoWebhook, midia: MidiaRef) -> MidiaBaixada:
        return self.extrair_anexo(req, midia)

    def baixar_midia(self, midia: MidiaRef) -> MidiaBaixada:
        raise OperacaoNaoSuportada(
            "anexos de e-mail chegam no próprio webhook: use extrair_midia(requisição "
            "armazenada, mídia) com o EventoWebhook da mensagem"
        )

    # -- outbound --------------------------------------------------------------------------
    def enviar(self, mensagem: MensagemSaida) -> ResultadoEnvio:
        endereco = self.identificador_da_config(self.config)
        if "@" not in endereco:
            raise ErroDefinitivo("endereco não configurado", codigo="config")
        envio = envio_util.preparar(
            mensagem, endereco=endereco, nome_remetente=str(self.config.get("nome_remetente") or "")
        )
        if self.config.get("smtp_url"):
            cfg = envio_util.config_smtp(str(self.config["smtp_url"]))
            resposta = envio_util.enviar_smtp(
                cfg, envio_util.montar(envio), envio, timeout=self.timeout_segundos,
                contexto=self._contexto(),
            )  # fmt: skip
            return ResultadoEnvio(
                id_externo=envio.message_id, id_provedor=envio_util.id_do_ses(resposta)
            )
        elif self.config.get("sendgrid_api_key"):
            self._sendgrid(
                "POST", "/v3/mail/send", json=envio_util.corpo_sendgrid(envio, canal=endereco)
            )
        else:
            raise ErroDefinitivo("configure smtp_url ou sendgrid_api_key", codigo="config")
        return ResultadoEnvio(id_externo=envio.message_id)

    def marcar_lida(self, *, destino: str, id_externo: str) -> None:
        raise OperacaoNaoSuportada("e-mail não tem confirmação de leitura")

    def digitando(self, *, destino: str, id_externo: str = "") -> None:
        raise OperacaoNaoSuportada("e-mail não tem indicador de digitação")

    def testar_conexao(self) -> ResultadoTeste:
        try:
            if self.config.get("smtp_url"):
                return self._testar_smtp()
            if self.config.get("sendgrid_api_key"):
                return self._testar_sendgrid()
        except ErroCanal as exc:
            return ResultadoTeste(False, detalhe_erro(exc), {"codigo": getattr(exc, "codigo", "")})
        return ResultadoTeste(False, "configuração incompleta: smtp_url ou sendgrid_api_key")

    def _testar_smtp(self) -> ResultadoTeste:
        cfg = envio_util.config_smtp(str(self.config["smtp_url"]))
        try:
            sessao = envio_util.conectar(
                cfg, timeout=self.timeout_segundos, contexto=self._contexto()
            )
            envio_util.fechar(sessao)
        except (OSError, smtplib.SMTPException) as exc:
            raise envio_util.erro_smtp(exc, cfg) from exc
        dados = {
            "host": cfg.host,
            "porta": cfg.porta,
            "modo": cfg.modo,
            "autenticado": bool(cfg.usuario),
        }
        return ResultadoTeste(True, f"SMTP {cfg.host}:{cfg.porta} ok", dados)

    def _testar_sendgrid(self) -> ResultadoTeste:
        escopos = _http.json_ou_vazio(self._sendgrid("GET", "/v3/scopes")).get("scopes") or []
        dados = {"escopos": len(escopos), "mail_send": "mail.send" in escopos}
        if not dados["mail_send"]:
            return ResultadoTeste(False, "a chave do SendGrid não tem a permissão mail.send", dados)
        return ResultadoTeste(True, "SendGrid ok (mail.send)", dados)

    # -- helpers ---------------------------------------------------------------------------
    def _contexto(self) -> ssl.SSLContext:
        return self.contexto_tls or ssl.create_default_context()

    def _sendgrid(self, metodo: str, caminho: str, **kwargs: Any) -> Any:
        base = str(self.config.get("api_base_url") or API_BASE_PADRAO).rstrip("/")
        return _http.requisitar(
            metodo,
            base + caminho,
            interpretar_erro=erro_sendgrid,
            timeout=self.timeout_segundos,
            headers={"Authorization": f"Bearer {self.config.get('sendgrid_api_key')}"},
            **kwargs,
        )


def erro_sendgrid(resp: Any) -> ErroCanal:
    """``{"errors": [{"message", "field", "help"}]}`` → adapter error (429/5xx transient)."""
    corpo = _http.json_ou_vazio(resp)
    erros = [e for e in corpo.get("errors") or [] if isinstance(e, dict)]
    partes = [
        f"{e.get('field')}: {e.get('message')}" if e.get("field") else str(e.get("message") or "")
        for e in erros
    ]
    texto = "; ".join(p for p in partes if p) or resp.text[:200] or "sem descrição"
    return _http.erro_por_status(resp, f"{resp.status_code}: {texto}")
