"""The API's JSON parser, with the body size limit Django applies only to ``request.body``:
DRF streams the body to the parser, so without this a JSON body of any size was read whole."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.parsers import JSONParser


class CorpoGrandeDemais(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Corpo da requisição grande demais."
    default_code = "grande_demais"


class _Limitado:
    """A stream that refuses to yield more than ``limite`` bytes."""

    def __init__(self, fluxo, limite: int) -> None:
        self.fluxo, self.limite, self.lidos = fluxo, limite, 0

    def read(self, n: int = -1) -> bytes:
        pedido = self.limite + 1 - self.lidos if n is None or n < 0 else n
        bloco = self.fluxo.read(min(pedido, self.limite + 1 - self.lidos))
        self.lidos += len(bloco)
        if self.lidos > self.limite:
            raise CorpoGrandeDemais()
        return bloco


class JSONParserLimitado(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limite = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        requisicao = (parser_context or {}).get("request")
        tamanho = requisicao.META.get("CONTENT_LENGTH") if requisicao is not None else None
        if limite is not None and tamanho and str(tamanho).isdigit() and int(tamanho) > limite:
            raise CorpoGrandeDemais()
        if limite is not None and stream is not None:
            stream = _Limitado(stream, limite)
        return super().parse(stream, media_type, parser_context)


class LimiteCorpoMiddleware:
    """A declared body larger than DATA_UPLOAD_MAX_MEMORY_SIZE is refused with 413 before any
    middleware or view reads it (JSON for the API). Multipart uploads stream to disk and have
    their own per-channel limits; provider webhooks have theirs (WEBHOOK_MAX_BYTES)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        limite = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        tamanho = request.META.get("CONTENT_LENGTH") or ""
        tipo = request.META.get("CONTENT_TYPE", "")
        if (
            limite is not None
            and tamanho.isdigit()
            and int(tamanho) > limite
            and not tipo.startswith("multipart/")
        ):
            detalhe = str(CorpoGrandeDemais.default_detail)
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": detalhe, "codigo": "grande_demais"}, status=413)
            return HttpResponse(detalhe, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
