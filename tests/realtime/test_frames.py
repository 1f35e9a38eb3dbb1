"""Bad frames get ``erro`` and the socket stays open; a flood is throttled, then closed."""

from __future__ import annotations

import pytest

from atendimento.realtime.limite import LimiteFrames

from .conftest import conectar

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("verificacoes")]


def _erro(detalhe: str) -> dict:
    return {"evento": "erro", "dados": {"detail": detalhe}}


FORMATO = 'O frame deve ser {"evento": "...", "dados": {...}}.'


@pytest.mark.parametrize(
    ("texto", "detalhe"),
    [
        ("isto não é json", "JSON inválido."),
        ("{", "JSON inválido."),
        ("[1, 2]", FORMATO),
        ('"entrar_ticket"', FORMATO),
        ("{}", FORMATO),
        ('{"evento": 5}', FORMATO),
        ('{"dados": {}}', FORMATO),
        ('{"evento": "entrar_ticket", "dados": [1]}', "dados deve ser um objeto."),
        ('{"evento": "entrar_ticket", "dados": "x"}', "dados deve ser um objeto."),
        ('{"evento": "apagar_tudo", "dados": {}}', "Evento desconhecido: apagar_tudo."),
        ('{"evento": "_erro"}', "Evento desconhecido: _erro."),
        ('{"evento": "receive"}', "Evento desconhecido: receive."),
    ],
)
async def test_frame_ruim_recebe_erro_e_o_socket_continua(atendente, texto, detalhe):
    cliente = await conectar(atendente)

    await cliente.enviar_texto(texto)

    assert await cliente.receber() == _erro(detalhe)
    await cliente.sincronizar()
    await cliente.fechar()


async def test_frame_grande_demais_recebe_erro(atendente):
    cliente = await conectar(atendente)

    await cliente.enviar("entrar_ticket", ticket_id="x" * 17_000)

    assert await cliente.receber() == _erro("Frame grande demais.")
    await cliente.sincronizar()
    await cliente.fechar()


async def test_frame_binario_recebe_erro(atendente):
    cliente = await conectar(atendente)

    await cliente.com.send_to(bytes_data=b'{"evento": "sair_ticket"}')

    assert await cliente.receber() == _erro("Envie frames de texto JSON.")
    await cliente.sincronizar()
    await cliente.fechar()


async def test_dados_ausentes_ou_nulos_valem_objeto_vazio(atendente):
    cliente = await conectar(atendente)

    await cliente.enviar_texto('{"evento": "entrar_ticket"}')
    assert await cliente.receber() == _erro("ticket_id é obrigatório.")
    await cliente.enviar_texto('{"evento": "entrar_ticket", "dados": null}')
    assert await cliente.receber() == _erro("ticket_id é obrigatório.")
    await cliente.fechar()


MUITAS = "Muitas mensagens: aguarde antes de enviar outras."


async def test_inundacao_e_descartada_e_depois_fechada(settings, atendente):
    # a bucket of 3 frames that practically never refills, 2 drops tolerated
    settings.REALTIME_FRAMES_POR_SEGUNDO = 0.0001
    settings.REALTIME_FRAMES_RAJADA = 3
    settings.REALTIME_FRAMES_DESCARTES = 2
    cliente = await conectar(atendente)

    for _ in range(3):
        await cliente.enviar("sem_nome")
        assert await cliente.receber() == _erro("Evento desconhecido: sem_nome.")
    await cliente.enviar("sem_nome")
    assert await cliente.receber() == _erro(MUITAS)  # dropped, not handled
    await cliente.enviar("sem_nome")
    assert await cliente.receber() == _erro(MUITAS)
    await cliente.enviar("sem_nome")

    assert await cliente.fechamento() == 4429


def test_balde_reabastece_com_o_tempo():
    agora = [0.0]
    limite = LimiteFrames(taxa=20, rajada=40, descartes=40, relogio=lambda: agora[0])

    assert [limite.registrar() for _ in range(40)] == ["ok"] * 40
    assert limite.registrar() == "descartar"
    agora[0] += 0.5  # 10 frames' worth
    assert [limite.registrar() for _ in range(10)] == ["ok"] * 10
    assert limite.registrar() == "descartar"


def test_abuso_sustentado_fecha_e_rajada_curta_nao():
    agora = [0.0]
    limite = LimiteFrames(taxa=20, rajada=40, descartes=40, relogio=lambda: agora[0])
    resultados = []
    for _ in range(200):  # 40 frames/s for 5 s: twice the allowed rate
        agora[0] += 0.025
        resultados.append(limite.registrar())

    primeiro_fechar = resultados.index("fechar")  # the consumer closes the socket here
    # the burst (40) plus the refill carry the first ~2 s; the tolerated drops about 2 s more
    assert resultados[:75] == ["ok"] * 75
    assert 80 < primeiro_fechar < 200
    assert set(resultados[80:primeiro_fechar]) == {"ok", "descartar"}
