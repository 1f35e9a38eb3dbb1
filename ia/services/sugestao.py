"""Suggested reply grounded in the empresa's knowledge base (RAG), with its sources.

Retrieval is always the hybrid search of ``ia.services.busca`` (local e5 vectors + Portuguese full
text; the empresa's own active articles only). Then:

- offline (``provider == "local"``): the best passage itself (extractive). These answers are
  suggestions for the agent, never sent by themselves. ``confianca`` is a heuristic, not a
  probability: raw cosine similarity of e5 does not separate answerable from unanswerable
  questions, so it comes from the margin between the best and the second-best article and from
  whether the words of the question were found as well.
- with an external provider: the model writes the reply from the retrieved passages only
  (delimited as data, like the customer's question) and says whether they answer the question
  (``respondivel``) and which passages it used (``fontes``, checked against the retrieved ids).
  Answerable with at least one valid source → ``confianca`` 0.7 + 0.3 * the heuristic; otherwise
  at most 0.3 and the standard hand-off text. A failing provider falls back to the offline reply."""

from __future__ import annotations

import time

from atendimento.models import Mensagem, Ticket
from ia.embeddings import MODELO
from ia.models import AIResposta
from ia.provedores import Pedido
from ia.services import geracao, registro
from ia.services.busca import Trecho, buscar
from ia.services.esquemas import INSTRUCOES_RESPOSTA, RespostaRag

PROVIDER = "local"
LIMITE_RESPOSTA = 700
#: passages given to an external provider
TRECHOS_CONTEXTO = 5
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


def pedido_resposta(pergunta: str, achados: list[Trecho]) -> Pedido:
    """The RAG request: the customer's question and the retrieved passages (both data)."""

    def local(_entradas) -> dict:
        return {
            "respondivel": bool(achados),
            "resposta": _resposta(achados[0]) if achados else "",
            "fontes": [str(a.artigo_id) for a in achados],
        }

    return Pedido(
        tarefa="resposta_base_conhecimento",
        instrucoes=INSTRUCOES_RESPOSTA,
        entradas={
            "pergunta_cliente": pergunta,
            "trechos_base_conhecimento": [
                {"id": str(a.artigo_id), "titulo": a.titulo, "texto": a.texto} for a in achados
            ],
        },
        esquema=RespostaRag,
        local=local,
        restricoes={"fontes": tuple(str(a.artigo_id) for a in achados)},
    )


def _fonte(achado: Trecho) -> dict:
    return {"id": str(achado.artigo_id), "titulo": achado.titulo, "trecho": achado.texto[:300]}


def montar_sugestao(gerada: geracao.Geracao, achados: list[Trecho]) -> dict:
    """The suggestion's shape (``resposta``, ``confianca``, ``fontes``, ``provider``,
    ``modelo``, ``respondivel``: the external model's verdict, None offline)."""
    heuristica = confianca(achados)
    dados = gerada.dados
    if not gerada.externo:
        return {
            "resposta": dados["resposta"] or SEM_RESPOSTA,
            "confianca": heuristica,
            "fontes": [_fonte(a) for a in achados],
            "provider": gerada.provider,
            "modelo": gerada.modelo,
            "respondivel": None,  # only a language model gives this verdict
        }
    citadas = [a for a in achados if str(a.artigo_id) in set(dados["fontes"])]
    respondivel = bool(dados["respondivel"] and citadas and dados["resposta"])
    return {
        "resposta": dados["resposta"] if respondivel else SEM_RESPOSTA,
        "confianca": round(min(0.7 + 0.3 * heuristica, 0.98), 2)
        if respondivel
        else min(heuristica, 0.3),
        "fontes": [_fonte(a) for a in (citadas if respondivel else achados)],
        "provider": gerada.provider,
        "modelo": gerada.modelo,
        "respondivel": respondivel,
    }


def sugerir(ticket: Ticket, *, interativo: bool = False) -> dict:
    """The suggested reply, logged as an ``AIResposta`` (its id is ``sugestao_id``: the inbox
    sends it back with the agent's message, or discards it, to record the outcome) and
    accounted in the day's ``AIMetrica``. ``interativo``: an agent is waiting on the request, so
    an external provider gets one short try before the offline answer."""
    inicio = time.perf_counter()
    try:
        pergunta = pergunta_do_ticket(ticket)
        achados = buscar(ticket.empresa_id, pergunta, k=TRECHOS_CONTEXTO)
        gerada = geracao.gerar(
            empresa_id=ticket.empresa_id,
            funcionalidade=registro.SUGESTAO,
            pedido=pedido_resposta(pergunta, achados),
            provedor=None if achados else geracao.provedor_local(),
            interativo=interativo,
        )
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
    if not gerada.externo:
        achados = achados[:3]
    dados = montar_sugestao(gerada, achados)
    latencia = _ms_desde(inicio)
    custo = registro.registrar_chamada(
        empresa_id=ticket.empresa_id,
        funcionalidade=registro.SUGESTAO,
        **{**gerada.chamada(), "latencia_ms": gerada.latencia_ms if gerada.externo else latencia},
    )
    log = AIResposta.objects.create(
        empresa_id=ticket.empresa_id,
        ticket=ticket,
        funcionalidade=registro.SUGESTAO,
        pergunta=pergunta[:5000],
        resposta=dados["resposta"],
        confianca=dados["confianca"],
        fontes=dados["fontes"],
        provider=gerada.provider,
        modelo=gerada.modelo,
        tokens_entrada=gerada.tokens_entrada + gerada.tokens_cache,
        tokens_saida=gerada.tokens_saida,
        custo=custo.usd,
        latencia_ms=latencia,
    )
    dados["sugestao_id"] = str(log.id)
    return dados


def _ms_desde(inicio: float) -> int:
    return int((time.perf_counter() - inicio) * 1000)
