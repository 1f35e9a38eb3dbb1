"""Channel management: create, update, activate, deactivate, test.  Used by the API and the
admin actions alike.

``config`` as given by the admin is split into the public keys (``Canal.config``) and the secret
ones (``Canal.segredos``, Fernet-encrypted at rest, never returned: :func:`config_mascarada`).
Which keys are secret and which are required come from the adapter class
(``campos_segredo`` / ``campos_obrigatorios``); the routing ``identificador`` too
(``identificador_da_config``).  A ``tipo`` without an adapter is refused with a clear 422.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from atendimento.exceptions import Conflito, NaoEncontrado, RegraNegocio, ServicoIndisponivel
from atendimento.models import Canal, Empresa, Fila, IntegracaoConfig
from canais.adapters.base import (
    AdaptadorCanal,
    ErroCanal,
    ErroTransitorio,
    OperacaoNaoSuportada,
    ResultadoTeste,
)
from canais.registry import TipoCanalDesconhecido, classe_adaptador

MASCARA = "••••"
_INALTERADO: Any = object()

#: every config key of CONTRACT §4 per tipo (public and secret)
CHAVES_POR_TIPO: dict[str, frozenset[str]] = {
    Canal.Tipo.WHATSAPP: frozenset(
        {
            "phone_number_id", "waba_id", "access_token", "app_secret", "verify_token",
            "api_version", "api_base_url", "mensagens_por_segundo",
        }
    ),
    Canal.Tipo.TELEGRAM: frozenset({"bot_token", "webhook_secret", "api_base_url"}),
    Canal.Tipo.TWILIO: frozenset(
        {
            "account_sid", "auth_token", "numero", "messaging_service_sid", "api_base_url",
            "status_callback_url", "mensagens_por_segundo",
        }
    ),
    Canal.Tipo.EMAIL: frozenset(
        {
            "endereco", "nome_remetente", "smtp_url", "inbound_usuario", "inbound_senha",
            "sendgrid_api_key", "sendgrid_webhook_public_key", "api_base_url", "sns_topic_arn",
        }
    ),
    Canal.Tipo.WEBCHAT: frozenset(
        {"chave_publica", "origens_permitidas", "titulo", "saudacao", "cor", "pedir_nome",
         "pedir_email"}
    ),
}  # fmt: skip
#: secrets we generate when absent (nobody needs to type them: we register them ourselves)
SEGREDOS_GERADOS: dict[str, dict[str, Callable[[], str]]] = {
    Canal.Tipo.TELEGRAM: {"webhook_secret": lambda: secrets.token_urlsafe(32)},
    # the website chat's public key: in the widget's <script> tag, routes its requests
    Canal.Tipo.WEBCHAT: {"chave_publica": lambda: "wc_" + secrets.token_urlsafe(18)},
}
#: public keys filled on activation from the webhook URL when absent (Twilio sends delivery
#: statuses only to a per-message StatusCallback: our webhook URL)
CONFIG_AO_ATIVAR: dict[str, Callable[[str], dict[str, str]]] = {
    Canal.Tipo.TWILIO: lambda url: {"status_callback_url": url},
}


# ------------------------------------------------------------------------------- defaults
def _smtp_do_ambiente() -> str:
    """``EMAIL_URL`` as an ``smtp_url`` (django-environ's reading of it: host, port, user,
    password, TLS/SSL), or "" when it is not an SMTP server (the console default)."""
    config = getattr(settings, "EMAIL_CONFIG", {}) or {}
    if "smtp" not in str(config.get("EMAIL_BACKEND", "")) or not config.get("EMAIL_HOST"):
        return ""
    esquema = (
        "smtps"
        if config.get("EMAIL_USE_SSL")
        else ("smtp+tls" if config.get("EMAIL_USE_TLS") else "smtp")
    )
    usuario = quote(str(config.get("EMAIL_HOST_USER") or ""), safe="")
    senha = quote(str(config.get("EMAIL_HOST_PASSWORD") or ""), safe="")
    credenciais = f"{usuario}:{senha}@" if usuario else ""
    porta = f":{config['EMAIL_PORT']}" if config.get("EMAIL_PORT") else ""
    return f"{esquema}://{credenciais}{config['EMAIL_HOST']}{porta}"


def _envio_email_padrao(canal: Canal) -> dict[str, Any]:
    """A channel with neither ``smtp_url`` nor ``sendgrid_api_key`` sends through the empresa's
    active SMTP (``smtp_url``) or SendGrid (``api_key``) integration, else ``EMAIL_URL``."""
    integracoes = {
        i.tipo: {**(i.configuracao or {}), **(i.segredos or {})}
        for i in IntegracaoConfig.objects.filter(
            empresa_id=canal.empresa_id,
            ativo=True,
            tipo__in=[IntegracaoConfig.Tipo.SMTP, IntegracaoConfig.Tipo.SENDGRID],
        )
    }
    smtp = integracoes.get(IntegracaoConfig.Tipo.SMTP, {})
    if smtp.get("smtp_url"):
        return {"smtp_url": str(smtp["smtp_url"])}
    sendgrid = integracoes.get(IntegracaoConfig.Tipo.SENDGRID, {})
    if sendgrid.get("api_key"):
        extra = {"api_base_url": sendgrid["api_base_url"]} if sendgrid.get("api_base_url") else {}
        return {"sendgrid_api_key": str(sendgrid["api_key"]), **extra}
    ambiente = _smtp_do_ambiente()
    return {"smtp_url": ambiente} if ambiente else {}


#: tipo -> (channel config is missing its own transport?, the default transport's keys)
ENVIO_PADRAO: dict[str, tuple[Callable[[dict], bool], Callable[[Canal], dict[str, Any]]]] = {
    Canal.Tipo.EMAIL: (
        lambda config: not (config.get("smtp_url") or config.get("sendgrid_api_key")),
        _envio_email_padrao,
    ),
}


def config_de_envio(canal: Canal) -> dict[str, Any]:
    """The channel's config for sending: its own, completed with the empresa's / the
    environment's default transport where the channel has none (e-mail)."""
    config = canal.config_completa
    padrao = ENVIO_PADRAO.get(canal.tipo)
    if padrao is not None and padrao[0](config):
        config = {**config, **padrao[1](canal)}
    return config


# ------------------------------------------------------------------------------- helpers
def _tipo_valido(tipo: str) -> str:
    if tipo not in Canal.Tipo.values:
        opcoes = ", ".join(Canal.Tipo.values)
        raise RegraNegocio(
            _("Tipo de canal desconhecido: “%(tipo)s”. Use um destes: %(opcoes)s.")
            % {"tipo": tipo, "opcoes": opcoes}
        )
    return tipo


def _classe(tipo: str) -> type[AdaptadorCanal]:
    try:
        return classe_adaptador(tipo)
    except TipoCanalDesconhecido:
        raise RegraNegocio(
            _("O canal %(tipo)s ainda não está disponível.") % {"tipo": tipo}
        ) from None


def _validar_config(tipo: str, config: Any) -> dict[str, Any]:
    if not isinstance(config, Mapping):
        raise RegraNegocio(_("A configuração do canal deve ser um objeto JSON."), config=["objeto"])
    desconhecidas = sorted(set(config) - CHAVES_POR_TIPO[tipo])
    if desconhecidas:
        aceitas = ", ".join(sorted(CHAVES_POR_TIPO[tipo]))
        raise RegraNegocio(
            _("Chaves desconhecidas para %(tipo)s: %(valor)s. Aceitas: %(aceitas)s.")
            % {"tipo": tipo, "valor": ", ".join(desconhecidas), "aceitas": aceitas},
            config=desconhecidas,
        )
    limpo: dict[str, Any] = {}
    for chave, valor in config.items():
        if valor is not None and not isinstance(valor, str | int | float | bool):
            raise RegraNegocio(
                _("O valor de “%(chave)s” deve ser texto.") % {"chave": chave}, config=[chave]
            )
        limpo[chave] = valor.strip() if isinstance(valor, str) else valor
    url = limpo.get("api_base_url")
    if url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            raise RegraNegocio(
                _("api_base_url deve ser uma URL http(s)."), config=["api_base_url"]
            ) from None
        limpo["api_base_url"] = str(url).rstrip("/")
    return limpo


def _fila_da_empresa(empresa_id, fila: Fila | Any | None) -> Fila | None:
    if fila is None:
        return None
    try:
        return Fila.objects.get(pk=getattr(fila, "pk", fila), empresa_id=empresa_id)
    except (Fila.DoesNotExist, ValueError, TypeError, ValidationError):
        raise NaoEncontrado(_("Fila não encontrada.")) from None


def _mascarar(valor: Any) -> str:
    texto = str(valor)
    return MASCARA + texto[-4:] if len(texto) >= 8 else MASCARA


def _salvar(canal: Canal, campos: list[str] | None = None) -> None:
    try:
        with transaction.atomic():
            if campos is None:
                canal.save(force_insert=True)
            else:
                canal.save(update_fields=campos)
    except IntegrityError:
        raise Conflito(
            _(
                "Já existe um canal %(canal_tipo)s desta empresa com o mesmo identificador "
                "(%(canal_identificador)s)."
            )
            % {"canal_tipo": canal.tipo, "canal_identificador": canal.identificador}
        ) from None


# ------------------------------------------------------------------------------- services
@transaction.atomic
def canal_criar(
    *,
    empresa: Empresa,
    tipo: str,
    nome: str,
    config: dict,
    fila_padrao: Fila | None = None,
) -> Canal:
    """A new, inactive channel.  Unknown keys or tipo → RegraNegocio (422)."""
    tipo = _tipo_valido(tipo)
    nome = (nome or "").strip()
    if not nome:
        raise RegraNegocio(_("Dê um nome ao canal."), nome=["obrigatório"])
    limpo = _validar_config(tipo, config)
    for chave, gerar in SEGREDOS_GERADOS.get(tipo, {}).items():
        if not limpo.get(chave):
            limpo[chave] = gerar()
    classe = _classe(tipo)
    segredo = classe.campos_segredo
    publicos = {k: v for k, v in limpo.items() if k not in segredo and v not in (None, "")}
    ocultos = {k: v for k, v in limpo.items() if k in segredo and v not in (None, "")}
    canal = Canal(
        empresa=empresa,
        tipo=tipo,
        nome=nome[:120],
        ativo=False,
        config=publicos,
        segredos=ocultos,
        identificador=classe.identificador_da_config({**publicos, **ocultos}),
        fila_padrao=_fila_da_empresa(empresa.pk, fila_padrao),
    )
    _salvar(canal)
    return canal


@transaction.atomic
def canal_atualizar(
    *,
    canal: Canal,
    nome: str | None = None,
    config: dict | None = None,
    fila_padrao: Any = _INALTERADO,
) -> Canal:
    """Change name, config or default queue.

    ``config`` is merged into the current one: keys absent keep their value, ``None`` removes a
    key; for secrets, ``""`` or the masked value shown by :func:`config_mascarada` also keep the
    stored secret.  The routing identifier of an active channel cannot change (deactivate it
    first: the provider would keep calling with the old one).
    """
    canal = Canal.objects.select_for_update().get(pk=canal.pk)
    campos = ["atualizado_em"]
    if nome is not None:
        if not nome.strip():
            raise RegraNegocio(_("Dê um nome ao canal."), nome=["obrigatório"])
        canal.nome = nome.strip()[:120]
        campos.append("nome")
    if config is not None:
        classe = _classe(canal.tipo)
        limpo = _validar_config(canal.tipo, config)
        segredo = classe.campos_segredo
        publicos = dict(canal.config or {})
        ocultos = dict(canal.segredos or {})
        for chave, valor in limpo.items():
            destino = ocultos if chave in segredo else publicos
            if valor is None:
                destino.pop(chave, None)
            elif chave in segredo and (valor == "" or str(valor).startswith(MASCARA)):
                continue
            elif valor == "":
                destino.pop(chave, None)
            else:
                destino[chave] = valor
        identificador = classe.identificador_da_config({**publicos, **ocultos})
        if canal.ativo and identificador != canal.identificador:
            raise RegraNegocio(
                _("Desative o canal antes de trocar o número, o endereço ou o segredo do webhook.")
            )
        canal.config, canal.segredos, canal.identificador = publicos, ocultos, identificador
        campos += ["config", "segredos", "identificador"]
    if fila_padrao is not _INALTERADO:
        canal.fila_padrao = _fila_da_empresa(canal.empresa_id, fila_padrao)
        campos.append("fila_padrao")
    _salvar(canal, campos)
    return canal


def config_mascarada(canal: Canal) -> dict:
    """Public keys as they are; each stored secret as ``"••••"`` + its last 4 characters
    (only ``"••••"`` for secrets shorter than 8 characters)."""
    return {
        **(canal.config or {}),
        **{chave: _mascarar(valor) for chave, valor in (canal.segredos or {}).items() if valor},
    }


def canal_ativar(*, canal: Canal, url_webhook: str) -> Canal:
    """Check the required keys, point the provider at ``url_webhook`` where it allows
    (Telegram ``setWebhook`` with the secret token; WhatsApp is configured in Meta's panel) and
    mark the channel active.  On a provider refusal the channel stays inactive."""
    canal = Canal.objects.get(pk=canal.pk)
    classe = _classe(canal.tipo)
    completa = canal.config_completa
    faltando = sorted(c for c in classe.campos_obrigatorios if not completa.get(c))
    if faltando:
        raise RegraNegocio(
            _("Configuração incompleta para ativar o canal: falta %(valor)s.")
            % {"valor": ", ".join(faltando)},
            config=faltando,
        )
    if not url_webhook:
        raise RegraNegocio(_("Informe a URL do webhook."))
    registrado = True
    try:
        classe(completa).registrar_webhook(url_webhook)
    except OperacaoNaoSuportada:
        registrado = False
    except ErroTransitorio as exc:
        raise ServicoIndisponivel(
            _("O provedor não respondeu ao registrar o webhook: %(valor)s")
            % {"valor": _detalhe(exc)}
        ) from exc
    except ErroCanal as exc:
        raise RegraNegocio(
            _("O provedor recusou o registro do webhook: %(valor)s") % {"valor": _detalhe(exc)}
        ) from exc
    with transaction.atomic():
        canal = Canal.objects.select_for_update().get(pk=canal.pk)
        canal.ativo = True
        campos = ["ativo", "atualizado_em"]
        extras = CONFIG_AO_ATIVAR.get(canal.tipo, lambda url: {})(url_webhook)
        novos = {k: v for k, v in extras.items() if not (canal.config or {}).get(k)}
        if novos:
            canal.config = {**(canal.config or {}), **novos}
            campos.append("config")
        if registrado:
            canal.webhook_registrado_em = timezone.now()
            campos.append("webhook_registrado_em")
        _salvar(canal, campos)
    return canal


def canal_desativar(*, canal: Canal, url_webhook: str = "") -> Canal:
    """Stop sending and receiving on the channel (its webhooks are stored as ``ignorado`` from
    now on) and undo what activation registered at the provider (Telegram deleteWebhook, the
    Twilio number's SmsUrl while it still points at us).  The channel is deactivated even when
    the provider cannot be reached; the reason is then kept in ``ultimo_teste_detalhe``."""
    canal = Canal.objects.get(pk=canal.pk)
    url = url_webhook or str((canal.config or {}).get("status_callback_url") or "")
    aviso = ""
    if canal.webhook_registrado_em is not None:
        try:
            _classe(canal.tipo)(config_de_envio(canal)).desregistrar_webhook(url)
        except OperacaoNaoSuportada:
            pass
        except ErroCanal as exc:
            aviso = f"O webhook não foi removido no provedor: {_detalhe(exc)}"
    with transaction.atomic():
        canal = Canal.objects.select_for_update().get(pk=canal.pk)
        canal.ativo = False
        campos = ["ativo", "atualizado_em"]
        if aviso:
            canal.ultimo_teste_detalhe = aviso
            campos.append("ultimo_teste_detalhe")
        else:
            canal.webhook_registrado_em = None
            campos.append("webhook_registrado_em")
        canal.save(update_fields=campos)
    return canal


def canal_testar(*, canal: Canal) -> ResultadoTeste:
    """Ask the provider whether the credentials work; the result is recorded on the channel."""
    canal = Canal.objects.get(pk=canal.pk)
    try:
        resultado = _classe(canal.tipo)(config_de_envio(canal)).testar_conexao()
    except RegraNegocio as exc:
        resultado = ResultadoTeste(False, exc.detalhe)
    except ErroCanal as exc:
        resultado = ResultadoTeste(False, _detalhe(exc))
    Canal.objects.filter(pk=canal.pk).update(
        ultimo_teste_em=timezone.now(),
        ultimo_teste_ok=resultado.ok,
        ultimo_teste_detalhe=resultado.detalhe,
        atualizado_em=timezone.now(),
    )
    return resultado


def _detalhe(exc: Exception) -> str:
    return str(getattr(exc, "detalhe", "") or exc)
