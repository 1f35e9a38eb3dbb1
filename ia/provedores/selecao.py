"""Which provider serves an empresa.

``IntegracaoConfig`` of tipo ``ia`` names it (``configuracao.provider``: ``local`` | ``openai`` |
``anthropic``; ``configuracao.permitir_pii``: send customer text unmasked); without that row,
``settings.AI_PROVIDER``. The provider's own row (tipo ``openai`` / ``anthropic``) holds
``configuracao.modelo``, ``base_url``, ``timeout``, ``max_retries``, ``modelo_embeddings`` and the
key in the encrypted ``segredos.api_key``; what it leaves out comes from the environment
(``OPENAI_*`` / ``ANTHROPIC_*``, ``AI_TIMEOUT``, ``AI_MAX_RETRIES``, ``AI_ESPERA_MAXIMA``). An
external provider without a key falls back to ``local`` (logged)."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings

from .base import Provedor
from .catalogo import PROVEDORES, ConfigProvedor, construir

logger = logging.getLogger(__name__)

TIPO_GERAL = "ia"
LOCAL = "local"


def _numero(valor: Any, padrao: float, tipo: type = float) -> Any:
    try:
        return tipo(valor) if valor not in (None, "") else tipo(padrao)
    except (TypeError, ValueError):
        return tipo(padrao)


def config_de(nome: str, configuracao: dict, segredos: dict) -> ConfigProvedor:
    """The provider's configuration: the empresa's row first, then the environment."""
    prefixo = nome.upper()
    extras = {k: v for k, v in configuracao.items() if k == "modelo_embeddings"}
    return ConfigProvedor(
        nome=nome,
        modelo=str(configuracao.get("modelo") or getattr(settings, f"{prefixo}_MODEL", "")),
        api_key=str(segredos.get("api_key") or getattr(settings, f"{prefixo}_API_KEY", "")),
        base_url=str(
            configuracao.get("base_url") or getattr(settings, f"{prefixo}_BASE_URL", "") or ""
        ),
        timeout=_numero(configuracao.get("timeout"), settings.AI_TIMEOUT),
        max_retries=_numero(configuracao.get("max_retries"), settings.AI_MAX_RETRIES, int),
        espera_maxima=_numero(configuracao.get("espera_maxima"), settings.AI_ESPERA_MAXIMA),
        extra=tuple(sorted(extras.items())),
    )


def provedor_para(empresa) -> Provedor:
    """The provider of ``empresa`` (an ``Empresa``, its id, or None for the environment's)."""
    from atendimento.models import IntegracaoConfig

    empresa_id = getattr(empresa, "pk", empresa)
    linhas = {}
    if empresa_id is not None:
        linhas = {
            linha.tipo: linha
            for linha in IntegracaoConfig.objects.filter(
                empresa_id=empresa_id, ativo=True, tipo__in=[TIPO_GERAL, *PROVEDORES]
            )
        }
    geral = linhas.get(TIPO_GERAL)
    politica = dict(geral.configuracao or {}) if geral else {}
    nome = str(politica.get("provider") or settings.AI_PROVIDER or LOCAL)
    if nome not in PROVEDORES:
        logger.warning("provedor de IA %r desconhecido (empresa %s): local", nome, empresa_id)
        nome = LOCAL
    linha = linhas.get(nome)
    configuracao = dict(linha.configuracao or {}) if linha else {}
    config = config_de(nome, configuracao, dict(linha.segredos or {}) if linha else {})
    if PROVEDORES[nome].externo and not config.api_key:
        logger.warning("provedor de IA %s sem chave (empresa %s): usando local", nome, empresa_id)
        config = ConfigProvedor(nome=LOCAL)
    provedor = construir(config)
    provedor.permitir_pii = bool(
        politica.get("permitir_pii", configuracao.get("permitir_pii", False))
    )
    return provedor


def erros_configuracao(tipo: str, configuracao: dict | None) -> list[str]:
    """What is wrong with an AI ``IntegracaoConfig.configuracao`` (empty when valid)."""
    from django.utils.translation import gettext as _

    configuracao = configuracao or {}
    if not isinstance(configuracao, dict):
        return [_("A configuração deve ser um objeto JSON.")]
    erros: list[str] = []
    if tipo == TIPO_GERAL:
        nome = configuracao.get("provider")
        if nome is not None and nome not in PROVEDORES:
            erros.append(
                _("Provedor de IA desconhecido: %(nome)s (use %(opcoes)s).")
                % {"nome": nome, "opcoes": ", ".join(sorted(PROVEDORES))}
            )
        if not isinstance(configuracao.get("permitir_pii", False), bool):
            erros.append(_("permitir_pii deve ser true ou false."))
    elif tipo in PROVEDORES:
        for chave in ("timeout", "espera_maxima"):
            valor = configuracao.get(chave)
            if valor is not None and not (
                isinstance(valor, int | float) and not isinstance(valor, bool) and valor > 0
            ):
                erros.append(_("%(chave)s deve ser um número positivo.") % {"chave": chave})
        tentativas = configuracao.get("max_retries")
        if tentativas is not None and not (
            isinstance(tentativas, int)
            and not isinstance(tentativas, bool)
            and 0 <= tentativas <= 10
        ):
            erros.append(_("max_retries deve ser um inteiro de 0 a 10."))
        base_url = configuracao.get("base_url")
        if base_url and not str(base_url).startswith(("http://", "https://")):
            erros.append(_("base_url deve começar com http:// ou https://."))
    return erros
