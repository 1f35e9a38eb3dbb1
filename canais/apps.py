from __future__ import annotations

from django.apps import AppConfig


class CanaisConfig(AppConfig):
    name = "canais"
    verbose_name = "Canais"
    default_auto_field = "django.db.models.BigAutoField"
