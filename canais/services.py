"""Channel management: create, update, activate, deactivate, test.  Used by the API and the
admin actions alike.

``config`` as given by the admin is split into the public keys (``Canal.config``) and the secret
ones (``Canal.segredos``, Fernet-encrypted at rest, never returned: :func:`config_mascarada`).
Which keys are secret and which are required come from the adapter class
(``campos_segredo`` / ``campos_obrigatorios``); the routing ``identificador`` too
(``identificador_da_config``).  A ``tipo`` without an adapter is refused with a clear 422.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from atendimento.exceptions import Conflito, NaoEncontrado, RegraNegocio, ServicoIndisponivel
from atendimento.models import Canal, Empresa, Fila
from canais.adapters.base import (
    AdaptadorCanal,
    ErroCanal,
    ErroTransitorio,
    OperacaoNaoSuportada,
    ResultadoTeste,
    detalhe_erro,
)
from canais.registry import TipoCanalDesconhecido, classe_adaptador, escolhas, tipos

MASCARA = "••••"
_INALTERADO: Any = object()


def config_de_envio(canal: Canal) -> dict[str, Any]:
    """The channel's config for sending: its own, completed by its adapter where the channel
    has no transport of its own (e-mail: the empresa's or the server's)."""
    config = canal.config_completa
    try:
        return classe_adaptador(canal.tipo).config_de_envio(canal, config)
    except TipoCanalDesconhecido:
        return config


# ------------------------------------------------------------------------------- helpers
def _tipo_valido(tipo: str) -> str:
    if tipo not in tipos():
        opcoes = ", ".join(t for t, _rotulo in escolhas())
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
    chaves = _classe(tipo).chaves_config
    desconhecidas = sorted(set(config) - chaves)
    if desconhecidas:
        aceitas = ", ".join(sorted(chaves))
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
    classe = _classe(tipo)
    for chave, valor in classe.config_gerada().items():
        if not limpo.get(chave):
            limpo[chave] = valor
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
            % {"valor": detalhe_erro(exc)}
        ) from exc
    except ErroCanal as exc:
        raise RegraNegocio(
            _("O provedor recusou o registro do webhook: %(valor)s") % {"valor": detalhe_erro(exc)}
        ) from exc
    with transaction.atomic():
        canal = Canal.objects.select_for_update().get(pk=canal.pk)
        canal.ativo = True
        campos = ["ativo", "atualizado_em"]
        extras = classe.config_ao_ativar(url_webhook)
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
            aviso = f"O webhook não foi removido no provedor: {detalhe_erro(exc)}"
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
        resultado = ResultadoTeste(False, detalhe_erro(exc))
    Canal.objects.filter(pk=canal.pk).update(
        ultimo_teste_em=timezone.now(),
        ultimo_teste_ok=resultado.ok,
        ultimo_teste_detalhe=resultado.detalhe,
        atualizado_em=timezone.now(),
    )
    return resultado
