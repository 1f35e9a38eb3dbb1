"""Mensagens: list by ticket, detail, enviar, enviar-midia (413/415), marcar-lida."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from atendimento.models import Mensagem, Ticket
from tests.factories import MensagemFactory, TemplateFactory, TicketFactory

from .conftest import API

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def ticket_na_janela(ticket):
    """The customer wrote a minute ago: WhatsApp's 24 h window is open."""
    Ticket.objects.filter(pk=ticket.pk).update(
        ultima_entrada_em=timezone.now() - timedelta(minutes=1)
    )
    ticket.refresh_from_db()
    return ticket


# ------------------------------------------------------------------------------- reads
def test_listar_por_ticket_da_mais_antiga_para_a_mais_nova(
    api_atendente, ticket, ticket_outra_fila
):
    base = timezone.now() - timedelta(hours=1)
    segunda = MensagemFactory(ticket=ticket, conteudo="segunda", data=base + timedelta(minutes=2))
    primeira = MensagemFactory(ticket=ticket, conteudo="primeira", data=base)
    MensagemFactory(ticket=ticket_outra_fila, conteudo="invisível")

    por_ticket = api_atendente.get(f"{API}/mensagens/", {"ticket": str(ticket.id)})
    todas = api_atendente.get(f"{API}/mensagens/")

    assert por_ticket.status_code == 200
    assert [m["id"] for m in por_ticket.json()["results"]] == [str(primeira.id), str(segunda.id)]
    assert [m["conteudo"] for m in todas.json()["results"]] == ["primeira", "segunda"]
    item = por_ticket.json()["results"][0]
    assert item["direcao"] == "entrada"
    assert item["midia"] is None
    assert item["ticket"] == str(ticket.id)


def test_listar_filtros(api_admin, ticket):
    MensagemFactory(ticket=ticket, direcao="saida", remetente_tipo="atendente", status="erro")
    MensagemFactory(ticket=ticket)

    saida = api_admin.get(f"{API}/mensagens/", {"direcao": "saida"}).json()
    erro = api_admin.get(f"{API}/mensagens/", {"status": "erro"}).json()

    assert saida["count"] == 1
    assert erro["count"] == 1
    assert api_admin.get(f"{API}/mensagens/", {"status": "xyz"}).status_code == 400


def test_listar_ticket_invisivel_ou_de_outra_empresa_404(
    api_atendente, ticket_outra_fila, api_admin, ticket_outra_empresa
):
    MensagemFactory(ticket=ticket_outra_empresa)

    assert (
        api_atendente.get(f"{API}/mensagens/", {"ticket": str(ticket_outra_fila.id)}).status_code
        == 404
    )
    assert (
        api_admin.get(f"{API}/mensagens/", {"ticket": str(ticket_outra_empresa.id)}).status_code
        == 404
    )
    assert api_admin.get(f"{API}/mensagens/").json()["count"] == 0


def test_detalhe_com_midia(api_admin, ticket):
    mensagem = MensagemFactory(
        ticket=ticket,
        tipo="imagem",
        midia_mime="image/jpeg",
        midia_nome="foto.jpg",
        midia_tamanho=1234,
        midia_status="disponivel",
    )

    corpo = api_admin.get(f"{API}/mensagens/{mensagem.id}/").json()

    assert corpo["midia"] == {
        "url": f"/midia/{mensagem.id}/",
        "mime": "image/jpeg",
        "tamanho": 1234,
        "nome": "foto.jpg",
        "status": "disponivel",
    }


def test_detalhe_404(api_atendente, ticket_outra_fila, api_admin, ticket_outra_empresa):
    invisivel = MensagemFactory(ticket=ticket_outra_fila)
    alheia = MensagemFactory(ticket=ticket_outra_empresa)

    assert api_atendente.get(f"{API}/mensagens/{invisivel.id}/").status_code == 404
    assert api_admin.get(f"{API}/mensagens/{alheia.id}/").status_code == 404
    assert api_admin.get(f"{API}/mensagens/{invisivel.id}/").status_code == 200


# ------------------------------------------------------------------------------- enviar
def test_enviar_texto_cria_pendente(api_atendente, atendente, ticket_na_janela):
    resposta = api_atendente.post(
        f"{API}/mensagens/enviar/", {"ticket_id": str(ticket_na_janela.id), "conteudo": "Olá!"}
    )

    assert resposta.status_code == 201, resposta.content
    corpo = resposta.json()
    assert (corpo["status"], corpo["direcao"], corpo["conteudo"]) == ("pendente", "saida", "Olá!")
    mensagem = Mensagem.objects.get(pk=corpo["id"])
    assert mensagem.atendente == atendente
    ticket_na_janela.refresh_from_db()
    assert ticket_na_janela.primeira_resposta_em is not None


def test_enviar_com_template_e_responder_a(api_admin, ticket_na_janela, empresa):
    template = TemplateFactory(empresa=empresa, conteudo="Oi {{contato.nome}}!")
    original = MensagemFactory(ticket=ticket_na_janela, id_externo="wamid.original")

    resposta = api_admin.post(
        f"{API}/mensagens/enviar/",
        {
            "ticket_id": str(ticket_na_janela.id),
            "template_id": str(template.id),
            "responder_a": str(original.id),
        },
    )

    assert resposta.status_code == 201, resposta.content
    corpo = resposta.json()
    assert corpo["conteudo"] == f"Oi {ticket_na_janela.contato.nome}!"
    assert corpo["responder_a"] == str(original.id)


def test_enviar_fora_da_janela_422_sem_gravar(api_admin, ticket):
    resposta = api_admin.post(
        f"{API}/mensagens/enviar/", {"ticket_id": str(ticket.id), "conteudo": "Olá"}
    )

    assert resposta.status_code == 422
    assert "template" in resposta.json()["detail"]
    assert not Mensagem.objects.exists()


def test_enviar_404_para_ids_de_outra_empresa_ou_invisiveis(
    api_admin,
    api_atendente,
    ticket_na_janela,
    ticket_outra_fila,
    ticket_outra_empresa,
    outra_empresa,
):
    template_alheio = TemplateFactory(empresa=outra_empresa)
    mensagem_alheia = MensagemFactory(ticket=ticket_outra_empresa)
    base = {"ticket_id": str(ticket_na_janela.id), "conteudo": "x"}

    casos = [
        (api_admin, {"ticket_id": str(ticket_outra_empresa.id), "conteudo": "x"}),
        (api_atendente, {"ticket_id": str(ticket_outra_fila.id), "conteudo": "x"}),
        (api_admin, {**base, "template_id": str(template_alheio.id)}),
        (api_admin, {**base, "responder_a": str(mensagem_alheia.id)}),
    ]
    for cliente, corpo in casos:
        assert cliente.post(f"{API}/mensagens/enviar/", corpo).status_code == 404, corpo
    assert not Mensagem.objects.filter(direcao="saida").exists()


def test_enviar_validacao(api_admin, ticket_na_janela):
    vazio = api_admin.post(f"{API}/mensagens/enviar/", {"ticket_id": str(ticket_na_janela.id)})
    sem_ticket = api_admin.post(f"{API}/mensagens/enviar/", {"conteudo": "x"})
    longo = api_admin.post(
        f"{API}/mensagens/enviar/", {"ticket_id": str(ticket_na_janela.id), "conteudo": "x" * 5000}
    )

    assert vazio.status_code == 400
    assert "conteudo" in vazio.json()
    assert sem_ticket.status_code == 400
    assert longo.status_code == 400
    assert not Mensagem.objects.exists()


def test_enviar_em_ticket_fechado_422(api_admin, ticket_na_janela):
    Ticket.objects.filter(pk=ticket_na_janela.pk).update(status="fechado")

    resposta = api_admin.post(
        f"{API}/mensagens/enviar/", {"ticket_id": str(ticket_na_janela.id), "conteudo": "x"}
    )

    assert resposta.status_code == 422


# ------------------------------------------------------------------------------- enviar-midia
def enviar_midia(cliente, ticket, arquivo, **extra):
    return cliente.post(
        f"{API}/mensagens/enviar-midia/",
        {"ticket_id": str(ticket.id), "arquivo": arquivo, **extra},
        format="multipart",
    )


def test_enviar_midia(api_atendente, ticket_na_janela):
    resposta = enviar_midia(
        api_atendente,
        ticket_na_janela,
        SimpleUploadedFile("foto.png", PNG, content_type="image/png"),
        legenda="Veja",
    )

    assert resposta.status_code == 201, resposta.content
    corpo = resposta.json()
    assert (corpo["tipo"], corpo["status"], corpo["conteudo"]) == ("imagem", "pendente", "Veja")
    assert corpo["midia"]["mime"] == "image/png"
    assert corpo["midia"]["tamanho"] == len(PNG)
    mensagem = Mensagem.objects.get(pk=corpo["id"])
    assert mensagem.midia_arquivo.read() == PNG


def test_enviar_midia_413_acima_do_limite_do_canal(api_admin, ticket_na_janela):
    grande = SimpleUploadedFile(
        "grande.png", b"0" * (5 * 1024 * 1024 + 1), content_type="image/png"
    )

    resposta = enviar_midia(api_admin, ticket_na_janela, grande)

    assert resposta.status_code == 413
    assert resposta.json()["codigo"] == "arquivo_grande"
    assert not Mensagem.objects.exists()


def test_enviar_midia_415_tipo_nao_aceito(api_admin, ticket_na_janela):
    exe = SimpleUploadedFile("virus.exe", b"MZ\x90\x00", content_type="application/x-msdownload")

    resposta = enviar_midia(api_admin, ticket_na_janela, exe)

    assert resposta.status_code == 415
    assert not Mensagem.objects.exists()


def test_enviar_midia_validacao_e_404(api_admin, ticket_na_janela, ticket_outra_empresa):
    sem_arquivo = api_admin.post(
        f"{API}/mensagens/enviar-midia/",
        {"ticket_id": str(ticket_na_janela.id)},
        format="multipart",
    )
    alheio = enviar_midia(
        api_admin, ticket_outra_empresa, SimpleUploadedFile("a.png", PNG, content_type="image/png")
    )
    json = api_admin.post(f"{API}/mensagens/enviar-midia/", {"ticket_id": str(ticket_na_janela.id)})

    assert sem_arquivo.status_code == 400
    assert alheio.status_code == 404
    assert json.status_code == 415  # multipart only
    assert not Mensagem.objects.exists()


# ------------------------------------------------------------------------------- marcar-lida
def test_marcar_lida_por_ticket(api_atendente, ticket):
    for _ in range(3):
        MensagemFactory(ticket=ticket)
    Ticket.objects.filter(pk=ticket.pk).update(nao_lidas=3)

    resposta = api_atendente.post(f"{API}/mensagens/marcar-lida/", {"ticket_id": str(ticket.id)})

    assert resposta.status_code == 200
    assert resposta.json() == {"marcadas": 3}
    ticket.refresh_from_db()
    assert ticket.nao_lidas == 0
    assert not Mensagem.objects.filter(lida_pelo_atendente=False).exists()


def test_marcar_lida_por_ids(api_admin, ticket):
    a, b = MensagemFactory(ticket=ticket), MensagemFactory(ticket=ticket)
    Ticket.objects.filter(pk=ticket.pk).update(nao_lidas=2)

    resposta = api_admin.post(f"{API}/mensagens/marcar-lida/", {"mensagem_ids": [str(a.id)]})

    assert resposta.json() == {"marcadas": 1}
    ticket.refresh_from_db()
    assert ticket.nao_lidas == 1
    b.refresh_from_db()
    assert b.lida_pelo_atendente is False


def test_marcar_lida_404_e_validacao(
    api_admin, api_atendente, ticket, ticket_outra_fila, ticket_outra_empresa
):
    alheia = MensagemFactory(ticket=ticket_outra_empresa)
    invisivel = MensagemFactory(ticket=ticket_outra_fila)
    minha = MensagemFactory(ticket=ticket)

    assert (
        api_admin.post(
            f"{API}/mensagens/marcar-lida/", {"mensagem_ids": [str(minha.id), str(alheia.id)]}
        ).status_code
        == 404
    )
    assert (
        api_atendente.post(
            f"{API}/mensagens/marcar-lida/", {"mensagem_ids": [str(invisivel.id)]}
        ).status_code
        == 404
    )
    assert (
        api_admin.post(
            f"{API}/mensagens/marcar-lida/", {"ticket_id": str(ticket_outra_empresa.id)}
        ).status_code
        == 404
    )
    assert api_admin.post(f"{API}/mensagens/marcar-lida/", {}).status_code == 400
    ambos = {"ticket_id": str(ticket.id), "mensagem_ids": [str(minha.id)]}
    assert api_admin.post(f"{API}/mensagens/marcar-lida/", ambos).status_code == 400
    assert not Mensagem.objects.filter(lida_pelo_atendente=True).exists()


def test_ticket_vizinho_nao_e_afetado(api_admin, ticket, empresa, canal_whatsapp):
    vizinho = TicketFactory(empresa=empresa, canal=canal_whatsapp)
    MensagemFactory(ticket=vizinho)

    api_admin.post(f"{API}/mensagens/marcar-lida/", {"ticket_id": str(ticket.id)})

    assert Mensagem.objects.get(ticket=vizinho).lida_pelo_atendente is False
