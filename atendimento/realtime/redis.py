"""Redis clients of the real-time layer (presence counts, access versions), on the cache
database (``REDIS_CACHE_URL``).  Keys start with ``rt:``.

``cliente()`` is the asyncio client of the running event loop (one pool per loop, like
channels-redis: a pool cannot cross loops); ``cliente_sync()`` is a per-process client for
sync code (redis-py's pool re-creates its connections after a fork).
"""

from __future__ import annotations

import asyncio
import weakref

import redis
import redis.asyncio
from django.conf import settings

PREFIXO = "rt:"
_OPCOES = {"socket_timeout": 5, "socket_connect_timeout": 2}

_por_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, redis.asyncio.Redis] = (
    weakref.WeakKeyDictionary()
)
_sync: redis.Redis | None = None


def cliente() -> redis.asyncio.Redis:
    loop = asyncio.get_running_loop()
    conexao = _por_loop.get(loop)
    if conexao is None:
        # Blocking pool: past the cap a caller waits instead of failing (redis-py's plain pool
        # raises "Too many connections" there)
        pool = redis.asyncio.BlockingConnectionPool.from_url(
            settings.REDIS_CACHE_URL, max_connections=100, timeout=10, **_OPCOES
        )
        conexao = redis.asyncio.Redis(connection_pool=pool)
        _por_loop[loop] = conexao
    return conexao


def cliente_sync() -> redis.Redis:
    global _sync
    if _sync is None:
        _sync = redis.Redis.from_url(settings.REDIS_CACHE_URL, **_OPCOES)
    return _sync
