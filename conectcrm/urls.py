from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),  # set_language: the language switch
    path("api/atendimento/webhooks/", include("canais.urls")),
    path("api/", include("atendimento.api.urls")),
    path("midia/", include("atendimento.views_midia")),
    path("chat/", include("canais.webchat.urls")),
    path("dashboard/", include("atendimento.painel.urls")),
    path("", include("atendimento.inbox.urls")),
]
