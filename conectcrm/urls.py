from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from atendimento.inbox.idioma import idioma_trocar

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    # the language switch: Django's set_language (cookie) plus the agent's stored preference
    path("i18n/setlang/", idioma_trocar, name="set_language"),
    path("api/atendimento/webhooks/", include("canais.urls")),
    path("api/", include("atendimento.api.urls")),
    path("midia/", include("atendimento.views_midia")),
    path("chat/", include("canais.webchat.urls")),
    path("dashboard/", include("atendimento.painel.urls")),
    path("", include("atendimento.inbox.urls")),
]
