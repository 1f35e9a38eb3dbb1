from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IaConfig(AppConfig):
    name = "ia"
    verbose_name = _("Inteligência artificial")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from atendimento.services.reacoes import reagir_a_entrada
        from ia import tasks

        from . import sinais  # noqa: F401

        reagir_a_entrada(tasks.analisar_entradas)  # a customer message queues an analysis
