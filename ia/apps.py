from __future__ import annotations

from django.apps import AppConfig


class IaConfig(AppConfig):
    name = "ia"
    verbose_name = "Inteligência artificial"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import sinais  # noqa: F401
