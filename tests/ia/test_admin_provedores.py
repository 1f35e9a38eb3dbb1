"""AI provider settings in the admin: the key is write-only (masked, never rendered), bad
settings are refused with a clear message, another empresa's settings are out of reach."""

from __future__ import annotations

import pytest
from django.urls import reverse

from atendimento.models import Atendente, IntegracaoConfig
from tests.factories import AtendenteFactory, UsuarioFactory

pytestmark = pytest.mark.django_db

CHAVE = "sk-proj-segredo-do-admin-1234"


@pytest.fixture
def cliente_admin(client, empresa):
    usuario = UsuarioFactory(is_staff=True)
    AtendenteFactory(empresa=empresa, usuario=usuario, papel=Atendente.Papel.SUPERVISOR)
    client.force_login(usuario)
    return client


def _postar(cliente, configuracao: str, segredos: str = "", tipo: str = "openai", url=None):
    return cliente.post(
        url or reverse("admin:atendimento_integracaoconfig_add"),
        {"tipo": tipo, "ativo": "on", "configuracao": configuracao, "novos_segredos": segredos},
    )


def test_chave_gravada_cifrada_e_mostrada_mascarada(cliente_admin, empresa):
    resposta = _postar(
        cliente_admin,
        '{"modelo": "gpt-5.6-luna", "timeout": 10, "base_url": "https://api.openai.com/v1"}',
        f'{{"api_key": "{CHAVE}"}}',
    )
    assert resposta.status_code == 302, resposta.content.decode()[:3000]
    integracao = IntegracaoConfig.objects.get(empresa=empresa, tipo="openai")
    assert integracao.segredos == {"api_key": CHAVE}
    pagina = cliente_admin.get(
        reverse("admin:atendimento_integracaoconfig_change", args=[integracao.pk])
    ).content.decode()
    assert CHAVE not in pagina
    assert "••••1234" in pagina


@pytest.mark.parametrize(
    ("tipo", "configuracao", "mensagem"),
    [
        ("ia", '{"provider": "skynet"}', "Provedor de IA desconhecido"),
        ("ia", '{"provider": "openai", "permitir_pii": "sim"}', "permitir_pii"),
        ("openai", '{"timeout": "rápido"}', "timeout deve ser um número positivo"),
        ("anthropic", '{"max_retries": 50}', "max_retries deve ser um inteiro"),
        ("anthropic", '{"base_url": "ftp://x"}', "base_url deve começar"),
    ],
)
def test_configuracao_invalida_e_recusada(cliente_admin, empresa, tipo, configuracao, mensagem):
    resposta = _postar(cliente_admin, configuracao, tipo=tipo)
    assert resposta.status_code == 200
    assert mensagem in resposta.content.decode()
    assert not IntegracaoConfig.objects.filter(empresa=empresa).exists()


def test_configuracao_de_outra_empresa_fora_de_alcance(cliente_admin, outra_empresa):
    alheia = IntegracaoConfig.objects.create(
        empresa=outra_empresa, tipo="anthropic", segredos={"api_key": CHAVE}
    )
    lista = cliente_admin.get(reverse("admin:atendimento_integracaoconfig_changelist"))
    assert str(alheia.pk) not in lista.content.decode()
    detalhe = cliente_admin.get(
        reverse("admin:atendimento_integracaoconfig_change", args=[alheia.pk])
    )
    assert detalhe.status_code == 302
    assert CHAVE not in cliente_admin.get(detalhe["Location"]).content.decode()
