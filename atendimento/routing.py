"""Websocket routes (CONTRACT §6)."""

from __future__ import annotations

from django.urls import path

from atendimento.realtime.consumers import AtendimentoConsumer

websocket_urlpatterns = [
    path("ws/atendimento/", AtendimentoConsumer.as_asgi()),
]
