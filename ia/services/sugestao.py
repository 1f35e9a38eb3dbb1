"""Suggested reply, offline: the best knowledge-base passage for what the customer asked
(extractive), with its sources. Offline answers are suggestions for the agent, never sent by
themselves.

``confianca`` is a heuristic, not a probability: raw cosine similarity of e5 does not separate
answerable from unanswerable questions, so it comes from the margin between the best and the
second-best article and from whether the words of the question were found as well."""

from __future__ import annotations

import time

from atendimento.models import Mensagem, Ticket
from ia.embeddings import MODELO
from ia.models import AIResposta
from ia.services import registro
from ia.services.busca import Trecho, buscar

PROVIDER = "local"
LIMITE_RESPOSTA = 700
SEM_RESPOSTA = (
    "Não encontrei na base de conhecimento um artigo que responda a isso. "
    "Vou verificar com a equipe e já retorno."
)


def pergunta_do_ticket(ticket: Ticket, n: int = 3) -> str:
    """The customer's latest text messages (the question being asked), oldest first."""
    textos = list(
        Mensagem.objects.filter(ticket=ticket, direcao=Mensagem.Direcao.ENTRADA)
        .exclude(conteudo="")
        .order_by("-data", "-criado_em")
        .values_list("conteudo", flat=True)[:n]
    )
    return "\n".join(reversed(textos)) or ticket.assunto


def confianca(achados: list[Trecho]) -> float:
    if not achados:
        return 0.0
    primeiro = achados[0].similaridade or 0.0
    segundo = (achados[1].similaridade or 0.0) if len(achados) > 1 else 0.8
    lexical = achados[0].pos_texto is not None
    valor = 0.15 + min(max(primeiro - segundo, 0.0), 0.06) / 0.06 * 0.5 + (0.3 if lexical else 0)
    return round(min(valor, 0.95), 2)


def _resposta(achado: Trecho) -> str:
    linhas = achado.texto.split("\n", 1)
    texto = linhas[1].strip() if len(linhas) > 1 and linhas[0] == achado.titulo else achado.texto
    return (
        texto if len(texto) <= LIMITE_RESPOSTA else texto[:LIMITE_RESPOSTA].rsplit(" ", 1)[0] + "…"
    )


def sugerir(ticket: Ticket) -> dict:
    """The suggested reply, logged as an ``AIResposta`` (its id is ``sugestao_id``: the inbox
    sends it back with the agent's message, or discards it, to record the outcome) and
    accounted in the day's ``AIMetrica``."""
    inicio = time.perf_counter()
    try:
        pergunta = pergunta_do_ticket(ticket)
        achados = buscar(ticket.empresa_id, pergunta, k=3)
    except Exception:
        registro.registrar_chamada(
            empresa_id=ticket.empresa_id,
            funcionalidade=registro.SUGESTAO,
            provider=PROVIDER,
            modelo=MODELO,
            latencia_ms=_ms_desde(inicio),
            erro=True,
        )
        raise
    dados = {
        "resposta": _resposta(achados[0]) if achados else SEM_RESPOSTA,
        "confianca": confianca(achados),
        "fontes": [
            {"id": str(a.artigo_id), "titulo": a.titulo, "trecho": a.texto[:300]} for a in achados
        ],
        "provider": PROVIDER,
        "modelo": MODELO,
    }
    latencia = _ms_desde(inicio)
    custo = registro.registrar_chamada(
        empresa_id=ticket.empresa_id,
        funcionalidade=registro.SUGESTAO,
        provider=PROVIDER,
        modelo=MODELO,
        latencia_ms=latencia,
    )
    log = AIResposta.objects.create(
        empresa_id=ticket.empresa_id,
        ticket=ticket,
        funcionalidade=registro.SUGESTAO,
        pergunta=pergunta[:5000],
        resposta=dados["resposta"],
        confianca=dados["confianca"],
        fontes=dados["fontes"],
        provider=PROVIDER,
        modelo=MODELO,
        custo=custo.usd,
        latencia_ms=latencia,
    )
    dados["sugestao_id"] = str(log.id)
    return dados


def _ms_desde(inicio: float) -> int:
    return int((time.perf_counter() - inicio) * 1000)
