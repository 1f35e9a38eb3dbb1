"""Provider webhooks, answered with and without the trailing slash (never redirected: providers
do not follow redirects and Twilio signs the exact URL it called)."""

from __future__ import annotations

from django.urls import path

from canais.webhooks import webhook

app_name = "canais"

urlpatterns = [
    path("<str:tipo>/<str:empresa_id>/", webhook, name="webhook"),
    path("<str:tipo>/<str:empresa_id>", webhook, name="webhook-sem-barra"),
]
