"""Approved WhatsApp templates: synced from Meta, kept current by its status webhooks, and turned
into the ``components`` of a send with their variables filled.

A synced template (``Template.canal`` set) keeps Meta's *definition* in ``componentes``
(HEADER/BODY/FOOTER/BUTTONS with ``{{1}}`` or ``{{nome}}`` placeholders) and, in ``variaveis``,
what fills each placeholder: one of our expressions (``{{contato.nome}}``) or a fixed text,
edited by a supervisor; an agent may override them per send.  Variable names: ``"1"``/``"nome"``
for the body, ``"header.1"`` for a text header, ``"header.link"`` for a media header,
``"botao.<i>.1"`` for a URL button.  Templates created by hand (or Twilio Content templates,
``nome_whatsapp`` = ``HX…``) keep send-ready ``componentes`` as before.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from atendimento.exceptions import RegraNegocio, ServicoIndisponivel
from atendimento.models import Atendente, Canal, Template, Ticket
from atendimento.services.templates import componentes_renderizar, texto_renderizar
from canais.adapters.base import (
    ErroCanal,
    ErroTransitorio,
    OperacaoNaoSuportada,
    TemplateProvedor,
    TemplateStatusEntrada,
)
from canais.registry import get_adaptador

logger = logging.getLogger(__name__)

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")
APROVADO = "APPROVED"
FORMATOS_MIDIA = {"IMAGE": "image", "VIDEO": "video", "DOCUMENT": "document"}


# ------------------------------------------------------------------------------- variables
def _placeholders(texto: str) -> list[str]:
    return list(dict.fromkeys(_PLACEHOLDER.findall(texto or "")))


def variaveis_da_definicao(componentes: Any) -> list[str]:
    """Every variable a Meta template definition needs, in send order."""
    nomes: list[str] = []
    for componente in componentes or []:
        if not isinstance(componente, Mapping):
            continue
        tipo = str(componente.get("type", "")).upper()
        if tipo == "HEADER":
            formato = str(componente.get("format", "TEXT")).upper()
            if formato in FORMATOS_MIDIA:
                nomes.append("header.link")
            else:
                nomes += [f"header.{n}" for n in _placeholders(str(componente.get("text", "")))]
        elif tipo == "BODY":
            nomes += _placeholders(str(componente.get("text", "")))
        elif tipo == "BUTTONS":
            for indice, botao in enumerate(componente.get("buttons") or []):
                if isinstance(botao, Mapping) and str(botao.get("type", "")).upper() == "URL":
                    nomes += [f"botao.{indice}.{n}" for n in _placeholders(str(botao.get("url")))]
    return nomes


def variaveis_preenchidas(
    template: Template, *, ticket: Ticket, atendente: Atendente | None
) -> list[tuple[str, str]]:
    """``[(variable, pre-filled value)]`` of a synced template for the picker (empty for
    hand-made ones, whose components are send-ready)."""
    if template.canal_id is None:
        return []
    return [
        (nome, texto_renderizar(str((template.variaveis or {}).get(nome) or ""), ticket=ticket,
                                atendente=atendente))
        for nome in variaveis_da_definicao(template.componentes)
    ]  # fmt: skip


def _parametro(nome: str, valor: str) -> dict[str, Any]:
    parametro: dict[str, Any] = {"type": "text", "text": valor}
    if not nome.isdigit():
        parametro["parameter_name"] = nome
    return parametro


def componentes_para_envio(
    *,
    template: Template,
    ticket: Ticket,
    atendente: Atendente | None,
    valores: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The ``components`` of a send of ``template`` to ``ticket``; RegraNegocio (422) naming
    each variable left empty."""
    if template.canal_id is None:  # hand-made: send-ready components (and Twilio Content)
        componentes = list(template.componentes or [])
        if template.variaveis and not componentes:
            componentes = [dict(template.variaveis)]
        if valores:
            componentes = [*componentes, {str(k): str(v) for k, v in valores.items()}]
        return componentes_renderizar(componentes, ticket=ticket, atendente=atendente)
    preenchidos: dict[str, str] = {}
    faltando: list[str] = []
    for nome in variaveis_da_definicao(template.componentes):
        expressao = str((valores or {}).get(nome) or (template.variaveis or {}).get(nome) or "")
        valor = texto_renderizar(expressao, ticket=ticket, atendente=atendente).strip()
        if not valor:
            faltando.append(nome)
        preenchidos[nome] = valor
    if faltando:
        raise RegraNegocio(
            f"Preencha as variáveis do template “{template.nome}”: {', '.join(faltando)}.",
            variaveis=faltando,
        )
    envio: list[dict[str, Any]] = []
    for componente in template.componentes or []:
        tipo = str(componente.get("type", "")).upper()
        if tipo == "HEADER":
            formato = str(componente.get("format", "TEXT")).upper()
            if formato in FORMATOS_MIDIA:
                chave = FORMATOS_MIDIA[formato]
                parametro = {"type": chave, chave: {"link": preenchidos["header.link"]}}
                envio.append({"type": "header", "parameters": [parametro]})
                continue
            nomes = _placeholders(str(componente.get("text", "")))
            if nomes:
                envio.append(
                    {
                        "type": "header",
                        "parameters": [_parametro(n, preenchidos[f"header.{n}"]) for n in nomes],
                    }
                )
        elif tipo == "BODY":
            nomes = _placeholders(str(componente.get("text", "")))
            if nomes:
                envio.append(
                    {"type": "body", "parameters": [_parametro(n, preenchidos[n]) for n in nomes]}
                )
        elif tipo == "BUTTONS":
            for indice, botao in enumerate(componente.get("buttons") or []):
                if str(botao.get("type", "")).upper() != "URL":
                    continue
                nomes = _placeholders(str(botao.get("url")))
                if nomes:
                    envio.append(
                        {
                            "type": "button",
                            "sub_type": "url",
                            "index": str(indice),
                            "parameters": [
                                {"type": "text", "text": preenchidos[f"botao.{indice}.{n}"]}
                                for n in nomes
                            ],
                        }
                    )
    return envio


def _corpo(componentes: Any) -> str:
    for componente in componentes or []:
        if isinstance(componente, Mapping) and str(componente.get("type", "")).upper() == "BODY":
            return str(componente.get("text", ""))
    return ""


# ------------------------------------------------------------------------------- sync
@transaction.atomic
def _gravar(canal: Canal, modelos: list[TemplateProvedor]) -> dict[str, int]:
    agora = timezone.now()
    existentes = {
        (t.nome_whatsapp, t.idioma): t
        for t in Template.objects.select_for_update().filter(canal=canal)
    }
    contagem = {"criados": 0, "atualizados": 0, "removidos": 0}
    vistos = set()
    for modelo in modelos:
        chave = (modelo.nome, modelo.idioma)
        vistos.add(chave)
        componentes = [dict(c) for c in modelo.componentes]
        variaveis_antes = existentes[chave].variaveis if chave in existentes else {}
        variaveis = {
            n: (variaveis_antes or {}).get(n, "") for n in variaveis_da_definicao(componentes)
        }
        campos = {
            "nome": modelo.nome[:120],
            "conteudo": _corpo(componentes),
            "categoria": modelo.categoria[:60],
            "componentes": componentes,
            "id_externo": modelo.id_externo[:64],
            "status": modelo.status[:20],
            "motivo_status": modelo.motivo[:255],
            "variaveis": variaveis,
            "sincronizado_em": agora,
            "ativo": True,
        }
        if chave in existentes:
            template = existentes[chave]
            for nome, valor in campos.items():
                setattr(template, nome, valor)
            template.save()
            contagem["atualizados"] += 1
        else:
            Template.objects.create(
                empresa_id=canal.empresa_id,
                canal=canal,
                tipo=Template.Tipo.WHATSAPP,
                nome_whatsapp=modelo.nome,
                idioma=modelo.idioma,
                **campos,
            )
            contagem["criados"] += 1
    for chave, template in existentes.items():
        if chave not in vistos and template.ativo:  # deleted at Meta: kept for history
            template.ativo = False
            template.status = "DELETED"
            template.save(update_fields=["ativo", "status", "atualizado_em"])
            contagem["removidos"] += 1
    return contagem


def templates_sincronizar(*, canal: Canal) -> dict[str, int]:
    """Fetch every template of the channel's WhatsApp Business Account (all pages) and
    create/update ours; templates gone from Meta are deactivated.  RegraNegocio (422) when the
    channel cannot list templates or the provider refuses; ServicoIndisponivel (503) when it
    does not answer."""
    try:
        modelos = get_adaptador(canal.tipo, canal.config_completa).listar_templates()
    except OperacaoNaoSuportada as exc:
        raise RegraNegocio(
            _("O canal %(tipo)s não sincroniza templates.") % {"tipo": canal.get_tipo_display()}
        ) from exc
    except ErroTransitorio as exc:
        raise ServicoIndisponivel(_("A Meta não respondeu: %(erro)s") % {"erro": exc}) from exc
    except ErroCanal as exc:
        raise RegraNegocio(
            _("A Meta recusou a listagem dos templates: %(erro)s") % {"erro": exc}
        ) from exc
    return _gravar(canal, modelos)


def template_status_aplicar(*, canal: Canal, evento: TemplateStatusEntrada) -> None:
    """``message_template_status_update``: the template's new status (and reason), on every
    channel of the empresa with the same WhatsApp Business Account (the webhook names the
    account, not a number)."""
    waba = (canal.config or {}).get("waba_id")
    canais = Canal.objects.filter(empresa_id=canal.empresa_id, tipo=canal.tipo)
    canais = canais.filter(config__waba_id=waba) if waba else canais.filter(pk=canal.pk)
    filtro = Template.objects.filter(canal__in=canais)
    alvo = filtro.filter(id_externo=evento.id_externo) if evento.id_externo else filtro.none()
    if not alvo.exists():
        alvo = filtro.filter(nome_whatsapp=evento.nome, idioma=evento.idioma)
    alterados = alvo.update(
        status=evento.status[:20],
        motivo_status=evento.motivo[:255],
        atualizado_em=timezone.now(),
    )
    if not alterados:
        logger.info("status de template desconhecido %s no canal %s", evento.nome, canal.pk)


def templates_sincronizar_ativos(*, canal_id: str = "") -> dict[str, Any]:
    """Approved WhatsApp templates from the provider: one channel, or every active channel
    whose adapter lists templates.  A channel that fails is logged; the others still sync."""
    from atendimento.exceptions import ErroDominio
    from canais.adapters.base import AdaptadorCanal
    from canais.registry import TipoCanalDesconhecido, classe_adaptador

    canais = Canal.objects.filter(pk=canal_id) if canal_id else Canal.objects.filter(ativo=True)
    resultado: dict[str, Any] = {}
    for canal in canais:
        try:
            if canal_id == "" and classe_adaptador(canal.tipo).listar_templates is (
                AdaptadorCanal.listar_templates
            ):
                continue
            resultado[str(canal.pk)] = templates_sincronizar(canal=canal)
        except (ErroDominio, TipoCanalDesconhecido) as exc:
            logger.warning("templates do canal %s não sincronizados: %s", canal.pk, exc)
            resultado[str(canal.pk)] = {"erro": str(exc)}
    return resultado
