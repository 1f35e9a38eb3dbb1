"""provedor_para(empresa): the empresa's IntegracaoConfig first, then the environment; never
another empresa's configuration."""

from __future__ import annotations

import pytest

from atendimento.models import IntegracaoConfig
from ia.provedores import PROVEDORES, provedor_para
from ia.provedores.anthropic import ProvedorAnthropic
from ia.provedores.local import ProvedorLocal
from ia.provedores.openai import ProvedorOpenAI

pytestmark = pytest.mark.django_db


def test_registro_tem_os_tres():
    assert set(PROVEDORES) >= {"local", "openai", "anthropic"}


def test_padrao_e_local(empresa, settings):
    settings.AI_PROVIDER = "local"
    provedor = provedor_para(empresa)
    assert isinstance(provedor, ProvedorLocal)
    assert provedor.externo is False


def test_ambiente_escolhe_openai(empresa, settings):
    settings.AI_PROVIDER = "openai"
    settings.OPENAI_API_KEY = "sk-env"
    settings.OPENAI_MODEL = "gpt-5.6-luna"
    settings.OPENAI_BASE_URL = "http://ia.interna/v1"
    settings.AI_TIMEOUT = 7.5
    settings.AI_MAX_RETRIES = 4
    provedor = provedor_para(empresa)
    assert isinstance(provedor, ProvedorOpenAI)
    assert provedor.modelo == "gpt-5.6-luna"
    assert provedor.config.base_url == "http://ia.interna/v1"
    assert (provedor.config.timeout, provedor.config.max_retries) == (7.5, 4)
    assert provedor.config.api_key == "sk-env"


def test_externo_sem_chave_cai_para_local(empresa, settings, caplog):
    settings.AI_PROVIDER = "anthropic"
    settings.ANTHROPIC_API_KEY = ""
    assert isinstance(provedor_para(empresa), ProvedorLocal)
    assert "sem chave" in caplog.text


def test_provedor_desconhecido_cai_para_local(empresa, settings):
    settings.AI_PROVIDER = "skynet"
    assert isinstance(provedor_para(empresa), ProvedorLocal)


def test_configuracao_da_empresa_vence_o_ambiente(empresa, outra_empresa, settings):
    settings.AI_PROVIDER = "openai"
    settings.OPENAI_API_KEY = "sk-env"
    settings.ANTHROPIC_API_KEY = ""
    IntegracaoConfig.objects.create(
        empresa=empresa, tipo="ia", configuracao={"provider": "anthropic", "permitir_pii": True}
    )
    IntegracaoConfig.objects.create(
        empresa=empresa,
        tipo="anthropic",
        configuracao={"modelo": "claude-haiku-5-5", "base_url": "http://a.local", "timeout": "3"},
        segredos={"api_key": "sk-ant-empresa"},
    )
    provedor = provedor_para(empresa)
    assert isinstance(provedor, ProvedorAnthropic)
    assert provedor.modelo == "claude-haiku-5-5"
    assert provedor.config.api_key == "sk-ant-empresa"
    assert provedor.config.base_url == "http://a.local"
    assert provedor.config.timeout == 3.0
    assert provedor.permitir_pii is True
    # the other empresa keeps the environment's choice, never this empresa's key
    outro = provedor_para(outra_empresa)
    assert isinstance(outro, ProvedorOpenAI)
    assert outro.config.api_key == "sk-env"
    assert outro.permitir_pii is False
    assert provedor_para(empresa.pk).nome == "anthropic"


def test_linha_inativa_e_ignorada(empresa, settings):
    settings.AI_PROVIDER = "local"
    IntegracaoConfig.objects.create(
        empresa=empresa, tipo="ia", ativo=False, configuracao={"provider": "openai"}
    )
    IntegracaoConfig.objects.create(empresa=empresa, tipo="openai", segredos={"api_key": "sk-x"})
    assert isinstance(provedor_para(empresa), ProvedorLocal)


def test_configuracao_invalida_usa_o_padrao(empresa, settings):
    settings.AI_TIMEOUT = 20.0
    IntegracaoConfig.objects.create(empresa=empresa, tipo="ia", configuracao={"provider": "openai"})
    IntegracaoConfig.objects.create(
        empresa=empresa,
        tipo="openai",
        configuracao={"timeout": "rápido", "max_retries": None},
        segredos={"api_key": "sk-x"},
    )
    provedor = provedor_para(empresa)
    assert provedor.config.timeout == 20.0
    assert provedor.config.max_retries == settings.AI_MAX_RETRIES
