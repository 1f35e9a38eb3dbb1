"""Tunables of the real-time layer, read from settings at use (tests may override them); their
defaults live in ``conectcrm/settings.py`` (each also an environment variable).

REALTIME_OFFLINE_APOS_SEGUNDOS      grace period before a disconnected agent goes offline (30)
REALTIME_HEARTBEAT_SEGUNDOS         socket upkeep: presence, profile and group refresh (30)
REALTIME_DIGITANDO_EXPIRA_SEGUNDOS  a typing state without news ends by itself (8)
REALTIME_DIGITANDO_PROVEDOR_SEGUNDOS at most one provider "typing" task per ticket per N s (4)
REALTIME_FRAMES_POR_SEGUNDO / _RAJADA / _DESCARTES  client frame token bucket (20 / 40 / 40)
REALTIME_MAX_SALAS                  ticket rooms one socket may have joined (50)
REALTIME_PUBLICAR_FILA_MAX          publications queued per process before dropping (10000)
REALTIME_LACUNA_ESPERA_SEGUNDOS     a hole in a group's sequence numbers still open after this
                                    long is a loss: the socket is told to ``ressincronizar`` (2)
"""

from __future__ import annotations

from django.conf import settings


def ajuste(nome: str) -> float:
    """A REALTIME_* setting (defaults in conectcrm/settings.py, overridable by environment)."""
    return float(getattr(settings, nome))
