"""The composer: text, quick replies (/atalho), the WhatsApp 24-hour window and its template
picker, attachments (413/415), closed tickets, and retrying a failed message."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from atendimento.models import Mensagem, Template, Ticket
from tests.factories import FilaFactory, MensagemFactory, TemplateFactory

from .conftest import HTMX, texto

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def midia_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def ticket_aberto(novo_ticket, atendente):
    """A WhatsApp ticket inside the 24-hour window."""
    return novo_ticket(atendente=atendente, ultima_entrada_em=timezone.now())


def _saidas(ticket):
    return list(Mensagem.objects.filter(ticket=ticket, direcao=Mensagem.Direcao.SAIDA))


def test_enviar_texto(cliente_de, atendente, ticket_aberto):
    resposta = cliente_de(atendente).post(
        f"/inbox/tickets/{ticket_aberto.id}/enviar/", {"conteudo": "Olá! Já verifico."}, **HTMX
    )
    assert resposta.status_code == 200
    [mensagem] = _saidas(ticket_aberto)
    assert mensagem.conteudo == "Olá! Já verifico."
    assert mensagem.status == Mensagem.Status.PENDENTE
    assert mensagem.atendente_id == atendente.id
    eventos = json.loads(resposta["HX-Trigger"])
    assert eventos == {
        "nova_mensagem": {"ticket": str(ticket_aberto.id)},
        "tickets_atualizar": True,
    }
    html = texto(resposta)
    assert html.lstrip().startswith('<form id="composer"')
    assert '<textarea name="conteudo"' in html
    assert "Olá! Já verifico." not in html  # a fresh, empty composer


def test_texto_vazio_e_recusado_sem_gravar(cliente_de, atendente, ticket_aberto):
    resposta = cliente_de(atendente).post(
        f"/inbox/tickets/{ticket_aberto.id}/enviar/", {"conteudo": "   "}, **HTMX
    )
    assert resposta.status_code == 422
    assert "Escreva a mensagem antes de enviar." in texto(resposta)
    assert _saidas(ticket_aberto) == []
    assert "HX-Trigger" not in resposta


def test_enviar_em_ticket_de_outra_fila_e_404(cliente_de, atendente_outra_fila, ticket_aberto):
    resposta = cliente_de(atendente_outra_fila).post(
        f"/inbox/tickets/{ticket_aberto.id}/enviar/", {"conteudo": "oi"}, **HTMX
    )
    assert resposta.status_code == 404
    assert _saidas(ticket_aberto) == []


def test_enviar_em_ticket_de_outra_empresa_e_404(cliente_de, admin_outra_empresa, ticket_aberto):
    resposta = cliente_de(admin_outra_empresa).post(
        f"/inbox/tickets/{ticket_aberto.id}/enviar/", {"conteudo": "oi"}, **HTMX
    )
    assert resposta.status_code == 404
    assert _saidas(ticket_aberto) == []


def test_ticket_fechado_nao_tem_editor(cliente_de, atendente, novo_ticket):
    ticket = novo_ticket(atendente=atendente, status=Ticket.Status.FECHADO)
    cliente = cliente_de(atendente)
    html = texto(cliente.get(f"/inbox/tickets/{ticket.id}/", **HTMX))
    assert "Este ticket está fechado. Reabra-o para responder." in html
    assert "<textarea" not in html
    resposta = cliente.post(f"/inbox/tickets/{ticket.id}/enviar/", {"conteudo": "oi"}, **HTMX)
    assert resposta.status_code == 422
    assert _saidas(ticket) == []


# ------------------------------------------------------------------ 24-hour window
@pytest.mark.parametrize("ultima_entrada", [None, timedelta(hours=25)])
def test_fora_da_janela_mostra_o_seletor_de_templates(
    cliente_de, atendente, empresa, novo_ticket, ultima_entrada
):
    aprovado = TemplateFactory(
        empresa=empresa,
        tipo=Template.Tipo.WHATSAPP,
        nome="retomar_conversa",
        atalho="",
        nome_whatsapp="retomar_conversa",
        conteudo="Olá {{1}}, podemos continuar?",
    )
    TemplateFactory(
        empresa=empresa, tipo=Template.Tipo.WHATSAPP, atalho="", ativo=False, nome="velho"
    )
    TemplateFactory(empresa=empresa, nome="rapida")  # quick replies are not offered here
    quando = timezone.now() - ultima_entrada if ultima_entrada else None
    ticket = novo_ticket(atendente=atendente, ultima_entrada_em=quando)
    html = texto(cliente_de(atendente).get(f"/inbox/tickets/{ticket.id}/", **HTMX))
    assert "A janela de 24 horas do WhatsApp está fechada" in html
    assert "<textarea" not in html
    assert f'<option value="{aprovado.id}">retomar_conversa (pt_BR)</option>' in html
    assert "velho" not in html
    assert "rapida" not in html


def test_fora_da_janela_texto_livre_e_recusado_e_template_e_enviado(
    cliente_de, atendente, empresa, novo_ticket
):
    aprovado = TemplateFactory(
        empresa=empresa,
        tipo=Template.Tipo.WHATSAPP,
        nome="retomar",
        atalho="",
        nome_whatsapp="retomar",
        conteudo="Podemos continuar?",
    )
    ticket = novo_ticket(atendente=atendente, ultima_entrada_em=None)
    cliente = cliente_de(atendente)
    recusa = cliente.post(f"/inbox/tickets/{ticket.id}/enviar/", {"conteudo": "oi"}, **HTMX)
    assert recusa.status_code == 422
    assert "janela de 24 horas" in texto(recusa)
    assert '<select name="template"' in texto(recusa)
    assert _saidas(ticket) == []

    envio = cliente.post(f"/inbox/tickets/{ticket.id}/enviar/", {"template": aprovado.id}, **HTMX)
    assert envio.status_code == 200
    [mensagem] = _saidas(ticket)
    assert mensagem.template_id == aprovado.id
    assert mensagem.dados["template"]["nome"] == "retomar"
    assert mensagem.conteudo == "Podemos continuar?"


def test_template_sincronizado_mostra_e_envia_as_variaveis(
    cliente_de, atendente, empresa, canal_whatsapp, novo_ticket
):
    ticket = novo_ticket(atendente=atendente, ultima_entrada_em=None)
    ticket.contato.nome = "Ana Souza"
    ticket.contato.save()
    corpo = "Olá {{1}}, seu pedido {{2}} saiu."
    sincronizado = TemplateFactory(
        empresa=empresa, tipo=Template.Tipo.WHATSAPP, nome="pedido", atalho="",
        nome_whatsapp="pedido", canal=canal_whatsapp, status="APPROVED", conteudo=corpo,
        componentes=[{"type": "BODY", "text": corpo}],
        variaveis={"1": "{{contato.primeiro_nome}}", "2": ""},
    )  # fmt: skip
    TemplateFactory(
        empresa=empresa, tipo=Template.Tipo.WHATSAPP, nome="em_analise", atalho="",
        nome_whatsapp="em_analise", canal=canal_whatsapp, status="PENDING", conteudo="x",
    )  # fmt: skip
    cliente = cliente_de(atendente)
    html = texto(cliente.get(f"/inbox/tickets/{ticket.id}/", **HTMX))
    assert f'name="var-{sincronizado.id}-1" value="Ana"' in html
    assert f'name="var-{sincronizado.id}-2" value=""' in html
    assert "em_analise" not in html  # only APPROVED templates are offered

    faltando = cliente.post(
        f"/inbox/tickets/{ticket.id}/enviar/", {"template": sincronizado.id}, **HTMX
    )
    assert faltando.status_code == 422
    assert "Preencha as variáveis" in texto(faltando)
    envio = cliente.post(
        f"/inbox/tickets/{ticket.id}/enviar/",
        {"template": sincronizado.id, f"var-{sincronizado.id}-1": "Ana",
         f"var-{sincronizado.id}-2": "42"},
        **HTMX,
    )  # fmt: skip
    assert envio.status_code == 200
    [mensagem] = _saidas(ticket)
    assert mensagem.conteudo == "Olá Ana, seu pedido 42 saiu."


def test_sem_templates_aprovados_explica(cliente_de, atendente, novo_ticket):
    ticket = novo_ticket(atendente=atendente, ultima_entrada_em=None)
    html = texto(cliente_de(atendente).get(f"/inbox/tickets/{ticket.id}/", **HTMX))
    assert "Nenhum template aprovado do WhatsApp está cadastrado." in html


def test_telegram_nao_tem_janela(cliente_de, atendente, canal_telegram, novo_ticket):
    ticket = novo_ticket(atendente=atendente, canal=canal_telegram, ultima_entrada_em=None)
    html = texto(cliente_de(atendente).get(f"/inbox/tickets/{ticket.id}/", **HTMX))
    assert "<textarea" in html
    assert "janela de 24 horas" not in html


# ------------------------------------------------------------------ quick replies
@pytest.fixture
def saudacao(empresa):
    return TemplateFactory(
        empresa=empresa,
        nome="Saudação",
        atalho="/saudacao",
        conteudo="Olá {{contato.primeiro_nome}}, aqui é {{atendente.nome}}. Como posso ajudar?",
    )


def test_sugestoes_de_respostas_rapidas(
    cliente_de, atendente, empresa, outra_empresa, outra_fila, ticket_aberto, saudacao
):
    ticket_aberto.contato.nome = "Maria Souza"
    ticket_aberto.contato.save()
    TemplateFactory(empresa=empresa, nome="Sumiço", atalho="/sumico", conteudo="Vamos ver.")
    TemplateFactory(empresa=empresa, atalho="/sair", ativo=False)
    TemplateFactory(empresa=empresa, atalho="/sabado", fila=outra_fila)
    TemplateFactory(empresa=empresa, atalho="/saldo", tipo=Template.Tipo.WHATSAPP)
    TemplateFactory(empresa=outra_empresa, atalho="/saudacao-alheia", conteudo="alheia")
    cliente = cliente_de(atendente)
    url = f"/inbox/tickets/{ticket_aberto.id}/respostas-rapidas/"

    html = texto(cliente.get(url, {"conteudo": "/s"}, **HTMX))
    atalhos = [
        linha for linha in ("/saudacao", "/sumico", "/sair", "/sabado", "/saldo") if linha in html
    ]
    assert atalhos == ["/saudacao", "/sumico"]
    assert "alheia" not in html
    assert "Olá Maria, aqui é Beto Atendente. Como posso ajudar?" in html
    assert f'hx-get="/inbox/tickets/{ticket_aberto.id}/composer/?resposta={saudacao.id}"' in html

    assert "/sumico" not in texto(cliente.get(url, {"conteudo": "/sau"}, **HTMX))
    assert texto(cliente.get(url, {"conteudo": "oi /sau"}, **HTMX)).strip() == ""
    assert texto(cliente.get(url, {"conteudo": ""}, **HTMX)).strip() == ""


def test_resposta_rapida_de_outra_fila_nao_aparece_nem_abre(
    cliente_de, atendente, empresa, ticket_aberto
):
    alheia = TemplateFactory(empresa=empresa, atalho="/fin", fila=FilaFactory(empresa=empresa))
    cliente = cliente_de(atendente)
    url = f"/inbox/tickets/{ticket_aberto.id}/respostas-rapidas/"
    assert "/fin" not in texto(cliente.get(url, {"conteudo": "/f"}, **HTMX))
    resposta = cliente.get(
        f"/inbox/tickets/{ticket_aberto.id}/composer/?resposta={alheia.id}", **HTMX
    )
    assert resposta.status_code == 404


def test_escolher_resposta_rapida_preenche_o_editor(cliente_de, atendente, ticket_aberto, saudacao):
    ticket_aberto.contato.nome = "Maria Souza"
    ticket_aberto.contato.save()
    html = texto(
        cliente_de(atendente).get(
            f"/inbox/tickets/{ticket_aberto.id}/composer/?resposta={saudacao.id}", **HTMX
        )
    )
    assert f'<input type="hidden" name="resposta_rapida" value="{saudacao.id}">' in html
    assert "autofocus>Olá Maria, aqui é Beto Atendente. Como posso ajudar?</textarea>" in html


def test_resposta_rapida_de_outra_empresa_e_404(
    cliente_de, atendente, outra_empresa, ticket_aberto
):
    alheia = TemplateFactory(empresa=outra_empresa, atalho="/x")
    resposta = cliente_de(atendente).get(
        f"/inbox/tickets/{ticket_aberto.id}/composer/?resposta={alheia.id}", **HTMX
    )
    assert resposta.status_code == 404


def test_enviar_resposta_rapida_editada(cliente_de, atendente, ticket_aberto, saudacao):
    resposta = cliente_de(atendente).post(
        f"/inbox/tickets/{ticket_aberto.id}/enviar/",
        {"conteudo": "Olá Maria! Um instante.", "resposta_rapida": saudacao.id},
        **HTMX,
    )
    assert resposta.status_code == 200
    [mensagem] = _saidas(ticket_aberto)
    assert mensagem.template_id == saudacao.id
    assert mensagem.conteudo == "Olá Maria! Um instante."


def test_composer_com_sugestao_da_ia(cliente_de, atendente, ticket_aberto):
    from ia.models import AIResposta

    sugestao = AIResposta.objects.create(
        empresa=ticket_aberto.empresa,
        ticket=ticket_aberto,
        pergunta="prazo?",
        resposta="O prazo de entrega é de 5 dias úteis.",
        provider="local",
    )
    html = texto(
        cliente_de(atendente).get(
            f"/inbox/tickets/{ticket_aberto.id}/composer/?sugestao={sugestao.id}", **HTMX
        )
    )
    assert "autofocus>O prazo de entrega é de 5 dias úteis.</textarea>" in html


# ------------------------------------------------------------------ attachments
def test_enviar_anexo(cliente_de, atendente, ticket_aberto, midia_tmp):
    arquivo = SimpleUploadedFile("foto.png", PNG, content_type="image/png")
    resposta = cliente_de(atendente).post(
        f"/inbox/tickets/{ticket_aberto.id}/enviar/",
        {"conteudo": "segue a foto", "arquivo": arquivo},
        **HTMX,
    )
    assert resposta.status_code == 200, texto(resposta)
    [mensagem] = _saidas(ticket_aberto)
    assert mensagem.tipo == Mensagem.Tipo.IMAGEM
    assert mensagem.conteudo == "segue a foto"
    assert mensagem.midia_nome == "foto.png"
    assert mensagem.status == Mensagem.Status.PENDENTE


def test_anexo_de_tipo_nao_aceito_e_415(cliente_de, atendente, ticket_aberto, midia_tmp):
    arquivo = SimpleUploadedFile(
        "programa.exe", b"MZ\x90\x00", content_type="application/x-msdownload"
    )
    resposta = cliente_de(atendente).post(
        f"/inbox/tickets/{ticket_aberto.id}/enviar/",
        {"conteudo": "instale", "arquivo": arquivo},
        **HTMX,
    )
    assert resposta.status_code == 415
    html = texto(resposta)
    assert 'class="alerta alerta--erro" role="alert"' in html
    assert "application/x-msdownload não são aceitos pelo WhatsApp" in html
    assert ">instale</textarea>" in html  # the text is kept
    assert _saidas(ticket_aberto) == []
    assert list(midia_tmp.rglob("*.*")) == []


def test_anexo_grande_demais_e_413(cliente_de, atendente, ticket_aberto, midia_tmp):
    figurinha = SimpleUploadedFile(
        "figurinha.webp", b"RIFF" + b"\x00" * (600 * 1024), content_type="image/webp"
    )
    resposta = cliente_de(atendente).post(
        f"/inbox/tickets/{ticket_aberto.id}/enviar/", {"arquivo": figurinha}, **HTMX
    )
    assert resposta.status_code == 413
    assert "o WhatsApp aceita até" in texto(resposta)
    assert _saidas(ticket_aberto) == []


# ------------------------------------------------------------------ retry
def test_reenviar_mensagem_com_erro(cliente_de, atendente, ticket_aberto):
    mensagem = MensagemFactory(
        ticket=ticket_aberto,
        direcao=Mensagem.Direcao.SAIDA,
        remetente_tipo="atendente",
        status=Mensagem.Status.ERRO,
        erro_codigo="131000",
        erro_detalhe="Falha no provedor",
    )
    resposta = cliente_de(atendente).post(f"/inbox/mensagens/{mensagem.id}/reenviar/", **HTMX)
    assert resposta.status_code == 200
    mensagem.refresh_from_db()
    assert mensagem.status == Mensagem.Status.PENDENTE
    assert mensagem.erro_detalhe == ""
    html = texto(resposta)
    assert 'class="ticks ticks--pendente"' in html
    assert "Tentar de novo" not in html


def test_reenviar_mensagem_entregue_e_recusado(cliente_de, atendente, ticket_aberto):
    mensagem = MensagemFactory(
        ticket=ticket_aberto,
        direcao=Mensagem.Direcao.SAIDA,
        remetente_tipo="atendente",
        status=Mensagem.Status.ENTREGUE,
        id_externo="wamid.1",
    )
    resposta = cliente_de(atendente).post(f"/inbox/mensagens/{mensagem.id}/reenviar/", **HTMX)
    assert resposta.status_code == 422
    assert "Só mensagens com erro" in texto(resposta)
    mensagem.refresh_from_db()
    assert mensagem.status == Mensagem.Status.ENTREGUE


def test_reenviar_em_outra_fila_e_404(cliente_de, atendente_outra_fila, ticket_aberto):
    mensagem = MensagemFactory(
        ticket=ticket_aberto,
        direcao=Mensagem.Direcao.SAIDA,
        remetente_tipo="atendente",
        status=Mensagem.Status.ERRO,
    )
    resposta = cliente_de(atendente_outra_fila).post(f"/inbox/mensagens/{mensagem.id}/reenviar/")
    assert resposta.status_code == 404
    mensagem.refresh_from_db()
    assert mensagem.status == Mensagem.Status.ERRO


def test_formulario_invalido_e_400(cliente_de, atendente, ticket_aberto):
    resposta = cliente_de(atendente).post(
        f"/inbox/tickets/{ticket_aberto.id}/enviar/",
        {"conteudo": "oi", "template": "nao-e-uuid"},
        **HTMX,
    )
    assert resposta.status_code == 400
    assert 'class="alerta alerta--erro" role="alert"' in texto(resposta)
    assert _saidas(ticket_aberto) == []
