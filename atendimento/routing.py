"""Websocket routes (the protocol: docs/realtime.md)."""

from __future__ import annotations

from django.urls import path

from atendimento.realtime.consumers import AtendimentoConsumer
from canais.webchat.consumidor import VisitanteConsumer

websocket_urlpatterns = [
    path("ws/atendimento/", AtendimentoConsumer.as_asgi()),
    # the website chat's visitors (their own conversation only)
    path("ws/webchat/<str:chave>/", VisitanteConsumer.as_asgi()),
]
