from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CanaisConfig(AppConfig):
    name = "canais"
    verbose_name = _("Canais")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # e-mail: other channels noted, inline images fetched (reactions to stored messages)
        from atendimento.services import descadastro, email_entrada

        email_entrada.registrar()
        descadastro.registrar()  # STOP/START keywords, Telegram button presses answered
