from __future__ import annotations

from pathlib import Path

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AtendimentoConfig(AppConfig):
    name = "atendimento"
    verbose_name = _("Atendimento")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.conf import settings

        if getattr(settings, "EMBUTIDO_PASTA", None):
            # development on the embedded servers: start them on demand (idempotent, cheap
            # when they run); importing the settings alone starts nothing
            from conectcrm import embedded

            pasta = Path(settings.EMBUTIDO_PASTA)
            if settings.EMBUTIDO_POSTGRES:
                embedded.garantir_postgres(pasta)
            if settings.EMBUTIDO_REDIS:
                embedded.garantir_redis(pasta)

        # Framework hook only: open websockets learn of access changes (cache invalidation).
        from atendimento.api import jwt
        from atendimento.realtime import sinais
        from atendimento.services import auditoria, automacoes, retencao

        sinais.conectar()
        # Reactions to new customer messages (the inbound path's extension point).
        from atendimento.services import avisos
        from atendimento.services.reacoes import reagir_a_entrada
        from conectcrm import checks  # noqa: F401 - registers conectcrm.E001 (task routes)

        reagir_a_entrada(avisos.ao_receber)
        auditoria.conectar()  # the audit trail of channels, queues and agents
        retencao.conectar()  # a deleted message takes its media file with it
        automacoes.conectar()  # SLA clocks, out-of-hours reply, distribution of new tickets
        jwt.instalar()  # JWT verification also accepts the previous signing keys (rotation)
        from django.contrib.auth.signals import user_logged_in

        from atendimento.inbox import idioma

        # the browser's language cookie becomes the agent's stored language at login
        user_logged_in.connect(idioma.ao_entrar, dispatch_uid="atendimento.idioma.ao_entrar")
