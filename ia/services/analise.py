"""Full analysis of a ticket: sentiment, intent, classification and the contact's churn risk.

Offline (the default): sentiment and intent from ``ia.local.nlp``, a classification (category from
the intent, subcategory from the closest knowledge-base article, urgency by rules, the empresa's
own tags found in the text). With an external provider (``ia.provedores``) the same fields come
from three structured calls made at the same time — sentiment, intent, classification — each
accounted under its own feature (tags restricted to the empresa's own; customer text delimited
and, unless allowed, PII-masked); a call that fails is answered offline, that part only. The
churn risk is always the
hand-weighted logistic score over the contact's whole history (``predizer_churn``); an external
provider words its reasons. Stored as an ``AIInsight`` and shown live (``ticket_atualizado``)."""

from __future__ import annotations

import json
import logging
import math
import time
import unicodedata

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery

from atendimento.models import Mensagem, Tag, Ticket
from atendimento.realtime.eventos import publicar_ticket_atualizado
from ia.embeddings import MODELO
from ia.local import nlp
from ia.models import AIInsight, AIResposta
from ia.provedores import Pedido, provedor_para
from ia.services import geracao, registro
from ia.services.busca import buscar, pergunta_da_busca
from ia.services.churn import churn_registrar
from ia.services.esquemas import (
    CATEGORIAS,
    INSTRUCOES_ANALISE,
    INSTRUCOES_CLASSIFICACAO,
    INSTRUCOES_INTENCAO,
    INSTRUCOES_SENTIMENTO,
    OUTROS,
    Analise,
    Classificacao,
    Intencao,
    Sentimento,
)
from ia.services.sugestao import pergunta_do_ticket

logger = logging.getLogger(__name__)


def _sem_acento(texto: str) -> str:
    return "".join(
        c for c in unicodedata.normalize("NFD", texto.lower()) if unicodedata.category(c) != "Mn"
    )


def sentimento(texto: str) -> dict:
    """The offline sentiment of ``texto``, read as the knowledge-base search reads it
    (``pergunta_da_busca``: slang expanded), so that one embedding of the text serves both
    the classifiers and the search of an analysis (the embedder is most of its CPU)."""
    valor, score = nlp.sentimento(pergunta_da_busca(texto) or texto)
    return {"valor": valor, "score": round(float(score), 3)}


def intencao(texto: str) -> dict:
    """The offline intent of ``texto`` (read like ``sentimento``)."""
    valor, confianca = nlp.intencao(pergunta_da_busca(texto) or texto)
    return {"valor": valor, "confianca": round(float(confianca), 3)}


def classificar(ticket: Ticket, texto: str, sent: dict, inten: dict, tags=None) -> dict:
    """Offline classification; ``tags``: the empresa's tag names when already read."""
    negativo = sent["valor"] == "negativo"
    if ticket.prioridade == Ticket.Prioridade.URGENTE:
        urgencia = "critica"
    elif inten["valor"] in ("cancelamento", "reclamacao") and negativo:
        urgencia = "alta"
    elif negativo or inten["valor"] == "suporte":
        urgencia = "media"
    else:
        urgencia = "baixa"
    achados = buscar(ticket.empresa_id, texto, k=1)
    subcategoria = ""
    if achados:
        from ia.models import ArtigoConhecimento

        artigo = ArtigoConhecimento.objects.filter(pk=achados[0].artigo_id).first()
        subcategoria = (artigo.categoria or artigo.titulo) if artigo else ""
    normalizado = _sem_acento(texto)
    if tags is None:
        tags = _tags_da_empresa(ticket)
    tags = [nome for nome in tags if _sem_acento(nome) and _sem_acento(nome) in normalizado]
    return {
        "categoria": CATEGORIAS.get(inten["valor"], OUTROS),
        "subcategoria": subcategoria,
        "urgencia": urgencia,
        "tags": tags,
    }


def _tags_da_empresa(ticket: Ticket) -> tuple[str, ...]:
    return tuple(Tag.objects.filter(empresa_id=ticket.empresa_id).values_list("nome", flat=True))


def _sigmoide(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def historico_contato(ticket: Ticket) -> dict:
    """Counts over the contact's other tickets in the empresa (all channels): two queries."""
    anteriores = (
        AIInsight.objects.filter(empresa_id=ticket.empresa_id, ticket__contato_id=ticket.contato_id)
        .exclude(ticket=ticket)
        .aggregate(
            negativas=Count("pk", filter=Q(sentimento="negativo")),
            reclamacoes=Count("pk", filter=Q(intencao="reclamacao")),
        )
    )
    return {
        "tickets": Ticket.objects.filter(
            empresa_id=ticket.empresa_id, contato_id=ticket.contato_id
        ).count(),
        "analises_negativas_anteriores": anteriores["negativas"],
        "reclamacoes_anteriores": anteriores["reclamacoes"],
    }


def predizer_churn(ticket: Ticket, sent: dict, inten: dict, historico: dict | None = None) -> dict:
    """The contact's risk of leaving, from its whole history across tickets and channels
    (``historico``: ``historico_contato(ticket)`` when the caller already has it)."""
    if historico is None:
        historico = historico_contato(ticket)
    negativos = historico["analises_negativas_anteriores"]
    reclamacoes = historico["reclamacoes_anteriores"]
    n_tickets = historico["tickets"]
    contribuicoes = [
        (2.2 if inten["valor"] == "cancelamento" else 0.0, "pediu para cancelar"),
        (1.0 if sent["valor"] == "negativo" else 0.0, "mensagem atual negativa"),
        (0.5 * min(negativos, 4), f"{negativos} atendimento(s) anterior(es) negativo(s)"),
        (0.6 * min(reclamacoes, 3), f"{reclamacoes} reclamação(ões) anterior(es)"),
        (0.25 * min(max(n_tickets - 1, 0), 6), f"{n_tickets} ticket(s) no histórico"),
        (-0.8 if inten["valor"] == "elogio" else 0.0, "elogiou o atendimento"),
    ]
    probabilidade = _sigmoide(-2.3 + sum(c for c, _ in contribuicoes))
    risco = "alto" if probabilidade >= 0.6 else "medio" if probabilidade >= 0.3 else "baixo"
    motivos = [m for c, m in sorted(contribuicoes, key=lambda x: -x[0]) if c > 0][:3]
    return {"risco": risco, "probabilidade": round(probabilidade, 3), "motivos": motivos}


def pedido_analise(ticket: Ticket, texto: str, historico: dict | None = None) -> Pedido:
    """The structured request of one analysis; offline it is the rules and classifiers above."""
    tags = _tags_da_empresa(ticket)

    def local(_entradas) -> dict:
        sent, inten = sentimento(texto), intencao(texto)
        classificacao = classificar(ticket, texto, sent, inten, tags)
        return {
            "sentimento": sent["valor"],
            "sentimento_score": sent["score"],
            "intencao": inten["valor"],
            "intencao_confianca": inten["confianca"],
            **classificacao,
            "motivos_churn": [],
        }

    return _pedido_do_ticket(
        "analise_ticket", INSTRUCOES_ANALISE, Analise, ticket, texto, tags, local, historico
    )


def resultado_da_analise(
    ticket: Ticket, gerada: geracao.Geracao, historico: dict | None = None
) -> dict:
    """The ticket's ``insights`` shape from one generated analysis, with the churn score."""
    return _montar(ticket, gerada.dados, motivos_externos=gerada.externo, historico=historico)


def resultado_das_partes(
    ticket: Ticket, geradas: dict[str, geracao.Geracao], historico: dict | None = None
) -> dict:
    """The ticket's ``insights`` shape from the three calls of an external analysis (each
    answered by the provider or, when it failed, offline), with who answered each part."""
    sent, inten = geradas[SENTIMENTO].dados, geradas[INTENCAO].dados
    dados = {
        **geradas[CLASSIFICACAO].dados,
        "sentimento": sent["valor"],
        "sentimento_score": sent["score"],
        "intencao": inten["valor"],
        "intencao_confianca": inten["confianca"],
    }
    resultado = _montar(
        ticket, dados, motivos_externos=geradas[CLASSIFICACAO].externo, historico=historico
    )
    resultado["provedores"] = {parte: gerada.provider for parte, gerada in geradas.items()}
    return resultado


def _montar(
    ticket: Ticket, dados: dict, *, motivos_externos: bool, historico: dict | None = None
) -> dict:
    sent = {"valor": dados["sentimento"], "score": round(float(dados["sentimento_score"]), 3)}
    inten = {
        "valor": dados["intencao"],
        "confianca": round(float(dados["intencao_confianca"]), 3),
    }
    urgencia = dados["urgencia"]
    if ticket.prioridade == Ticket.Prioridade.URGENTE:
        urgencia = "critica"
    churn = predizer_churn(ticket, sent, inten, historico)
    if motivos_externos and dados["motivos_churn"] and churn["risco"] != "baixo":
        churn["motivos"] = dados["motivos_churn"]
    return {
        "sentimento": sent,
        "intencao": inten,
        "classificacao": {
            "categoria": dados["categoria"],
            "subcategoria": dados["subcategoria"],
            "urgencia": urgencia,
            "tags": dados["tags"],
        },
        "churn": churn,
    }


# ------------------------------------------------ the single analyses (ai-analysis jobs)

#: ``funcionalidade`` of each single analysis in the accounting
SENTIMENTO, INTENCAO, CLASSIFICACAO, CHURN = "sentimento", "intencao", "classificacao", "churn"


def _contado(empresa_id, funcionalidade: str, produzir):
    """Run ``produzir() -> (result, Geracao)`` and record the call (an error if it raises)."""
    inicio = time.perf_counter()
    try:
        resultado, gerada = produzir()
    except Exception:
        registro.registrar_chamada(
            empresa_id=empresa_id,
            funcionalidade=funcionalidade,
            provider="local",
            modelo=MODELO,
            latencia_ms=int((time.perf_counter() - inicio) * 1000),
            erro=True,
        )
        raise
    chamada = gerada.chamada()
    if not gerada.externo:
        chamada["latencia_ms"] = int((time.perf_counter() - inicio) * 1000)
    registro.registrar_chamada(empresa_id=empresa_id, funcionalidade=funcionalidade, **chamada)
    return resultado


def pedido_sentimento(texto: str) -> Pedido:
    return Pedido(
        tarefa="sentimento",
        instrucoes=INSTRUCOES_SENTIMENTO,
        entradas={"mensagem_cliente": texto},
        esquema=Sentimento,
        local=lambda _entradas: sentimento(texto),
    )


def pedido_intencao(texto: str) -> Pedido:
    return Pedido(
        tarefa="intencao",
        instrucoes=INSTRUCOES_INTENCAO,
        entradas={"mensagem_cliente": texto},
        esquema=Intencao,
        local=lambda _entradas: intencao(texto),
    )


def pedido_classificacao(ticket: Ticket, texto: str, historico: dict | None = None) -> Pedido:
    """Category, subcategory, urgency, the empresa's own tags and, in words, the signs that
    the contact may leave. Offline: the rules of ``classificar`` (no words for churn: the
    score's own reasons are used)."""
    tags = _tags_da_empresa(ticket)

    def local(_entradas) -> dict:
        return {
            **classificar(ticket, texto, sentimento(texto), intencao(texto), tags),
            "motivos_churn": [],
        }

    return _pedido_do_ticket(
        "classificacao_ticket",
        INSTRUCOES_CLASSIFICACAO,
        Classificacao,
        ticket,
        texto,
        tags,
        local,
        historico,
    )


def _pedido_do_ticket(
    tarefa, instrucoes, esquema, ticket: Ticket, texto: str, tags, local, historico=None
) -> Pedido:
    """A request over the ticket's latest customer text, the contact's history and the
    empresa's tags (the only tags an answer may use)."""
    return Pedido(
        tarefa=tarefa,
        instrucoes=instrucoes,
        entradas={
            "mensagens_cliente": texto,
            "historico_contato": historico_contato(ticket) if historico is None else historico,
            "tags_da_empresa": list(tags),
        },
        esquema=esquema,
        local=local,
        restricoes={"tags": tags},
    )


def analisar_sentimento(texto: str, *, empresa_id=None) -> dict:
    """``{"valor", "score"}`` of one text, by the empresa's provider. Without an empresa
    (nobody to account it to) always offline."""
    if empresa_id is None:
        return sentimento(texto)
    pedido = pedido_sentimento(texto)

    def produzir():
        gerada = geracao.gerar(empresa_id=empresa_id, funcionalidade=SENTIMENTO, pedido=pedido)
        return {"valor": gerada.dados["valor"], "score": round(gerada.dados["score"], 3)}, gerada

    return _contado(empresa_id, SENTIMENTO, produzir)


def detectar_intencao(texto: str, *, empresa_id=None) -> dict:
    """``{"valor", "confianca"}`` of one text, by the empresa's provider (offline without an
    empresa)."""
    if empresa_id is None:
        return intencao(texto)
    pedido = pedido_intencao(texto)

    def produzir():
        gerada = geracao.gerar(empresa_id=empresa_id, funcionalidade=INTENCAO, pedido=pedido)
        dados = gerada.dados
        return {"valor": dados["valor"], "confianca": round(dados["confianca"], 3)}, gerada

    return _contado(empresa_id, INTENCAO, produzir)


def _analisar_para(ticket: Ticket, funcionalidade: str) -> tuple[dict, geracao.Geracao]:
    texto = pergunta_do_ticket(ticket, n=5)
    gerada = geracao.gerar(
        empresa_id=ticket.empresa_id,
        funcionalidade=funcionalidade,
        pedido=pedido_analise(ticket, texto),
    )
    return resultado_da_analise(ticket, gerada), gerada


def classificar_ticket(ticket: Ticket) -> dict:
    """``{"categoria", "subcategoria", "urgencia", "tags"}`` of the ticket (tags: the empresa's
    own only)."""

    def produzir():
        texto = pergunta_do_ticket(ticket, n=5)
        gerada = geracao.gerar(
            empresa_id=ticket.empresa_id,
            funcionalidade=CLASSIFICACAO,
            pedido=pedido_classificacao(ticket, texto),
        )
        dados = gerada.dados
        urgencia = dados["urgencia"]
        if ticket.prioridade == Ticket.Prioridade.URGENTE:
            urgencia = "critica"
        classificacao = {
            "categoria": dados["categoria"],
            "subcategoria": dados["subcategoria"],
            "urgencia": urgencia,
            "tags": dados["tags"],
        }
        return classificacao, gerada

    return _contado(ticket.empresa_id, CLASSIFICACAO, produzir)


def churn_do_ticket(ticket: Ticket) -> dict:
    """``{"risco", "probabilidade", "motivos"}`` of the ticket's contact."""

    def produzir():
        resultado, gerada = _analisar_para(ticket, CHURN)
        return resultado["churn"], gerada

    return _contado(ticket.empresa_id, CHURN, produzir)


# ----------------------------------------------------------------------------- full analysis


def _ultima_entrada(ticket):
    """The ticket's latest customer messages, newest first (the first is the one a full
    analysis is recorded on); ``ticket``: a ticket or an ``OuterRef`` to one."""
    return Mensagem.objects.filter(ticket=ticket, direcao=Mensagem.Direcao.ENTRADA).order_by(
        "-data", "-criado_em"
    )


def analisar_tickets(ticket_ids) -> int:
    """``analise_completa`` of each ticket whose latest customer message has no insight yet
    (the tickets and that check read in one query each); returns how many were analysed. A
    ticket whose analysis fails is logged and the others go on."""
    ja_feita = _insight_da_ultima_entrada(OuterRef("pk"))
    tickets = Ticket.objects.filter(pk__in=list(ticket_ids)).exclude(Exists(ja_feita))
    feitas = 0
    for ticket in tickets.order_by("atualizado_em"):
        try:
            analise_completa(ticket)
        except Exception:
            logger.exception("análise do ticket %s falhou", ticket.pk)
            continue
        feitas += 1
    return feitas


def ultima_mensagem_analisada(ticket: Ticket) -> bool:
    """The ticket's latest customer message already has its ``AIInsight`` (one query): a new
    analysis would read the same text."""
    return _insight_da_ultima_entrada(ticket).exists()


def _insight_da_ultima_entrada(ticket):
    """The ``AIInsight`` recorded on the ticket's latest customer message; ``ticket``: a ticket
    or an ``OuterRef`` to one (the set-based check of ``analisar_tickets``)."""
    ultima = _ultima_entrada(OuterRef("ticket_id")).values("pk")[:1]
    return AIInsight.objects.filter(ticket=ticket, mensagem_id=Subquery(ultima))


def analise_completa(ticket: Ticket) -> AIInsight:
    """Analyse the ticket, store the ``AIInsight``, log and account the calls, publish it.

    External provider: sentiment, intent and classification are three calls at the same time
    (``geracao.gerar_varios``), accounted under ``sentimento``, ``intencao`` and
    ``classificacao``; one that fails is recorded as an error and answered offline, the others
    keep the provider's answer. Local provider: one in-process analysis, accounted under
    ``analise_completa``. A failure of the offline analysis is accounted as an error and raised
    (nothing else is stored). The provider is called outside any database transaction."""
    inicio = time.perf_counter()
    try:
        # the message the insight is recorded on: the latest one when the text is read (a
        # message arriving during the analysis is not in it and gets its own analysis)
        ultima = _ultima_entrada(ticket).only("pk").first()
        texto = pergunta_do_ticket(ticket, n=5)
        provedor = provedor_para(ticket.empresa_id)
        historico = historico_contato(ticket)  # read once: the request and the churn score
        if provedor.externo:
            geradas = geracao.gerar_varios(
                empresa_id=ticket.empresa_id,
                pedidos={
                    SENTIMENTO: pedido_sentimento(texto),
                    INTENCAO: pedido_intencao(texto),
                    CLASSIFICACAO: pedido_classificacao(ticket, texto, historico),
                },
                provedor=provedor,
            )
            resultado = resultado_das_partes(ticket, geradas, historico)
        else:
            gerada = geracao.gerar(
                empresa_id=ticket.empresa_id,
                funcionalidade=registro.ANALISE,
                pedido=pedido_analise(ticket, texto, historico),
                provedor=provedor,
            )
            geradas = {registro.ANALISE: gerada}
            resultado = resultado_da_analise(ticket, gerada, historico)
    except Exception:
        registro.registrar_chamada(
            empresa_id=ticket.empresa_id,
            funcionalidade=registro.ANALISE,
            provider="local",
            modelo=MODELO,
            latencia_ms=int((time.perf_counter() - inicio) * 1000),
            erro=True,
        )
        raise
    with transaction.atomic():
        insight = _gravar(ticket, ultima, texto, geradas, resultado, inicio)
    publicar_ticket_atualizado(ticket)
    return insight


def _gravar(
    ticket: Ticket,
    ultima: Mensagem | None,
    texto: str,
    geradas: dict[str, geracao.Geracao],
    resultado: dict,
    inicio: float,
) -> AIInsight:
    sent, inten = resultado["sentimento"], resultado["intencao"]
    classificacao, churn = resultado["classificacao"], resultado["churn"]
    # the provider and model of the analysis: the external one when it answered any part
    principal = next((g for g in geradas.values() if g.externo), next(iter(geradas.values())))
    insight = AIInsight.objects.create(
        empresa_id=ticket.empresa_id,
        ticket=ticket,
        mensagem=ultima,
        tipo=AIInsight.Tipo.COMPLETA,
        resultado=resultado,
        sentimento=sent["valor"],
        sentimento_score=sent["score"],
        intencao=inten["valor"],
        intencao_confianca=inten["confianca"],
        categoria=classificacao["categoria"],
        urgencia=classificacao["urgencia"],
        churn_risco=churn["risco"],
        churn_probabilidade=churn["probabilidade"],
        provider=principal.provider,
        modelo=principal.modelo,
    )
    latencia = int((time.perf_counter() - inicio) * 1000)
    custo_usd = 0
    for funcionalidade, gerada in geradas.items():
        chamada = gerada.chamada()
        if funcionalidade == registro.ANALISE and not gerada.externo:
            chamada["latencia_ms"] = latencia  # the whole in-process analysis
        custo_usd += registro.registrar_chamada(
            empresa_id=ticket.empresa_id, funcionalidade=funcionalidade, **chamada
        ).usd
    AIResposta.objects.create(
        empresa_id=ticket.empresa_id,
        ticket=ticket,
        mensagem=ultima,
        funcionalidade=registro.ANALISE,
        pergunta=texto[:5000],
        resposta=json.dumps(resultado, ensure_ascii=False),
        confianca=inten["confianca"],
        provider=principal.provider,
        modelo=principal.modelo,
        tokens_entrada=sum(g.tokens_entrada + g.tokens_cache for g in geradas.values()),
        tokens_saida=sum(g.tokens_saida for g in geradas.values()),
        custo=custo_usd,
        latencia_ms=latencia,
    )
    churn_registrar(ticket=ticket, churn=churn)
    return insight
