"""Inbound tasks (webhooks queue): process_webhook, varrer_webhooks_pendentes, baixar_midia."""

from __future__ import annotations
