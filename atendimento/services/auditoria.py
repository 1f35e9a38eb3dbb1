"""The audit trail (``RegistroAuditoria``): recorded for every change to a channel (its
credentials by key name only), an integration, a queue and its members, an agent (role,
capacity, active) — from the admin, the API or a command alike, by model signals — and
explicitly for data exports and erasures."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db.models import Model
from django.db.models.signals import post_delete, post_save, pre_save
from django.utils import translation

from atendimento.models import (
    Atendente,
    AtendenteFila,
    Canal,
    Fila,
    IntegracaoConfig,
    RegistroAuditoria,
)
from atendimento.models.base import SegredosField
from atendimento.seguranca.contexto import ator_atual

logger = logging.getLogger(__name__)

#: fields that change by themselves (presence, distribution pointer, timestamps): not audited
IGNORADOS = {
    "criado_em",
    "atualizado_em",
    "status",
    "status_alterado_em",
    "ultimo_atendente_distribuido",
}
AUDITADOS: tuple[type[Model], ...] = (Canal, IntegracaoConfig, Fila, Atendente)


def auditoria_registrar(
    *,
    empresa_id,
    acao: str,
    objeto_tipo: str,
    objeto_id: Any = "",
    objeto_repr: str = "",
    campos: Iterable[str] = (),
    detalhe: str = "",
) -> RegistroAuditoria:
    ator = ator_atual()
    # Stored in the source language whatever the request's (the admin shows it translated).
    with translation.override(settings.LANGUAGE_CODE):
        objeto_tipo = str(objeto_tipo)
    return RegistroAuditoria.objects.create(
        empresa_id=empresa_id,
        usuario=ator.usuario,
        usuario_nome=ator.nome[:150],
        origem=ator.origem,
        ip=ator.ip,
        acao=acao,
        objeto_tipo=objeto_tipo,
        objeto_id=str(objeto_id or ""),
        objeto_repr=str(objeto_repr)[:200],
        campos=sorted(campos),
        detalhe=detalhe,
    )


def _valores(instancia: Model) -> dict[str, Any]:
    return {
        campo.attname: getattr(instancia, campo.attname)
        for campo in instancia._meta.concrete_fields
        if campo.name not in IGNORADOS and not campo.primary_key
    }


def _diferencas(antes: dict[str, Any], depois: dict[str, Any], instancia: Model) -> list[str]:
    campos = []
    for nome, valor in depois.items():
        anterior = antes.get(nome)
        if valor == anterior:
            continue
        campo = instancia._meta.get_field(nome.removesuffix("_id"))
        if isinstance(campo, SegredosField) or isinstance(valor, dict):
            anterior, valor = anterior or {}, valor or {}
            rotulo = "segredos" if isinstance(campo, SegredosField) else campo.name
            campos += [
                f"{rotulo}.{chave}"
                for chave in set(anterior) | set(valor)
                if anterior.get(chave) != valor.get(chave)
            ]
        else:
            campos.append(campo.name)
    return campos


def _antes(sender, instance, raw=False, **kwargs) -> None:
    if raw or instance._state.adding:
        return
    anterior = sender._base_manager.filter(pk=instance.pk).first()
    instance._auditoria_antes = _valores(anterior) if anterior else None


def _depois(sender, instance, created=False, raw=False, **kwargs) -> None:
    if raw:
        return
    if created:
        campos = [c for c, v in _valores(instance).items() if v not in (None, "", {}, [])]
        acao = RegistroAuditoria.Acao.CRIAR
    else:
        antes = getattr(instance, "_auditoria_antes", None)
        if antes is None:
            return
        campos = _diferencas(antes, _valores(instance), instance)
        acao = RegistroAuditoria.Acao.ALTERAR
        if not campos:
            return
    campos = [c.removesuffix("_id") if c.endswith("_id") else c for c in campos]
    auditoria_registrar(
        empresa_id=instance.empresa_id,
        acao=acao,
        objeto_tipo=sender._meta.verbose_name,
        objeto_id=instance.pk,
        objeto_repr=str(instance),
        campos=[c if "." in c else sender._meta.get_field(c).name for c in campos],
    )


def _empresa_sendo_excluida(kwargs) -> bool:
    """Rows deleted in cascade with their empresa leave no trail (the trail goes with it)."""
    from atendimento.models import Empresa

    origem = kwargs.get("origin")
    modelo = getattr(origem, "model", type(origem))
    return modelo is Empresa


def _excluido(sender, instance, **kwargs) -> None:
    if _empresa_sendo_excluida(kwargs):
        return
    auditoria_registrar(
        empresa_id=instance.empresa_id,
        acao=RegistroAuditoria.Acao.EXCLUIR,
        objeto_tipo=sender._meta.verbose_name,
        objeto_id=instance.pk,
        objeto_repr=str(instance),
    )


def _membro(sender, instance, created=False, raw=False, **kwargs) -> None:
    if raw or (kwargs.get("signal") is post_save and not created):
        return
    if _empresa_sendo_excluida(kwargs):
        return
    entrou = kwargs.get("signal") is post_save
    auditoria_registrar(
        empresa_id=instance.empresa_id,
        acao=RegistroAuditoria.Acao.ALTERAR,
        objeto_tipo=Fila._meta.verbose_name,
        objeto_id=instance.fila_id,
        objeto_repr=str(instance.fila),
        campos=["atendentes"],
        detalhe=f"{'entrou' if entrou else 'saiu'}: {instance.atendente}",
    )


def conectar() -> None:
    for modelo in AUDITADOS:
        uid = f"auditoria-{modelo.__name__}"
        pre_save.connect(_antes, sender=modelo, dispatch_uid=uid)
        post_save.connect(_depois, sender=modelo, dispatch_uid=uid)
        post_delete.connect(_excluido, sender=modelo, dispatch_uid=uid)
    post_save.connect(_membro, sender=AtendenteFila, dispatch_uid="auditoria-membro")
    post_delete.connect(_membro, sender=AtendenteFila, dispatch_uid="auditoria-membro")
