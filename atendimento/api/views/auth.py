"""JWT login (throttled per client address, scope ``login``) and refresh."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.throttling import ScopedRateThrottle
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer, TokenRefreshSerializer
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from atendimento.api.esquema import EsquemaAtendimento
from atendimento.api.serializers.comum import ErroSerializer


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

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"
    schema = EsquemaAtendimento()


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
    schema = EsquemaAtendimento()
