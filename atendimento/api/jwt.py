"""JWT signing-key rotation: tokens are signed with ``JWT_SIGNING_KEY`` (never SECRET_KEY) and
still accepted, until they expire, when signed with a key listed in
``JWT_SIGNING_KEYS_ANTERIORES``.

Rotating: move the current key to ``JWT_SIGNING_KEYS_ANTERIORES``, set a new
``JWT_SIGNING_KEY``, restart; after the refresh-token lifetime drop the old key.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework_simplejwt import settings as ajustes_jwt
from rest_framework_simplejwt import state
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.exceptions import TokenBackendError, TokenBackendExpiredToken


class BackendTokensRotativo(TokenBackend):
    """simplejwt's backend that also verifies with the previous signing keys."""

    def __init__(self, *args, anteriores: list[str] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.anteriores = [
            TokenBackend(self.algorithm, chave, leeway=self.leeway) for chave in anteriores
        ]

    def decode(self, token: Any, verify: bool = True) -> dict[str, Any]:
        try:
            return super().decode(token, verify=verify)
        except TokenBackendExpiredToken:
            raise
        except TokenBackendError:
            for anterior in self.anteriores:
                try:
                    return anterior.decode(token, verify=verify)
                except TokenBackendExpiredToken:
                    raise
                except TokenBackendError:
                    continue
            raise


class _UsuariosComAtendente:
    """``user_model`` as :class:`AutenticacaoJWT` reads it: ``objects`` loads the agent's row
    with the user (a reverse one-to-one joined in the same query)."""

    def __init__(self, modelo) -> None:
        self.objects = modelo.objects.select_related("atendente")
        self.DoesNotExist = modelo.DoesNotExist


class AutenticacaoJWT(JWTAuthentication):
    """simplejwt's ``Authorization: Bearer`` authentication, with the user's Atendente read in
    the same query as the user (every API request needs both; ``request.user.atendente`` is then
    cached).  Everything else — token checks, inactive users, errors — is simplejwt's."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user_model = _UsuariosComAtendente(self.user_model)


def instalar() -> None:
    """Make every simplejwt token class verify through the rotating backend."""
    api_settings = ajustes_jwt.api_settings  # rebound by simplejwt when SIMPLE_JWT changes
    state.token_backend = BackendTokensRotativo(
        api_settings.ALGORITHM,
        api_settings.SIGNING_KEY,
        api_settings.VERIFYING_KEY,
        api_settings.AUDIENCE,
        api_settings.ISSUER,
        api_settings.JWK_URL,
        api_settings.LEEWAY,
        api_settings.JSON_ENCODER,
        anteriores=list(getattr(settings, "JWT_SIGNING_KEYS_ANTERIORES", [])),
    )
