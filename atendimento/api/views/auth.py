"""JWT login (throttled per client address, scope ``login``; accounts and addresses with too
many failures locked out by django-axes) and refresh."""

from __future__ import annotations

from axes.handlers.proxy import AxesProxyHandler
from axes.utils import reset as axes_zerar
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.throttling import ScopedRateThrottle
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer, TokenRefreshSerializer
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from atendimento.api.esquema import EsquemaAtendimento
from atendimento.api.parsers import JSONParserLimitado
from atendimento.api.serializers.comum import ErroSerializer
from atendimento.seguranca.bloqueio import resposta_bloqueio


@extend_schema(
    tags=["auth"],
    request=TokenObtainPairSerializer,
    responses={
        200: TokenObtainPairSerializer,
        400: ErroSerializer,
        401: OpenApiResponse(ErroSerializer, description="Usuário ou senha inválidos."),
        429: OpenApiResponse(ErroSerializer, description="Tentativas demais; aguarde."),
    },
)
class LoginView(TokenObtainPairView):
    """``{"username", "password"}`` → ``{"access", "refresh"}``."""

    parser_classes = [JSONParserLimitado]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"
    schema = EsquemaAtendimento()

    def post(self, request, *args, **kwargs):
        # axes flags a lockout on Django's request, which DRF wraps: check it here explicitly
        dados = request.data if isinstance(request.data, dict) else {}
        credenciais = {"username": str(dados.get("username", ""))[:150]}
        if AxesProxyHandler.is_locked(request._request, credenciais):
            return resposta_bloqueio(request._request, credenciais)
        resposta = super().post(request, *args, **kwargs)
        if resposta.status_code == 200:
            axes_zerar(username=credenciais["username"])  # as a page login does on success
        elif AxesProxyHandler.is_locked(request._request, credenciais):
            return resposta_bloqueio(request._request, credenciais)
        return resposta


@extend_schema(
    tags=["auth"],
    request=TokenRefreshSerializer,
    responses={
        200: TokenRefreshSerializer,
        400: ErroSerializer,
        401: OpenApiResponse(ErroSerializer, description="Refresh token inválido ou expirado."),
    },
)
class RenovarTokenView(TokenRefreshView):
    parser_classes = [JSONParserLimitado]
    schema = EsquemaAtendimento()


@csrf_exempt
def nao_encontrado(request, *args, **kwargs) -> JsonResponse:
    """Unknown URL under /api/: the API's 404 body instead of Django's HTML page."""
    return JsonResponse(
        {"detail": "Endereço não encontrado na API.", "codigo": "nao_encontrado"}, status=404
    )
