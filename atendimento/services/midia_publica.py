"""Signed, expiring public URLs of outbound attachments, for providers that fetch media from a
URL instead of receiving an upload (Twilio's ``MediaUrl``).

The URL names one outbound message's file and carries a timestamped HMAC of its id (Django's
``TimestampSigner``, keyed by ``SECRET_KEY`` with a salt of its own): it cannot be guessed or
changed to reach another file, needs no session, and is refused once ``MIDIA_PUBLICA_SEGUNDOS``
have passed since it was made (410).  Inbound media (customer uploads) is never served here.

The host is ``URL_PUBLICA`` when set, otherwise the origin of the channel's webhook URL as it
was registered on activation (built from the supervisor's request, so it already honours
``SECURE_PROXY_SSL_HEADER`` and the public host).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.urls import reverse

from atendimento.models import Canal, Mensagem

SAL = "conectcrm.midia_publica"


class MidiaPublicaExpirada(Exception):
    """The signature is genuine but older than ``MIDIA_PUBLICA_SEGUNDOS``."""


def url_publica_base(canal: Canal) -> str:
    """``https://host`` under which the provider reaches us ("" when unknown)."""
    if settings.URL_PUBLICA:
        return settings.URL_PUBLICA
    registrada = str((canal.config or {}).get("status_callback_url") or "")
    partes = urlsplit(registrada)
    if partes.scheme in ("http", "https") and partes.netloc:
        return f"{partes.scheme}://{partes.netloc}"
    return ""


def midia_publica_url(mensagem: Mensagem, *, base: str) -> str:
    """The signed URL of ``mensagem``'s file, valid for ``MIDIA_PUBLICA_SEGUNDOS`` from now."""
    token = signing.TimestampSigner(salt=SAL).sign(str(mensagem.pk))
    return base.rstrip("/") + reverse("midia-publica", kwargs={"token": token})


def midia_publica_mensagem(token: str) -> Mensagem | None:
    """The outbound message a token names, None when the token is not ours (or the message or
    its file is gone); :class:`MidiaPublicaExpirada` after the TTL."""
    try:
        mensagem_id = signing.TimestampSigner(salt=SAL).unsign(
            token, max_age=settings.MIDIA_PUBLICA_SEGUNDOS
        )
    except signing.SignatureExpired:
        raise MidiaPublicaExpirada(token) from None
    except signing.BadSignature:
        return None
    return (
        Mensagem.objects.filter(pk=mensagem_id, direcao=Mensagem.Direcao.SAIDA)
        .exclude(midia_arquivo="")
        .first()
    )
