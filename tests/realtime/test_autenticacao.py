"""Who may open ``/ws/atendimento/``: a JWT on the URL or the session cookie of an agent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from tests.factories import UsuarioFactory

from .conftest import abrir, conectar, em_sync

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("verificacoes")]


def _cookie_de_sessao(usuario) -> str:
    cliente = Client()
    cliente.force_login(usuario)
    return f"sessionid={cliente.cookies['sessionid'].value}"


async def test_token_jwt_na_url_autentica(atendente):
    cliente = await conectar(atendente)

    await cliente.sincronizar()  # open and answering: an unauthenticated socket is closed
    await cliente.fechar()


async def test_cookie_de_sessao_autentica(atendente):
    cookie = await em_sync(_cookie_de_sessao, atendente.usuario)

    cliente = await conectar(cookie=cookie)

    await cliente.sincronizar()
    await cliente.fechar()


async def _recusado(**kwargs) -> int | None:
    comunicador = await abrir(**kwargs)
    saida = await comunicador.receive_output(timeout=10)
    assert saida["type"] == "websocket.close"
    # nothing else was sent before the close
    assert await comunicador.receive_nothing(timeout=0.05)
    await comunicador.disconnect()
    return saida.get("code")


async def test_sem_credenciais_e_recusado(db):
    assert await _recusado() == 4401


async def test_token_invalido_e_recusado(atendente):
    assert await _recusado(token="nao-e-um-jwt") == 4401


async def test_token_expirado_e_recusado(atendente):
    def expirado() -> str:
        token = AccessToken.for_user(atendente.usuario)
        token.set_exp(lifetime=-timedelta(seconds=1))
        return str(token)

    assert await _recusado(token=await em_sync(expirado)) == 4401


async def test_refresh_token_nao_serve_como_acesso(atendente):
    refresh = await em_sync(lambda: str(RefreshToken.for_user(atendente.usuario)))

    assert await _recusado(token=refresh) == 4401


async def test_token_invalido_nao_cai_para_o_cookie(atendente):
    cookie = await em_sync(_cookie_de_sessao, atendente.usuario)

    assert await _recusado(token="nao-e-um-jwt", cookie=cookie) == 4401


async def test_cookie_de_sessao_invalido_e_recusado(db):
    assert await _recusado(cookie="sessionid=inexistente") == 4401


async def test_usuario_sem_atendente_e_recusado(db):
    usuario = await em_sync(UsuarioFactory)
    token = await em_sync(lambda: str(AccessToken.for_user(usuario)))

    assert await _recusado(token=token) == 4401


async def test_atendente_inativo_e_recusado(atendente):
    atendente.ativo = False
    await em_sync(atendente.save)

    assert await _recusado(atendente=atendente) == 4401


async def test_usuario_desativado_e_recusado(atendente):
    token = await em_sync(lambda: str(AccessToken.for_user(atendente.usuario)))
    await em_sync(
        lambda: get_user_model().objects.filter(pk=atendente.usuario_id).update(is_active=False)
    )

    assert await _recusado(token=token) == 4401


async def _handshake(caminho: str, cabecalhos: list[tuple[bytes, bytes]]) -> bool:
    from channels.testing import WebsocketCommunicator

    from conectcrm.asgi import application

    comunicador = WebsocketCommunicator(application, caminho, headers=cabecalhos)
    conectado, _ = await comunicador.connect(timeout=10)
    await comunicador.disconnect()
    return conectado


async def test_cookie_de_outra_origem_e_recusado_no_handshake(atendente):
    cookie = await em_sync(_cookie_de_sessao, atendente.usuario)

    aceito = await _handshake(
        "/ws/atendimento/",
        [(b"origin", b"http://evil.example"), (b"cookie", cookie.encode())],
    )

    assert aceito is False


async def test_cookie_sem_origem_e_recusado_no_handshake(atendente):
    cookie = await em_sync(_cookie_de_sessao, atendente.usuario)

    assert await _handshake("/ws/atendimento/", [(b"cookie", cookie.encode())]) is False


async def test_token_vale_de_qualquer_origem(atendente):
    token = await em_sync(lambda: str(AccessToken.for_user(atendente.usuario)))
    caminho = f"/ws/atendimento/?token={token}"

    assert await _handshake(caminho, [(b"origin", b"http://evil.example")]) is True
    assert await _handshake(caminho, []) is True


async def test_token_com_cookie_de_outra_origem_usa_so_o_token(atendente, supervisor):
    """A foreign page cannot ride the browser's cookie by adding a token it does not have."""
    cookie = await em_sync(_cookie_de_sessao, supervisor.usuario)

    assert await _recusado(token="nao-e-um-jwt", cookie=cookie) == 4401
