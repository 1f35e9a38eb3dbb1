"""Websocket authentication (``docs/realtime.md``): ``?token=<access JWT>`` on the URL, else
the Django session cookie.  Sets ``scope["user"]`` (AnonymousUser when neither authenticates); the
consumer then closes sockets without an active Atendente with code 4401.

A token that is present but invalid or expired is refused outright (no fall back to the
cookie): explicit credentials that fail never authenticate.

The Origin check (``AllowedHostsOriginValidator``: 403 at the handshake) guards only the cookie
path: it stops another site's page from opening a socket with the browser's session cookie
(cross-site websocket hijacking).  A token is not sent by the browser on its own, so a socket
that carries one is judged by the token alone, whatever its Origin (API clients, mobile apps and
server integrations send none).
"""

from __future__ import annotations

from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.security.websocket import AllowedHostsOriginValidator
from django.contrib.auth.models import AnonymousUser
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError


def _token_da_url(scope) -> str | None:
    consulta = parse_qs(scope.get("query_string", b"").decode("latin1"))
    valores = consulta.get("token")
    return valores[-1] if valores else None


@database_sync_to_async
def usuario_do_token(token: str):
    """The active user of a valid access JWT, else AnonymousUser."""
    autenticacao = JWTAuthentication()
    try:
        return autenticacao.get_user(autenticacao.get_validated_token(token.encode()))
    except (InvalidToken, TokenError, AuthenticationFailed):
        return AnonymousUser()


class AutenticacaoWebsocket:
    def __init__(self, inner) -> None:
        self.inner = inner
        self.por_sessao = AllowedHostsOriginValidator(AuthMiddlewareStack(inner))

    async def __call__(self, scope, receive, send):
        token = _token_da_url(scope)
        if token is None:
            return await self.por_sessao(scope, receive, send)
        scope = dict(scope, user=await usuario_do_token(token))
        return await self.inner(scope, receive, send)
