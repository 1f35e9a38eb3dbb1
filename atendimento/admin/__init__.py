"""Django admin for supervisors, scoped to their empresa (see base.py)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from . import (  # noqa: F401 - registers the ModelAdmins
    atendimento,
    auditoria,
    canais,
    empresa,
    lotes,
    notificacoes,
)

admin.site.site_header = _("ConectCRM Atendimento")
admin.site.site_title = _("ConectCRM Atendimento")
admin.site.index_title = _("Administração")
