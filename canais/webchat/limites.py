"""Rate limits of the public chat endpoints (Redis cache, fixed one-minute windows)."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache


def _permitir(chave: str, maximo: int) -> bool:
    janela = int(time.time() // 60)
    nome = f"webchat:limite:{chave}:{janela}"
    try:
        cache.add(nome, 0, timeout=120)
        return cache.incr(nome) <= maximo
    except Exception:
        return True


def permitir_envio(chave_publica: str, visitante_id: str) -> bool:
    """At most WEBCHAT_MENSAGENS_POR_MINUTO messages/receipts per visitor per minute."""
    return _permitir(f"{chave_publica}:{visitante_id}", settings.WEBCHAT_MENSAGENS_POR_MINUTO)


def permitir_sessao(chave_publica: str, endereco: str) -> bool:
    """At most WEBCHAT_SESSOES_POR_MINUTO new visitors per client address per minute."""
    return _permitir(f"{chave_publica}:sessao:{endereco}", settings.WEBCHAT_SESSOES_POR_MINUTO)
