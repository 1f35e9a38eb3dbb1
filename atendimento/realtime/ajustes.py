"""Tunables of the real-time layer, read from settings at use (tests may override them).

REALTIME_OFFLINE_APOS_SEGUNDOS      grace period before a disconnected agent goes offline (30)
REALTIME_HEARTBEAT_SEGUNDOS         socket upkeep: presence, profile and group refresh (30)
REALTIME_DIGITANDO_EXPIRA_SEGUNDOS  a typing state without news ends by itself (8)
REALTIME_DIGITANDO_PROVEDOR_SEGUNDOS at most one provider "typing" task per ticket per N s (4)
REALTIME_FRAMES_POR_SEGUNDO / _RAJADA / _DESCARTES  client frame token bucket (20 / 40 / 40)
REALTIME_MAX_SALAS                  ticket rooms one socket may have joined (50)
REALTIME_PUBLICAR_FILA_MAX          publications queued per process before dropping (10000)
"""

from __future__ import annotations

from django.conf import settings

_PADROES = {
    "REALTIME_OFFLINE_APOS_SEGUNDOS": 30.0,
    "REALTIME_HEARTBEAT_SEGUNDOS": 30.0,
    "REALTIME_DIGITANDO_EXPIRA_SEGUNDOS": 8.0,
    "REALTIME_DIGITANDO_PROVEDOR_SEGUNDOS": 4.0,
    "REALTIME_FRAMES_POR_SEGUNDO": 20.0,
    "REALTIME_FRAMES_RAJADA": 40.0,
    "REALTIME_FRAMES_DESCARTES": 40.0,
    "REALTIME_MAX_SALAS": 50.0,
    "REALTIME_PUBLICAR_FILA_MAX": 10_000.0,
}


def ajuste(nome: str) -> float:
    return float(getattr(settings, nome, _PADROES[nome]))
