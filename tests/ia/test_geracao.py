"""ia.services.geracao: what any external provider's call goes through (masking, fall-back to
the local provider, the failed attempt accounted, the interactive limit)."""

from __future__ import annotations

from typing import Literal

import pytest
from pydantic import BaseModel

from ia.models import AIMetrica
from ia.provedores import ConfigProvedor, Pedido, Provedor, Resultado
from ia.services import geracao

pytestmark = pytest.mark.django_db


class Eco(BaseModel):
    valor: Literal["ok"]


class Falso(Provedor):
    """An external provider recording what it was sent; ``falha`` is raised when set."""

    nome = "openai"

    def __init__(self, falha: Exception | None = None) -> None:
        super().__init__("falso-1")
        self.config = ConfigProvedor(nome="openai", modelo="falso-1", api_key="k", timeout=20)
        self.falha = falha
        self.recebidos: list[Pedido] = []

    def gerar(self, pedido: Pedido) -> Resultado:
        self.recebidos.append(pedido)
        if self.falha:
            raise self.falha
        return Resultado(dados={"valor": "ok"}, provider=self.nome, modelo=self.modelo)

    def embutir(self, textos, tipo="query"):
        raise NotImplementedError


def _pedido() -> Pedido:
    return Pedido(
        tarefa="eco",
        instrucoes="Responda ok.",
        entradas={
            "mensagem_cliente": "meu cpf 529.982.247-25",
            "trechos_base_conhecimento": [{"texto": "SAC (11) 3456-7890"}],
        },
        esquema=Eco,
        local=lambda _e: {"valor": "ok"},
    )


def test_mascara_o_cliente_e_nao_a_base_da_empresa(empresa):
    provedor = Falso()
    gerada = geracao.gerar(
        empresa_id=empresa.pk, funcionalidade="teste", pedido=_pedido(), provedor=provedor
    )
    assert (gerada.provider, gerada.erro) == ("openai", None)
    (enviado,) = provedor.recebidos
    assert enviado.entradas["mensagem_cliente"] == "meu cpf [CPF]"
    assert enviado.entradas["trechos_base_conhecimento"] == [{"texto": "SAC (11) 3456-7890"}]
    provedor.permitir_pii = True
    geracao.gerar(
        empresa_id=empresa.pk, funcionalidade="teste", pedido=_pedido(), provedor=provedor
    )
    assert provedor.recebidos[1].entradas["mensagem_cliente"] == "meu cpf 529.982.247-25"


def test_defeito_do_provedor_cai_para_local_e_e_contado(empresa, caplog):
    provedor = Falso(falha=RuntimeError("bug"))
    gerada = geracao.gerar(
        empresa_id=empresa.pk, funcionalidade="teste", pedido=_pedido(), provedor=provedor
    )
    assert gerada.provider == "local"
    assert gerada.dados == {"valor": "ok"}
    assert gerada.erro.startswith("indisponivel")
    falha = AIMetrica.objects.get(empresa=empresa, provider="openai", funcionalidade="teste")
    assert (falha.chamadas, falha.erros) == (1, 1)


def test_interativo_sem_novas_tentativas_e_com_prazo_curto(settings):
    settings.AI_TIMEOUT_INTERATIVO = 3.0
    from ia.provedores import construir

    provedor = construir(
        ConfigProvedor(nome="anthropic", modelo="m", api_key="k", timeout=20, max_retries=4)
    )
    provedor.permitir_pii = True
    limitado = geracao.limitar(provedor, settings.AI_TIMEOUT_INTERATIVO)
    assert (limitado.config.timeout, limitado.config.max_retries) == (3.0, 0)
    assert limitado.permitir_pii is True
    local = geracao.provedor_local()
    assert geracao.limitar(local, 1.0) is local
