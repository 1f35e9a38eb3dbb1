from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AtendimentoConfig(AppConfig):
    name = "atendimento"
    verbose_name = _("Atendimento")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Framework hook only: open websockets learn of access changes (cache invalidation).
        from atendimento.api import jwt
        from atendimento.realtime import sinais
        from atendimento.services import auditoria, retencao

        sinais.conectar()
        auditoria.conectar()  # the audit trail of channels, queues and agents
        retencao.conectar()  # a deleted message takes its media file with it
        jwt.instalar()  # JWT verification also accepts the previous signing keys (rotation)
