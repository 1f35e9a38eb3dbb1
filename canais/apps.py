from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CanaisConfig(AppConfig):
    name = "canais"
    verbose_name = _("Canais")
    default_auto_field = "django.db.models.BigAutoField"
