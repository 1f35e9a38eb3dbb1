"""Website live chat: the desk's own channel (an embeddable widget; no third-party provider).

The visitor's browser is the "provider". It posts to the same webhook URL as every channel
(``/api/atendimento/webhooks/webchat/<empresa_id>/``) with two headers:

- ``X-Webchat-Chave``: the channel's public key (``chave_publica``, the routing key);
- ``X-Webchat-Visitante``: the visitor token, signed by the desk (:mod:`canais.webchat.tokens`)
  for that channel — the only proof of identity, so a visitor can only ever write as itself.

Bodies are JSON: ``{"id", "texto", "arquivo": {"nome", "mime", "base64"}}`` for a message
(``id`` is the browser's own uuid: a retried POST never makes a second message), or
``{"recebidas": [...]}`` / ``{"lidas": [...]}`` for delivery and read receipts of our messages.
Everything then follows the one pipeline: stored event → drain → orchestrator.

Outbound, "sending" is publishing to the visitor's websocket group (:mod:`canais.webchat`); the
visitor's browser acknowledges with a receipt, which moves the message to ``entregue`` and
``lida``. A visitor who is away finds the answer in the conversation's history when back.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from django.utils.translation import gettext_lazy as _

from canais.adapters.base import (
    MIMES_ARQUIVOS,
    AdaptadorCanal,
    AssinaturaInvalida,
    Conversa,
    Entrada,
    Identidade,
    MensagemEntrada,
    MensagemSaida,
    MidiaBaixada,
    MidiaRef,
    MidiaSaida,
    OperacaoNaoSuportada,
    PayloadInvalido,
    Remetente,
    RequisicaoRecusada,
    RequisicaoWebhook,
    ResultadoEnvio,
    ResultadoTeste,
    StatusEntrada,
    StatusEntrega,
    TipoIdentidade,
    TipoMensagem,
)

MB = 1024 * 1024
CABECALHO_CHAVE = "x-webchat-chave"
CABECALHO_VISITANTE = "x-webchat-visitante"
#: the verified visitor, stored with the event instead of their token
CABECALHO_VERIFICADO = "x-conectcrm-visitante"
LIMITE_TEXTO = 5000
PREFIXO_ID = "wc-"

_TIPO_POR_MIME = {
    "image": TipoMensagem.IMAGEM,
    "audio": TipoMensagem.AUDIO,
    "video": TipoMensagem.VIDEO,
}


def tipo_da_midia(mime: str) -> TipoMensagem:
    return _TIPO_POR_MIME.get(mime.split("/")[0], TipoMensagem.DOCUMENTO)


class AdaptadorWebchat(AdaptadorCanal):
    tipo = "webchat"
    campos_segredo = frozenset()
    campos_obrigatorios = frozenset({"chave_publica"})
    limite_midia_bytes: ClassVar = {
        TipoMensagem.IMAGEM: 10 * MB,
        TipoMensagem.AUDIO: 10 * MB,
        TipoMensagem.VIDEO: 10 * MB,
        TipoMensagem.DOCUMENTO: 10 * MB,
    }
    mimes_aceitos = MIMES_ARQUIVOS - {"text/html", "application/octet-stream"}
    limite_corpo_bytes = 15 * MB  # a 10 MB file, base64-encoded, in a JSON body
    midia_no_webhook = True
    rotulo = _("Chat do site")
    chaves_config = frozenset(
        {"chave_publica", "origens_permitidas", "titulo", "saudacao", "cor", "pedir_nome",
         "pedir_email"}
    )  # fmt: skip
    identidades_conversa = (TipoIdentidade.WEBCHAT,)
    identidades_destino = (TipoIdentidade.WEBCHAT,)
    identidades_proprias = {TipoIdentidade.WEBCHAT: _("Visitante do chat do site")}

    @classmethod
    def config_gerada(cls) -> dict[str, str]:
        # the public key in the widget's <script> tag: routes its requests
        return {"chave_publica": "wc_" + secrets.token_urlsafe(18)}

    @classmethod
    def contexto_saida(cls, mensagem: Any) -> dict[str, Any]:
        """The visitor fetches a file from the desk itself: a signed, expiring link to this
        message's file, valid only for the visitor of the conversation."""
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

    # -- routing ------------------------------------------------------------------------------
    @classmethod
    def identificador_da_config(cls, config: Any) -> str:
        return str(config.get("chave_publica") or "")

    @classmethod
    def identificador_da_requisicao(cls, req: RequisicaoWebhook) -> str | None:
        return req.cabecalho(CABECALHO_CHAVE) or None

    # -- inbound ------------------------------------------------------------------------------
    def verificar(self, req: RequisicaoWebhook) -> None:
        from canais.webchat import limites, tokens

        visitante = tokens.visitante_do_token(
            self.config.get("chave_publica", ""), req.cabecalho(CABECALHO_VISITANTE)
        )
        if visitante is None:
            raise AssinaturaInvalida("token do visitante inválido ou expirado")
        if not limites.permitir_envio(self.config["chave_publica"], visitante.id):
            raise RequisicaoRecusada("mensagens demais; aguarde um pouco", status=429)

    def cabecalhos_verificados(self, req: RequisicaoWebhook) -> dict[str, str]:
        from canais.webchat import tokens

        visitante = tokens.visitante_do_token(
            self.config.get("chave_publica", ""), req.cabecalho(CABECALHO_VISITANTE)
        )
        if visitante is None:  # pragma: no cover - verificar refused it already
            return {}
        return {
            CABECALHO_VERIFICADO: json.dumps(
                {"v": visitante.id, "n": visitante.nome, "e": visitante.email}
            )
        }

    def id_evento(self, req: RequisicaoWebhook) -> str | None:
        try:
            corpo = json.loads(req.corpo)
        except ValueError:
            return None
        if isinstance(corpo, dict) and corpo.get("id"):
            return f"{PREFIXO_ID}{str(corpo['id'])[:64]}"
        return None

    def interpretar(self, req: RequisicaoWebhook) -> list[Entrada]:
        from canais.webchat.tokens import Visitante

        try:
            dados = json.loads(req.cabecalho(CABECALHO_VERIFICADO) or "")
            visitante = Visitante(
                id=str(dados["v"]), nome=dados.get("n", ""), email=dados.get("e", "")
            )
        except (ValueError, KeyError, TypeError):
            raise PayloadInvalido("evento sem o visitante verificado") from None
        corpo = _json(req.corpo)
        agora = datetime.now(tz=UTC)
        eventos: list[Entrada] = []
        for campo, status in (("recebidas", StatusEntrega.ENTREGUE), ("lidas", StatusEntrega.LIDA)):
            for id_externo in _lista(corpo.get(campo)):
                eventos.append(
                    StatusEntrada(
                        id_externo=id_externo,
                        status=status,
                        data=agora,
                        conversa_id_externo=visitante.id,
                    )
                )
        if eventos:
            return eventos
        return [self._mensagem(corpo, visitante, agora)]

    def _mensagem(self, corpo: dict, visitante, agora: datetime) -> MensagemEntrada:
        id_cliente = str(corpo.get("id") or "").strip()
        try:
            uuid.UUID(id_cliente)
        except ValueError:
            raise PayloadInvalido("id da mensagem deve ser um uuid") from None
        texto = str(corpo.get("texto") or "").strip()[:LIMITE_TEXTO]
        arquivo = corpo.get("arquivo")
        midias: tuple[MidiaRef, ...] = ()
        tipo = TipoMensagem.TEXTO
        if isinstance(arquivo, dict) and arquivo.get("base64"):
            mime = str(arquivo.get("mime") or "application/octet-stream")[:150]
            nome = str(arquivo.get("nome") or "arquivo")[:255]
            tamanho = len(str(arquivo["base64"])) * 3 // 4
            midias = (MidiaRef(ref="arquivo", mime=mime, nome=nome, tamanho=tamanho),)
            tipo = tipo_da_midia(mime)
        elif not texto:
            raise PayloadInvalido("mensagem vazia")
        # The pre-chat e-mail is not verified: it is shown to the agent, never used to match
        # the visitor to an existing contact (anyone could type someone else's address).
        dados = {"email_informado": visitante.email} if visitante.email else {}
        if corpo.get("pagina"):
            dados["pagina"] = str(corpo["pagina"])[:500]
        return MensagemEntrada(
            id_externo=f"{PREFIXO_ID}{id_cliente}",
            conversa=Conversa(visitante.id),
            remetente=Remetente(
                identidades=(Identidade(TipoIdentidade.WEBCHAT, visitante.id),),
                nome=visitante.nome or "Visitante do site",
            ),
            tipo=tipo,
            data=agora,
            conteudo=texto,
            midias=midias,
            dados=dados,
        )

    def extrair_midia(self, req: RequisicaoWebhook, midia: MidiaRef) -> MidiaBaixada:
        arquivo = _json(req.corpo).get("arquivo") or {}
        try:
            conteudo = base64.b64decode(str(arquivo.get("base64", "")), validate=True)
        except (binascii.Error, ValueError):
            raise PayloadInvalido("arquivo em base64 inválido") from None
        return MidiaBaixada(conteudo=conteudo, mime=midia.mime, nome=midia.nome)

    # -- outbound -----------------------------------------------------------------------------
    def enviar(self, mensagem: MensagemSaida) -> ResultadoEnvio:
        from canais.webchat import ao_vivo

        id_externo = f"{PREFIXO_ID}out-{uuid.uuid4().hex}"
        midia = None
        if mensagem.midia is not None:
            midia = {
                "nome": mensagem.midia.nome,
                "mime": mensagem.midia.mime,
                "url": mensagem.midia.url,
            }
        ao_vivo.enviar_ao_visitante(
            self.config["chave_publica"],
            mensagem.destino,
            "mensagem",
            {
                "id": id_externo,
                "texto": mensagem.texto,
                "midia": midia,
                "responde_a": mensagem.responder_a,
                "criado_em": datetime.now(tz=UTC).isoformat(),
            },
        )
        return ResultadoEnvio(id_externo=id_externo, status=StatusEntrega.ENVIADA)

    def digitando(self, *, destino: str, id_externo: str = "") -> None:
        from canais.webchat import ao_vivo

        ao_vivo.enviar_ao_visitante(self.config["chave_publica"], destino, "digitando", {})

    def marcar_lida(self, *, destino: str, id_externo: str) -> None:
        from canais.webchat import ao_vivo

        ao_vivo.enviar_ao_visitante(
            self.config["chave_publica"], destino, "lida", {"id": id_externo}
        )

    def testar_conexao(self) -> ResultadoTeste:
        return ResultadoTeste(True, "O chat do site não depende de um provedor externo.")

    def registrar_webhook(self, url: str) -> None:
        raise OperacaoNaoSuportada("o widget chama o atendimento diretamente")


def _json(corpo: bytes) -> dict:
    try:
        dados = json.loads(corpo)
    except ValueError:
        raise PayloadInvalido("JSON inválido") from None
    if not isinstance(dados, dict):
        raise PayloadInvalido("o corpo deve ser um objeto JSON")
    return dados


def _lista(valor: Any) -> list[str]:
    if not isinstance(valor, list):
        return []
    return [str(v)[:255] for v in valor[:100] if isinstance(v, str) and v.startswith(PREFIXO_ID)]
