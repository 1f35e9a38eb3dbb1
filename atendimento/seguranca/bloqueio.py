"""The answer to a locked-out login (django-axes): 429, JSON for the API, a page for people."""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _

logger = logging.getLogger("conectcrm.seguranca")


def resposta_bloqueio(request, credentials=None, *args, **kwargs) -> HttpResponse:
    minutos = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    usuario = (credentials or {}).get("username", "") if isinstance(credentials, dict) else ""
    if not usuario and request.method == "POST":
        usuario = request.POST.get("username", "")
    logger.warning(
        "login bloqueado: usuario=%r ip=%s caminho=%s",
        usuario,
        getattr(request, "axes_ip_address", "") or request.META.get("REMOTE_ADDR", ""),
        request.path,
    )
    detalhe = _("Tentativas de login demais. Tente novamente em %(minutos)d minutos.") % {
        "minutos": minutos
    }
    cabecalhos = {"Retry-After": str(minutos * 60)}
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": detalhe, "codigo": "login_bloqueado"}, status=429, headers=cabecalhos
        )
    return HttpResponse(
        detalhe, status=429, content_type="text/plain; charset=utf-8", headers=cabecalhos
    )
