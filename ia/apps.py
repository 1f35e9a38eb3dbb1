from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IaConfig(AppConfig):
    name = "ia"
    verbose_name = _("Inteligência artificial")
    default_auto_field = "django.db.models.BigAutoField"
