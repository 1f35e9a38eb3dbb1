"""Outbound tasks (messages queue): enviar_mensagem, enviar_midia, enviar_lote,
reenviar_mensagem, digitando."""

from __future__ import annotations
