"""Bulk sends (``enviar_lote``): a template to a list of contacts, from the API and the admin,
opted-out contacts skipped with the reason, paced at the channel's rate, with progress and a
per-recipient result; tenant boundaries from outside."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from atendimento.models import DestinatarioLote, EnvioLote, Mensagem
from atendimento.services import lote as servico
from canais.tasks.envio import enviar_lote, enviar_mensagem
from tests.factories import (
    AtendenteFactory,
    CanalFactory,
    ContatoFactory,
    TemplateFactory,
    TicketFactory,
)

from .webhook_apoio import canal_wa


@pytest.fixture
def canal(empresa, fila):
    return canal_wa(empresa, fila, pnid="106540352242922")


@pytest.fixture
def template(empresa, canal):
    return TemplateFactory(
        empresa=empresa, tipo="whatsapp", canal=canal, nome="aviso", nome_whatsapp="aviso",
        status="APPROVED", conteudo="Olá {{1}}, temos novidades.",
        componentes=[{"type": "BODY", "text": "Olá {{1}}, temos novidades."}],
        variaveis={"1": "{{contato.primeiro_nome}}"},
    )  # fmt: skip


@pytest.fixture
def agendados(monkeypatch):
    """Every enviar_mensagem queued (with its countdown) and every enviar_lote re-run."""
    registro = {"mensagens": [], "lotes": []}
    monkeypatch.setattr(
        enviar_mensagem,
        "apply_async",
        lambda args, countdown=0, **o: registro["mensagens"].append((args[0], countdown)),
    )
    monkeypatch.setattr(
        enviar_lote,
        "apply_async",
        lambda args=None, kwargs=None, countdown=0, **o: registro["lotes"].append(
            (kwargs or {}, countdown)
        ),
    )
    return registro


def _contatos(empresa, canal):
    ana = ContatoFactory(empresa=empresa, nome="Ana Souza", telefone="5511911110001")
    saiu = ContatoFactory(
        empresa=empresa, nome="Bia", telefone="5511911110002",
        opt_out_em=timezone.now(), opt_out_motivo="respondeu STOP em 01/12/2026",
    )  # fmt: skip
    sem = ContatoFactory(empresa=empresa, nome="Caio", telefone="")
    com_ticket = ContatoFactory(empresa=empresa, nome="Davi Lima", telefone="5511911110004")
    aberto = TicketFactory(empresa=empresa, canal=canal, contato=com_ticket, fila=canal.fila_padrao)
    return ana, saiu, sem, com_ticket, aberto


def test_lote_pela_api_com_descadastro_e_ritmo(
    api_supervisor, empresa, canal, template, agendados, django_capture_on_commit_callbacks
):
    ana, saiu, sem, davi, aberto = _contatos(empresa, canal)
    corpo = {"canal": str(canal.id), "template_id": str(template.id),
             "contatos": [str(c.id) for c in (ana, saiu, sem, davi, ana)]}  # fmt: skip

    with django_capture_on_commit_callbacks(execute=True):
        resposta = api_supervisor.post(
            "/api/atendimento/mensagens/enviar-lote/", corpo, format="json"
        )

    assert resposta.status_code == 202, resposta.content
    dados = resposta.json()
    assert (dados["status"], dados["total"], dados["taxa_por_segundo"]) == ("pendente", 4, 80.0)
    ((kwargs, _),) = agendados["lotes"]
    assert kwargs == {"lote_id": dados["id"]}

    with django_capture_on_commit_callbacks(execute=True):
        enviar_lote.run(lote_id=dados["id"])

    destinatarios = api_supervisor.get(f"/api/atendimento/lotes/{dados['id']}/destinatarios/")
    linhas = {d["contato_nome"]: d for d in destinatarios.json()["results"]}
    assert {n: (d["status"], d["entrega"]) for n, d in linhas.items()} == {
        "Ana Souza": ("enfileirado", "pendente"),
        "Bia": ("ignorado", None),
        "Caio": ("erro", None),
        "Davi Lima": ("enfileirado", "pendente"),
    }
    assert linhas["Bia"]["motivo"] == "contato descadastrado: respondeu STOP em 01/12/2026"
    assert "não tem endereço" in linhas["Caio"]["motivo"]
    assert linhas["Davi Lima"]["ticket"] == str(aberto.id)  # the open ticket, not a new one
    mensagem_ana = Mensagem.objects.get(pk=linhas["Ana Souza"]["mensagem"])
    assert mensagem_ana.conteudo == "Olá Ana, temos novidades."
    assert mensagem_ana.dados["template"]["componentes"] == [
        {"type": "body", "parameters": [{"type": "text", "text": "Ana"}]}
    ]
    # paced at WhatsApp's 80 msg/s: one every 12.5 ms, in the list's order
    assert [round(c, 4) for _, c in agendados["mensagens"]] == [0, 0.013]
    lote = api_supervisor.get(f"/api/atendimento/lotes/{dados['id']}/").json()
    assert lote["status"] == "concluido"
    assert lote["progresso"] == {
        "total": 4, "processados": 4, "percentual": 100.0, "pendentes": 0, "enfileirados": 2,
        "ignorados": 1, "erros": 1, "entrega": {"pendente": 2},
    }  # fmt: skip


def test_lote_grande_vai_por_janelas_no_ritmo_do_canal(
    empresa, canal, template, supervisor, agendados, settings,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    canal.config = {**canal.config, "mensagens_por_segundo": 2}
    canal.save()
    settings.LOTE_JANELA_SEGUNDOS = 1.0
    contatos = [ContatoFactory(empresa=empresa) for _ in range(5)]
    with django_capture_on_commit_callbacks(execute=True):
        lote = servico.lote_criar(
            atendente=supervisor, canal=canal, contatos=contatos, template=template
        )
    assert lote.taxa_por_segundo == 2.0
    esperas = []
    with django_capture_on_commit_callbacks(execute=True):
        while (espera := servico.lote_processar(lote_id=lote.id)) is not None:
            esperas.append(espera)
    assert esperas == [1.0, 1.0]  # 2 per window of 1 s: 3 runs for 5 recipients
    assert [c for _, c in agendados["mensagens"]] == [0, 0.5, 0, 0.5, 0]
    lote.refresh_from_db()
    assert lote.status == "concluido"
    assert set(lote.destinatarios.values_list("status", flat=True)) == {"enfileirado"}


def test_cancelar_pula_quem_falta(api_supervisor, empresa, canal, supervisor, agendados):
    lote = servico.lote_criar(
        atendente=supervisor, canal=canal, contatos=[ContatoFactory(empresa=empresa)],
        conteudo="Aviso",
    )  # fmt: skip
    resposta = api_supervisor.post(f"/api/atendimento/lotes/{lote.id}/cancelar/")
    assert resposta.status_code == 200
    assert resposta.json()["status"] == "cancelado"
    assert DestinatarioLote.objects.get().motivo == "lote cancelado"
    assert servico.lote_processar(lote_id=lote.id) is None
    assert api_supervisor.post(f"/api/atendimento/lotes/{lote.id}/cancelar/").status_code == 422


# ------------------------------------------------------------------------------- boundaries
def test_contato_ou_canal_de_outra_empresa_404_sem_gravar(
    api_supervisor, empresa, outra_empresa, canal, template
):
    meu = ContatoFactory(empresa=empresa)
    alheio = ContatoFactory(empresa=outra_empresa)
    url = "/api/atendimento/mensagens/enviar-lote/"
    resposta = api_supervisor.post(
        url, {"canal": str(canal.id), "template_id": str(template.id),
              "contatos": [str(meu.id), str(alheio.id)]}, format="json",
    )  # fmt: skip
    assert resposta.status_code == 404
    assert resposta.json()["contatos"] == [str(alheio.id)]
    outro_canal = CanalFactory(empresa=outra_empresa)
    resposta = api_supervisor.post(
        url, {"canal": str(outro_canal.id), "conteudo": "x", "contatos": [str(meu.id)]},
        format="json",
    )  # fmt: skip
    assert resposta.status_code == 404
    outro_template = TemplateFactory(empresa=outra_empresa, nome="t", conteudo="x")
    resposta = api_supervisor.post(
        url, {"canal": str(canal.id), "template_id": str(outro_template.id),
              "contatos": [str(meu.id)]}, format="json",
    )  # fmt: skip
    assert resposta.status_code == 404
    assert EnvioLote.objects.count() == 0


def test_atendente_nao_envia_nem_ve_lotes(empresa, canal, atendente, supervisor, outra_empresa):
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import AccessToken

    def cliente(quem):
        c = APIClient()
        c.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(quem.usuario)}")
        return c

    lote = servico.lote_criar(
        atendente=supervisor, canal=canal, contatos=[ContatoFactory(empresa=empresa)],
        conteudo="Aviso",
    )  # fmt: skip
    agente = cliente(atendente)
    corpo = {
        "canal": str(canal.id),
        "conteudo": "x",
        "contatos": [str(lote.destinatarios.get().contato_id)],
    }
    assert (
        agente.post("/api/atendimento/mensagens/enviar-lote/", corpo, format="json").status_code
        == 403
    )
    assert agente.get(f"/api/atendimento/lotes/{lote.id}/").status_code == 403
    de_fora = cliente(AtendenteFactory(empresa=outra_empresa, papel="supervisor"))
    assert de_fora.get(f"/api/atendimento/lotes/{lote.id}/").status_code == 404
    assert de_fora.get(f"/api/atendimento/lotes/{lote.id}/destinatarios/").status_code == 404
    assert de_fora.post(f"/api/atendimento/lotes/{lote.id}/cancelar/").status_code == 404
    assert de_fora.get("/api/atendimento/lotes/").json()["count"] == 0


def test_lote_pelo_admin(client, empresa, outra_empresa, canal, template, supervisor, agendados):
    supervisor.usuario.is_staff = True
    supervisor.usuario.save()
    client.force_login(supervisor.usuario)
    contatos = [ContatoFactory(empresa=empresa) for _ in range(2)]
    alheio = ContatoFactory(empresa=outra_empresa)
    resposta = client.post(
        reverse("admin:atendimento_contato_changelist"),
        {"action": "enviar_em_lote", "_selected_action": [c.id for c in [*contatos, alheio]],
         "confirmar": "1", "canal": canal.id, "template": template.id},
        follow=True,
    )  # fmt: skip
    assert resposta.status_code == 200
    lote = EnvioLote.objects.get()
    assert lote.total == 2  # the other empresa's contact was never in the queryset
    assert set(lote.destinatarios.values_list("contato_id", flat=True)) == {c.id for c in contatos}
    pagina = client.get(reverse("admin:atendimento_enviolote_change", args=[lote.id]))
    assert pagina.status_code == 200
    assert "aguardando" in pagina.content.decode()
