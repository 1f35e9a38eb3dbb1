"""Approved WhatsApp templates synced from a local server speaking the Graph API (paginated),
kept current by ``message_template_status_update`` webhooks, offered by the inbox picker only
when APPROVED, and sent with their variables filled."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from atendimento.exceptions import RegraNegocio
from atendimento.models import Atendente, Template
from atendimento.selectors.inbox import templates_whatsapp
from atendimento.services.saida import mensagem_enviar
from tests.factories import AtendenteFactory, CanalFactory, TemplateFactory, TicketFactory

from .webhook_apoio import canal_wa, celery_eager, postar_whatsapp  # noqa: F401 - fixture

WABA = "102290129340398"
CAMINHO = f"/v23.0/{WABA}/message_templates"

APROVADO = {
    "id": "1001", "name": "pedido_enviado", "language": "pt_BR", "status": "APPROVED",
    "category": "UTILITY",
    "components": [
        {"type": "HEADER", "format": "TEXT", "text": "Pedido {{1}}"},
        {"type": "BODY", "text": "Olá {{1}}, seu pedido {{2}} saiu para entrega.",
         "example": {"body_text": [["Ana", "42"]]}},
        {"type": "FOOTER", "text": "Loja Exemplo"},
        {"type": "BUTTONS", "buttons": [
            {"type": "QUICK_REPLY", "text": "Obrigado"},
            {"type": "URL", "text": "Rastrear", "url": "https://loja.exemplo/r/{{1}}"}]},
    ],
}  # fmt: skip
PENDENTE = {
    "id": "1002", "name": "promo_natal", "language": "pt_BR", "status": "PENDING",
    "category": "MARKETING", "components": [{"type": "BODY", "text": "Promoção!"}],
}  # fmt: skip
RECUSADO = {
    "id": "1003", "name": "cobranca", "language": "en_US", "status": "REJECTED",
    "category": "UTILITY", "rejected_reason": "INVALID_FORMAT",
    "components": [{"type": "BODY", "text": "Pay {{nome}}", "parameter_format": "NAMED"}],
}  # fmt: skip


def servir_paginas(httpserver, paginas: list[list[dict]], *, proxima_de_fora: bool = False):
    """The Graph listing, one page per ``after`` cursor; ``paging.next`` absolute, as Meta
    sends it (or on another host, which must not be followed)."""
    base = httpserver.url_for("").rstrip("/")
    pedidos = []

    def listar(request):
        pedidos.append(dict(request.args))
        indice = int(request.args.get("after", "0"))
        corpo = {"data": paginas[indice], "paging": {"cursors": {"before": "x", "after": ""}}}
        if indice + 1 < len(paginas):
            corpo["paging"]["cursors"]["after"] = str(indice + 1)
            host = "https://graph.evil.example" if proxima_de_fora else base
            corpo["paging"]["next"] = f"{host}{CAMINHO}?limit=100&after={indice + 1}"
        from werkzeug import Response

        return Response(json.dumps(corpo), content_type="application/json")

    httpserver.expect_request(CAMINHO, method="GET").respond_with_handler(listar)
    return pedidos


@pytest.fixture
def canal(empresa, fila, httpserver):
    return canal_wa(empresa, fila, pnid="106540352242922", api_base_url=httpserver.url_for("")[:-1])


def test_sincroniza_todas_as_paginas_pela_api(api_supervisor, canal, httpserver):
    pedidos = servir_paginas(httpserver, [[APROVADO, PENDENTE], [RECUSADO]])

    resposta = api_supervisor.post(f"/api/atendimento/canais/{canal.id}/sincronizar-templates/")

    assert resposta.status_code == 200, resposta.content
    assert resposta.json() == {"criados": 3, "atualizados": 0, "removidos": 0}
    assert [p.get("after") for p in pedidos] == [None, "1"]
    assert all(r.headers["Authorization"] == "Bearer EAAtokendeteste" for r, _ in httpserver.log)
    aprovado = Template.objects.get(nome_whatsapp="pedido_enviado")
    assert (aprovado.canal_id, aprovado.tipo, aprovado.status, aprovado.categoria) == (
        canal.id,
        "whatsapp",
        "APPROVED",
        "UTILITY",
    )
    assert aprovado.conteudo == "Olá {{1}}, seu pedido {{2}} saiu para entrega."
    assert aprovado.variaveis == {"header.1": "", "1": "", "2": "", "botao.1.1": ""}
    recusado = Template.objects.get(nome_whatsapp="cobranca")
    assert (recusado.status, recusado.motivo_status, recusado.idioma) == (
        "REJECTED",
        "INVALID_FORMAT",
        "en_US",
    )


def test_sincronizar_de_novo_atualiza_e_desativa_os_apagados(canal, httpserver):
    from atendimento.services.templates_whatsapp import templates_sincronizar

    servir_paginas(httpserver, [[APROVADO, PENDENTE]])
    templates_sincronizar(canal=canal)
    Template.objects.filter(nome_whatsapp="pedido_enviado").update(
        variaveis={"1": "{{contato.primeiro_nome}}"}
    )
    httpserver.clear()
    servir_paginas(httpserver, [[{**APROVADO, "category": "MARKETING"}]])

    assert templates_sincronizar(canal=canal) == {"criados": 0, "atualizados": 1, "removidos": 1}
    aprovado = Template.objects.get(nome_whatsapp="pedido_enviado")
    assert aprovado.categoria == "MARKETING"
    assert aprovado.variaveis["1"] == "{{contato.primeiro_nome}}"  # the supervisor's mapping kept
    apagado = Template.objects.get(nome_whatsapp="promo_natal")
    assert (apagado.ativo, apagado.status) == (False, "DELETED")


def test_proxima_pagina_em_outro_host_nao_e_seguida(canal, httpserver):
    from atendimento.services.templates_whatsapp import templates_sincronizar

    pedidos = servir_paginas(httpserver, [[APROVADO], [PENDENTE]], proxima_de_fora=True)
    assert templates_sincronizar(canal=canal)["criados"] == 2
    assert [p.get("after") for p in pedidos] == [None, "1"]  # the cursor, on our Graph host


def test_sincronizar_canal_de_outra_empresa_404(api_supervisor, outra_empresa):
    alheio = CanalFactory(empresa=outra_empresa)
    resposta = api_supervisor.post(f"/api/atendimento/canais/{alheio.id}/sincronizar-templates/")
    assert resposta.status_code == 404


def test_sincronizar_canal_sem_templates_422(api_supervisor, empresa):
    telegram = CanalFactory(empresa=empresa, telegram=True)
    resposta = api_supervisor.post(f"/api/atendimento/canais/{telegram.id}/sincronizar-templates/")
    assert resposta.status_code == 422


def test_acao_do_admin_e_tarefa_diaria(client, supervisor, canal, httpserver, outra_empresa):
    from canais.tasks.envio import sincronizar_templates

    servir_paginas(httpserver, [[APROVADO]])
    supervisor.usuario.is_staff = True
    supervisor.usuario.save()
    client.force_login(supervisor.usuario)
    alheio = CanalFactory(empresa=outra_empresa)
    resposta = client.post(
        reverse("admin:atendimento_canal_changelist"),
        {"action": "acao_sincronizar_templates", "_selected_action": [canal.id, alheio.id]},
        follow=True,
    )
    assert resposta.status_code == 200
    assert "1 novos" in resposta.content.decode()
    assert Template.objects.filter(canal=canal).count() == 1
    assert not Template.objects.filter(canal=alheio).exists()  # another empresa's: untouched
    alheio.ativo = False  # the daily job: every active channel that lists templates
    alheio.save()
    assert sincronizar_templates.run() == {str(canal.id): {"criados": 0, "atualizados": 1,
                                                          "removidos": 0}}  # fmt: skip


@pytest.mark.usefixtures("celery_eager")
def test_webhook_de_status_do_template(client, empresa, canal, django_capture_on_commit_callbacks):
    template = TemplateFactory(
        empresa=empresa, tipo="whatsapp", canal=canal, nome="promo", nome_whatsapp="promo_natal",
        id_externo="1002", status="PENDING", conteudo="Promoção!",
    )  # fmt: skip
    corpo = json.dumps({
        "object": "whatsapp_business_account",
        "entry": [{"id": WABA, "time": 1764921600, "changes": [{
            "field": "message_template_status_update",
            "value": {"event": "REJECTED", "message_template_id": 1002,
                      "message_template_name": "promo_natal",
                      "message_template_language": "pt_BR", "reason": "INCORRECT_CATEGORY"}}]}],
    }).encode()  # fmt: skip

    with django_capture_on_commit_callbacks(execute=True):
        assert postar_whatsapp(client, empresa.id, corpo).status_code == 200

    template.refresh_from_db()
    assert (template.status, template.motivo_status) == ("REJECTED", "INCORRECT_CATEGORY")


def test_seletor_so_oferece_aprovados_do_canal_e_preenche_variaveis(empresa, fila, canal):
    atendente = AtendenteFactory(empresa=empresa, papel=Atendente.Papel.SUPERVISOR)
    outro = canal_wa(empresa, fila, pnid="999")
    ticket = TicketFactory(empresa=empresa, canal=canal, fila=fila)
    ticket.contato.nome = "Ana Souza"
    ticket.contato.save()
    comuns = {"empresa": empresa, "tipo": "whatsapp", "conteudo": "x"}
    TemplateFactory(**comuns, nome="a-aprovado", nome_whatsapp="a", canal=canal, status="APPROVED",
                    componentes=APROVADO["components"],
                    variaveis={"1": "{{contato.primeiro_nome}}"})  # fmt: skip
    TemplateFactory(**comuns, nome="b-pendente", nome_whatsapp="b", canal=canal, status="PENDING")
    TemplateFactory(**comuns, nome="c-de-outro-numero", canal=outro, status="APPROVED")
    TemplateFactory(**comuns, nome="d-manual", status="")

    oferecidos = templates_whatsapp(atendente=atendente, ticket=ticket)

    assert [t.nome for t in oferecidos] == ["a-aprovado", "d-manual"]
    assert oferecidos[0].campos == [("header.1", ""), ("1", "Ana"), ("2", ""), ("botao.1.1", "")]


@pytest.mark.usefixtures("celery_eager")
def test_envio_preenche_as_variaveis_e_exige_as_que_faltam(
    empresa, fila, canal, httpserver, django_capture_on_commit_callbacks
):
    atendente = AtendenteFactory(empresa=empresa, papel=Atendente.Papel.SUPERVISOR)
    ticket = TicketFactory(
        empresa=empresa, canal=canal, fila=fila,
        ultima_entrada_em=timezone.now() - timedelta(days=3),
    )  # fmt: skip
    ticket.contato.nome = "Ana Souza"
    ticket.contato.save()
    template = TemplateFactory(
        empresa=empresa, tipo="whatsapp", canal=canal, nome="pedido_enviado",
        nome_whatsapp="pedido_enviado", idioma="pt_BR", status="APPROVED",
        conteudo=APROVADO["components"][1]["text"], componentes=APROVADO["components"],
        variaveis={"1": "{{contato.primeiro_nome}}", "header.1": "{{ticket.numero}}"},
    )  # fmt: skip
    with pytest.raises(RegraNegocio, match=r"2, botao\.1\.1") as exc:
        mensagem_enviar(atendente=atendente, ticket=ticket, template=template)
    assert exc.value.extras["variaveis"] == ["2", "botao.1.1"]

    httpserver.expect_request("/v23.0/106540352242922/messages", method="POST").respond_with_json(
        {"messaging_product": "whatsapp", "messages": [{"id": "wamid.X"}]}
    )
    with django_capture_on_commit_callbacks(execute=True):
        mensagem = mensagem_enviar(
            atendente=atendente, ticket=ticket, template=template,
            variaveis={"2": "42", "botao.1.1": "ABC42"},
        )  # fmt: skip

    mensagem.refresh_from_db()
    assert mensagem.status == "enviada"
    assert mensagem.conteudo == "Olá Ana, seu pedido 42 saiu para entrega."
    ((requisicao, _),) = [r for r in httpserver.log if r[0].path.endswith("/messages")]
    enviado = requisicao.get_json()["template"]
    assert enviado["name"] == "pedido_enviado"
    assert enviado["components"] == [
        {"type": "header", "parameters": [{"type": "text", "text": str(ticket.numero)}]},
        {"type": "body", "parameters": [{"type": "text", "text": "Ana"},
                                        {"type": "text", "text": "42"}]},
        {"type": "button", "sub_type": "url", "index": "1",
         "parameters": [{"type": "text", "text": "ABC42"}]},
    ]  # fmt: skip


def test_template_pendente_ou_de_outro_numero_recusado(empresa, fila, canal):
    atendente = AtendenteFactory(empresa=empresa, papel=Atendente.Papel.SUPERVISOR)
    ticket = TicketFactory(empresa=empresa, canal=canal, fila=fila)
    pendente = TemplateFactory(empresa=empresa, tipo="whatsapp", canal=canal, status="PENDING",
                               nome="p", conteudo="x", componentes=[])  # fmt: skip
    with pytest.raises(RegraNegocio, match="não está aprovado"):
        mensagem_enviar(atendente=atendente, ticket=ticket, template=pendente)
    alheio = TemplateFactory(empresa=empresa, tipo="whatsapp", status="APPROVED", nome="o",
                             canal=canal_wa(empresa, fila, pnid="777"), conteudo="x",
                             componentes=[])  # fmt: skip
    with pytest.raises(RegraNegocio, match="outro número"):
        mensagem_enviar(atendente=atendente, ticket=ticket, template=alheio)
