"""The notification service publishes ``notificacao`` to the person only, after commit."""

from __future__ import annotations

import pytest

from atendimento.services.notificacoes import notificar

from .conftest import conectar, em_sync, nada_antes_do_marcador

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("verificacoes")]


async def test_notificacao_chega_so_a_pessoa_e_uma_vez(
    empresa, atendente, supervisor, admin_outra_empresa
):
    cliente = await conectar(atendente)
    sup = await conectar(supervisor)
    outro = await conectar(admin_outra_empresa)

    def enviar():
        return notificar(
            empresa=empresa,
            usuarios=[atendente, admin_outra_empresa],
            tipo="resumo_diario",
            titulo="Resumo",
            corpo="3 tickets",
            chave="resumo:1",
        )

    (nova,) = await em_sync(enviar)
    assert await em_sync(enviar) == []  # a re-run publishes nothing

    assert await cliente.receber() == {
        "evento": "notificacao",
        "dados": {
            "titulo": "Resumo",
            "texto": "3 tickets",
            "ticket_id": None,
            "id": str(nova.id),
            "tipo": "resumo_diario",
            "nao_lidas": 1,
        },
    }
    await nada_antes_do_marcador(cliente, atendente)  # not a second copy
    await nada_antes_do_marcador(sup, supervisor)
    await nada_antes_do_marcador(outro, admin_outra_empresa)
    for c in (cliente, sup, outro):
        await c.fechar()
