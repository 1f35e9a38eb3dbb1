"""Full analysis of a ticket, offline: sentiment and intent (``ia.local.nlp``), a
classification (category from the intent, subcategory from the closest knowledge-base
article, urgency by rules, the empresa's own tags found in the text) and the contact's churn
risk from its whole history (a hand-weighted logistic score whose reasons are its strongest
contributions). Stored as an ``AIInsight`` and shown live (``ticket_atualizado``)."""

from __future__ import annotations

import json
import math
import time
import unicodedata

from django.db import transaction

from atendimento.models import Mensagem, Tag, Ticket
from atendimento.realtime.eventos import publicar_ticket_atualizado
from ia.embeddings import MODELO
from ia.local import nlp
from ia.models import AIInsight, AIResposta
from ia.services import registro
from ia.services.busca import buscar
from ia.services.sugestao import pergunta_do_ticket

CATEGORIAS = {
    "cancelamento": "Cancelamento",
    "reclamacao": "Reclamação",
    "suporte": "Suporte técnico",
    "duvida": "Dúvida",
    "informacao": "Informação",
    "elogio": "Elogio",
}


def _sem_acento(texto: str) -> str:
    return "".join(
        c for c in unicodedata.normalize("NFD", texto.lower()) if unicodedata.category(c) != "Mn"
    )


def sentimento(texto: str) -> dict:
    valor, score = nlp.sentimento(texto)
    return {"valor": valor, "score": round(float(score), 3)}


def intencao(texto: str) -> dict:
    valor, confianca = nlp.intencao(texto)
    return {"valor": valor, "confianca": round(float(confianca), 3)}


def classificar(ticket: Ticket, texto: str, sent: dict, inten: dict) -> dict:
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
    tags = [
        nome
        for nome in Tag.objects.filter(empresa_id=ticket.empresa_id).values_list("nome", flat=True)
        if _sem_acento(nome) and _sem_acento(nome) in normalizado
    ]
    return {
        "categoria": CATEGORIAS.get(inten["valor"], "Outros"),
        "subcategoria": subcategoria,
        "urgencia": urgencia,
        "tags": tags,
    }


def _sigmoide(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def predizer_churn(ticket: Ticket, sent: dict, inten: dict) -> dict:
    """The contact's risk of leaving, from its whole history across tickets and channels."""
    tickets = Ticket.objects.filter(empresa_id=ticket.empresa_id, contato_id=ticket.contato_id)
    anteriores = AIInsight.objects.filter(
        empresa_id=ticket.empresa_id, ticket__contato_id=ticket.contato_id
    ).exclude(ticket=ticket)
    negativos = anteriores.filter(sentimento="negativo").count()
    reclamacoes = anteriores.filter(intencao="reclamacao").count()
    n_tickets = tickets.count()
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


def analise_completa(ticket: Ticket) -> AIInsight:
    """Analyse the ticket, store the ``AIInsight``, log and account the call, publish it.
    A failure is accounted as an error of the call and raised (nothing else is stored)."""
    inicio = time.perf_counter()
    try:
        with transaction.atomic():
            insight = _analisar(ticket, inicio)
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
    return insight


def _analisar(ticket: Ticket, inicio: float) -> AIInsight:
    texto = pergunta_do_ticket(ticket, n=5)
    sent, inten = sentimento(texto), intencao(texto)
    classificacao = classificar(ticket, texto, sent, inten)
    churn = predizer_churn(ticket, sent, inten)
    ultima = (
        Mensagem.objects.filter(ticket=ticket, direcao=Mensagem.Direcao.ENTRADA)
        .order_by("-data", "-criado_em")
        .first()
    )
    resultado = {
        "sentimento": sent,
        "intencao": inten,
        "classificacao": classificacao,
        "churn": churn,
    }
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
        provider="local",
        modelo=MODELO,
    )
    latencia = int((time.perf_counter() - inicio) * 1000)
    custo = registro.registrar_chamada(
        empresa_id=ticket.empresa_id,
        funcionalidade=registro.ANALISE,
        provider="local",
        modelo=MODELO,
        latencia_ms=latencia,
    )
    AIResposta.objects.create(
        empresa_id=ticket.empresa_id,
        ticket=ticket,
        mensagem=ultima,
        funcionalidade=registro.ANALISE,
        pergunta=texto[:5000],
        resposta=json.dumps(resultado, ensure_ascii=False),
        confianca=inten["confianca"],
        provider="local",
        modelo=MODELO,
        custo=custo.usd,
        latencia_ms=latencia,
    )
    publicar_ticket_atualizado(ticket)
    return insight
