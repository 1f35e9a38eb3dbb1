"""Telegram buttons: a button press (callback query) is answered with answerCallbackQuery so
the customer's button stops spinning; quick replies with buttons go out as an inline keyboard;
"Desativar" deletes the webhook "Ativar" set."""

from __future__ import annotations

import pytest

from atendimento.models import Mensagem
from atendimento.services.saida import mensagem_enviar
from tests.factories import TemplateFactory, TicketFactory

from .webhook_apoio import TOKEN_TG, canal_tg, celery_eager, postar_telegram  # noqa: F401


@pytest.mark.usefixtures("celery_eager")
@pytest.mark.parametrize("nome", ["callback_query_ha.json", "callback_query_inline_official.json"])
def test_botao_pressionado_e_respondido(
    nome, client, empresa, fila, fixture_bytes, httpserver, django_capture_on_commit_callbacks
):
    canal_tg(empresa, fila, api_base_url=httpserver.url_for("")[:-1])
    httpserver.expect_request(
        f"/bot{TOKEN_TG}/answerCallbackQuery", method="POST"
    ).respond_with_json({"ok": True, "result": True})

    with django_capture_on_commit_callbacks(execute=True):
        resposta = postar_telegram(client, empresa.id, fixture_bytes(f"telegram/{nome}"))

    assert resposta.status_code == 200
    assert Mensagem.objects.get().tipo == "interativo"
    ((requisicao, _),) = httpserver.log
    assert requisicao.get_json() == {"callback_query_id": "4382bfdwdsb323b2d9"}


@pytest.mark.usefixtures("celery_eager")
def test_mensagem_comum_nao_chama_answer(
    client, empresa, fila, fixture_bytes, httpserver, django_capture_on_commit_callbacks
):
    canal_tg(empresa, fila, api_base_url=httpserver.url_for("")[:-1])
    with django_capture_on_commit_callbacks(execute=True):
        postar_telegram(
            client, empresa.id, fixture_bytes("telegram/private_text_message_official.json")
        )
    assert Mensagem.objects.count() == 1
    assert httpserver.log == []


@pytest.mark.usefixtures("celery_eager")
def test_resposta_rapida_com_botoes_vira_teclado_inline(
    empresa, fila, atendente, httpserver, django_capture_on_commit_callbacks
):
    canal = canal_tg(empresa, fila, api_base_url=httpserver.url_for("")[:-1])
    ticket = TicketFactory(empresa=empresa, canal=canal, fila=fila, conversa_id_externo="1111111")
    template = TemplateFactory(
        empresa=empresa, nome="Avaliação", atalho="/avaliar",
        conteudo="{{contato.primeiro_nome}}, como foi o atendimento?",
        componentes=[{"type": "buttons", "buttons": [
            {"texto": "Ótimo", "dados": "nota:5"}, {"texto": "Ruim", "dados": "nota:1"},
            {"texto": "Nosso site", "url": "https://loja.exemplo"}]}],
    )  # fmt: skip
    httpserver.expect_request(f"/bot{TOKEN_TG}/sendMessage", method="POST").respond_with_json(
        {"ok": True, "result": {"message_id": 5, "chat": {"id": 1111111}}}
    )

    with django_capture_on_commit_callbacks(execute=True):
        mensagem = mensagem_enviar(atendente=atendente, ticket=ticket, template=template)

    mensagem.refresh_from_db()
    assert mensagem.status == "enviada"
    ((requisicao, _),) = httpserver.log
    assert requisicao.get_json()["reply_markup"] == {
        "inline_keyboard": [
            [{"text": "Ótimo", "callback_data": "nota:5"}],
            [{"text": "Ruim", "callback_data": "nota:1"}],
            [{"text": "Nosso site", "url": "https://loja.exemplo"}],
        ]
    }


def test_desativar_apaga_o_webhook(api_supervisor, empresa, fila, httpserver):
    canal = canal_tg(empresa, fila, api_base_url=httpserver.url_for("")[:-1], ativo=False)
    for metodo in ("setWebhook", "deleteWebhook"):
        httpserver.expect_request(f"/bot{TOKEN_TG}/{metodo}", method="POST").respond_with_json(
            {"ok": True, "result": True}
        )
    assert api_supervisor.post(f"/api/atendimento/canais/{canal.id}/ativar/").status_code == 200
    assert api_supervisor.post(f"/api/atendimento/canais/{canal.id}/desativar/").status_code == 200
    chamadas = [r.path.rsplit("/", 1)[-1] for r, _ in httpserver.log]
    assert chamadas == ["setWebhook", "deleteWebhook"]
    assert httpserver.log[1][0].get_json() == {"drop_pending_updates": False}
    canal.refresh_from_db()
    assert (canal.ativo, canal.webhook_registrado_em) == (False, None)


def test_desativar_com_o_provedor_fora_do_ar_desativa_e_avisa(api_supervisor, empresa, fila):
    from django.utils import timezone

    canal = canal_tg(empresa, fila, api_base_url="http://127.0.0.1:9")
    canal.webhook_registrado_em = timezone.now()
    canal.save()
    resposta = api_supervisor.post(f"/api/atendimento/canais/{canal.id}/desativar/")
    assert resposta.status_code == 200
    canal.refresh_from_db()
    assert canal.ativo is False
    assert "não foi removido" in canal.ultimo_teste_detalhe
