"""The websocket answers in the language the same browser gets over HTTP: the language
switch's cookie first, then the agent's stored language, then ``Accept-Language``, then the
site's pt-BR."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from conectcrm.asgi import application
from tests.realtime.conftest import (  # noqa: F401 - fixtures of the websocket tests
    ORIGEM,
    TIMEOUT,
    ajustes_rapidos,
    redis_limpo,
    token_de,
    verificacoes,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("verificacoes")]


async def _erro_do_frame(atendente, cabecalhos: list[tuple[bytes, bytes]]) -> str:
    token = await database_sync_to_async(token_de)(atendente)
    socket = WebsocketCommunicator(
        application, f"/ws/atendimento/?token={token}", headers=[(b"origin", ORIGEM), *cabecalhos]
    )
    conectado, _ = await socket.connect(timeout=TIMEOUT)
    assert conectado
    await socket.send_to(text_data='{"evento": "apagar_tudo", "dados": {}}')
    while True:
        frame = await socket.receive_json_from(timeout=TIMEOUT)
        if frame["evento"] == "erro":
            break
    await socket.disconnect()
    return frame["dados"]["detail"]


@pytest.mark.parametrize(
    ("cabecalhos", "detalhe"),
    [
        ([], "Evento desconhecido: apagar_tudo."),
        ([(b"accept-language", b"en-US,en;q=0.9")], "Unknown event: apagar_tudo."),
        ([(b"accept-language", b"fr-FR, pt-BR;q=0.8")], "Evento desconhecido: apagar_tudo."),
        (
            [(b"accept-language", b"pt-BR"), (b"cookie", b"django_language=en")],
            "Unknown event: apagar_tudo.",
        ),
        (
            [(b"accept-language", b"en"), (b"cookie", b"django_language=pt-br")],
            "Evento desconhecido: apagar_tudo.",
        ),
    ],
)
async def test_erro_do_socket_no_idioma_do_navegador(atendente, cabecalhos, detalhe):
    assert await _erro_do_frame(atendente, cabecalhos) == detalhe


@pytest.mark.parametrize(
    ("cabecalhos", "detalhe"),
    [
        ([], "Unknown event: apagar_tudo."),
        ([(b"accept-language", b"pt-BR")], "Unknown event: apagar_tudo."),
        (
            [(b"accept-language", b"en"), (b"cookie", b"django_language=pt-br")],
            "Evento desconhecido: apagar_tudo.",
        ),
    ],
)
async def test_idioma_guardado_do_atendente_vem_antes_do_navegador(atendente, cabecalhos, detalhe):
    """A new browser (no language cookie yet) of an agent who chose English gets English, as
    the inbox over HTTP does; the cookie, once set by the switch, still decides."""
    atendente.idioma = "en"
    await database_sync_to_async(atendente.save)(update_fields=["idioma"])
    assert await _erro_do_frame(atendente, cabecalhos) == detalhe
