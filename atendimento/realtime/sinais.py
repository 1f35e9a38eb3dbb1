"""Framework hooks that keep open websockets' cached access profiles honest: any saved or
deleted queue membership, agent or user bumps that agent's access version after commit
(``atendimento.realtime.acesso``).  Cache invalidation only; no domain logic here."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save

from atendimento.models import Atendente, AtendenteFila
from atendimento.realtime.acesso import acesso_alterado


def _membro_alterado(sender, instance: AtendenteFila, **kwargs) -> None:
    acesso_alterado(instance.atendente_id)


_CAMPOS_SEM_ACESSO = frozenset({"status", "status_alterado_em", "atualizado_em", "capacidade"})


def _atendente_alterado(sender, instance: Atendente, update_fields=None, **kwargs) -> None:
    if update_fields is not None and set(update_fields) <= _CAMPOS_SEM_ACESSO:
        return  # presence and capacity do not change what the agent may see
    acesso_alterado(instance.pk)


def _usuario_alterado(sender, instance, update_fields=None, **kwargs) -> None:
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # every login saves last_login: not an access change
    for atendente_id in Atendente.objects.filter(usuario_id=instance.pk).values_list(
        "pk", flat=True
    ):
        acesso_alterado(atendente_id)


def conectar() -> None:
    """Called once from ``AtendimentoConfig.ready()``."""
    uid = "realtime-acesso"
    post_save.connect(_membro_alterado, sender=AtendenteFila, dispatch_uid=f"{uid}-membro-s")
    post_delete.connect(_membro_alterado, sender=AtendenteFila, dispatch_uid=f"{uid}-membro-d")
    post_save.connect(_atendente_alterado, sender=Atendente, dispatch_uid=f"{uid}-atendente-s")
    post_delete.connect(_atendente_alterado, sender=Atendente, dispatch_uid=f"{uid}-atendente-d")
    usuario = get_user_model()
    post_save.connect(_usuario_alterado, sender=usuario, dispatch_uid=f"{uid}-usuario-s")
