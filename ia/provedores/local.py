"""The offline provider (the default): no network, no key. Each ``Pedido`` carries its own
offline way to produce the schema (rules and few-shot classifiers of ``ia.local.nlp``, extractive
answers from the knowledge base); embeddings are the in-process e5 model (``ia.embeddings``)."""

from __future__ import annotations

import time

from .base import ErroProvedor, Pedido, Provedor, Resultado
from .catalogo import registrar


@registrar
class ProvedorLocal(Provedor):
    nome = "local"
    externo = False

    def __init__(self, modelo: str = "") -> None:
        from ia.embeddings import MODELO

        super().__init__(modelo or MODELO)

    def gerar(self, pedido: Pedido) -> Resultado:
        inicio = time.perf_counter()
        dados = pedido.validar(pedido.local(pedido.entradas))
        return Resultado(
            dados=dados,
            provider=self.nome,
            modelo=self.modelo,
            latencia_ms=int((time.perf_counter() - inicio) * 1000),
        )

    def embutir(self, textos: list[str], tipo: str = "query") -> Resultado:
        from ia.embeddings import embutir

        inicio = time.perf_counter()
        try:
            vetores = embutir(textos, tipo=tipo)
        except ValueError as exc:
            raise ErroProvedor("recusado", str(exc)) from exc
        return Resultado(
            dados=vetores,
            provider=self.nome,
            modelo=self.modelo,
            latencia_ms=int((time.perf_counter() - inicio) * 1000),
        )
