"""kombu's Redis transport with one guard, so a Celery worker survives a Redis restart.

When the broker connection drops, Celery (5.7) first ``collect()``s the connection — which
detaches the transport from its ``kombu.Connection`` (``transport.client = None``) — and then
``close()``s it.  Closing the default channel puts the messages the worker had prefetched
back (``restore_unacked``), which asks the channel for a Redis client; building one reads the
connection parameters from ``transport.client`` and fails with ``AttributeError:
'NoneType' object has no attribute 'hostname'``.  kombu only ignores *connection* errors while
closing, so that AttributeError became the worker's "Unrecoverable error" and it exited.

Here the channel reports that state as what it is — a connection error — so the close ignores
it and the worker reconnects on its own once Redis is back.  The prefetched messages are not
lost: kombu keeps them in Redis' unacked index and re-delivers them after the visibility
timeout, and every webhook event is stored in PostgreSQL first (the sweep re-queues it).

:func:`registrar` makes this the transport of every ``redis://`` / ``redis+socket://`` broker
URL (called when the Celery app is created, in every process).
"""

from __future__ import annotations

from kombu.transport import TRANSPORT_ALIASES
from kombu.transport import redis as kombu_redis
from redis.exceptions import ConnectionError as RedisConnectionError

CAMINHO = "conectcrm.broker:Transport"


class Channel(kombu_redis.Channel):
    def _connparams(self, asynchronous: bool = False) -> dict:
        transporte = self.connection
        if transporte is None or transporte.client is None:
            raise RedisConnectionError("broker connection already released")
        return super()._connparams(asynchronous=asynchronous)


class Transport(kombu_redis.Transport):
    Channel = Channel


def registrar() -> None:
    """Resolve the ``redis`` transport name (the scheme of our broker URLs) to this class."""
    TRANSPORT_ALIASES["redis"] = CAMINHO
