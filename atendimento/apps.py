from __future__ import annotations

from django.apps import AppConfig


class AtendimentoConfig(AppConfig):
    name = "atendimento"
    verbose_name = "Atendimento"
    default_auto_field = "django.db.models.BigAutoField"
