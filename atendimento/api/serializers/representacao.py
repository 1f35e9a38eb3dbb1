"""Plain-Python output of the read-only serializers that lists return many times per request.

DRF's generic ``Serializer.to_representation`` walks every bound field of every row (attribute
lookup by ``source``, ``None`` check, the field's own conversion, a nested serializer per row
for nested objects); on a 25-ticket page that was most of the request's CPU.  The serializers
of the lists keep their declared fields — the OpenAPI schema and the field order come from
them — and override ``to_representation`` with the same conversions written out per field,
using the helpers below.  ``tests/api/test_representacao.py`` checks each override against
DRF's generic path on the same rows, so the two cannot drift apart silently.

The conversions are DRF's own (``rest_framework.fields``): ``None`` stays ``None`` for every
field; UUID primary keys as ``str``; foreign keys as the raw pk (``PrimaryKeyRelatedField``
returns the UUID object, which the JSON renderer writes as a string); text fields as ``str``;
date-times in the current time zone, ISO 8601, ``Z`` for UTC.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings


def fuso():
    """The time zone date-times are written in: DRF's ``DateTimeField().default_timezone()``
    (the current one when USE_TZ), without building a field per row."""
    return timezone.get_current_timezone() if settings.USE_TZ else None


def data_hora(valor: datetime.datetime | None, tz) -> str | None:
    """``serializers.DateTimeField().to_representation(valor)`` for the ISO 8601 output of aware
    values (anything else goes through DRF's field)."""
    if not valor:
        return None
    if (
        tz is None
        or isinstance(valor, str)
        or not isinstance(valor, datetime.datetime)
        or valor.utcoffset() is None
        or api_settings.DATETIME_FORMAT.lower() != ISO_8601
    ):
        return serializers.DateTimeField().to_representation(valor)
    texto = valor.astimezone(tz).isoformat()
    return texto[:-6] + "Z" if texto.endswith("+00:00") else texto


def texto(valor: Any) -> str | None:
    return None if valor is None else str(valor)


def uuid_texto(valor: Any) -> str | None:
    """A UUID field (``hex_verbose``)."""
    return None if valor is None else str(valor)


def inteiro(valor: Any) -> int | None:
    return None if valor is None else int(valor)


def decimal(valor: Any) -> float | None:
    return None if valor is None else float(valor)


def logico(valor: Any) -> bool | None:
    return None if valor is None else bool(valor)


def textos(valor: Any) -> list | None:
    """``ListField(child=CharField())``."""
    return None if valor is None else [None if item is None else str(item) for item in valor]


__all__ = ["data_hora", "decimal", "fuso", "inteiro", "logico", "texto", "textos", "uuid_texto"]
