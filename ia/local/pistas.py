"""Lexical cues of pt-BR customer messages (WhatsApp style), matched on normalised text.

Two kinds:

* ``cancelamento_explicito`` - a high-precision rule: the customer wants (or asks how) to cancel,
  close the account, not renew, take the number elsewhere or give up a purchase. Passive forms
  ("cancelaram meu pedido", "foi cancelado?") do not match: those are complaints or questions.
* soft cues (``PISTAS``): groups of words and phrases that shift the statistical classifier; each
  one becomes a 0/1 feature whose weight is learned from the seed examples.

Every alternative of a cue is attested in the tune set (``ia/dados/mensagens_ajuste.jsonl``; a test
checks it), except the formal-threat words ``advogado`` and ``justica``. Everything here works on
the output of :func:`normalizar` (lower case, no accents, a letter repeated three or more times
collapsed: "obrigadaaa" -> "obrigada").
"""

from __future__ import annotations

import re
import unicodedata

_REPETIDAS = re.compile(r"(\w)\1{2,}")
_ESPACOS = re.compile(r"\s+")


def normalizar(texto: str) -> str:
    sem_acento = "".join(
        c for c in unicodedata.normalize("NFD", texto.lower()) if unicodedata.category(c) != "Mn"
    )
    return _ESPACOS.sub(" ", _REPETIDAS.sub(r"\1", sem_acento)).strip()


def _re(*partes: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in partes))


# --- the hard rule --------------------------------------------------------------------------------

_OBJETO = (
    r"(?:minha|meu|a|o|as|os|essa|esse|este|esta|da|do|de|nessa|nesse|na|no)?\s?"
    r"(?:conta|linha|contrato|assinatura|plano|cadastro|internet|servico|tudo|chip|cartao|numero)"
)
CANCELAMENTO = _re(
    # active / imperative / infinitive forms; "cancelaram", "cancelado", "cancelou" are not
    r"\bcancel(?:ar|a|o|e|em|amento|ando|arei|aria)\b",
    rf"\bencerr(?:ar|a|o|e|em|amento)\b\s?{_OBJETO}",
    r"\bencerramento\b",
    r"\brescind(?:ir|o|a)\b|\brescisao\b",
    r"\b(?:dar|de|deem|da|dê) baixa\b",
    r"\bdesativ(?:ar|a|o|e|em)\b\s?" + _OBJETO,
    r"\b(?:fazer|pedir|solicitar|quero|vou fazer|vou pedir) (?:a )?portabilidade\b",
    r"\bportabilidade (?:pra|para) (?:outra|a |o )",
    r"\bcodigo de portabilidade\b",
    r"\blevar (?:o |meu |o meu )?numero\b",
    r"\btrocar de operadora\b",
    r"\bsai(?:o|r) da (?:operadora|empresa)\b",
    r"\b(?:vou|indo|mudar|ir) (?:pra|para) (?:a )?(?:concorrencia|concorrente)\b",
    r"\bnao (?:quero|vou) (?:mais )?(?:renovar|continuar)\b",
    r"\bnao quero mais (?:o|a|esse|essa|este|esta|nada|saber|usar)\b",
    r"\bnao vou mais usar\b",
    r"\bdesist(?:o|i|ir)\b",
    r"\bme tira (?:dessa|desse|da|do)\b",
)


def cancelamento_explicito(normalizado: str) -> bool:
    return CANCELAMENTO.search(normalizado) is not None


# --- soft cues (features) ----------------------------------------------------------------

PISTAS: dict[str, re.Pattern[str]] = {
    "cancelamento": CANCELAMENTO,
    "ameaca_formal": _re(
        r"\bprocon\b",
        r"\breclame ?aqui\b",
        r"\badvogad",
        r"\bprocess(?:ar|o) (?:voces|vcs|a empresa)\b|\bvou processar\b",
        r"\bjustica\b",
        r"\bpropaganda enganosa\b",
    ),
    "insatisfacao": _re(
        r"\babsurd",
        r"\bdescaso\b",
        r"\bpalhacada\b",
        r"\bridicul",
        r"\bpessim",
        r"\bhorrivel\b",
        r"\bporcaria\b",
        r"\bmerda\b",
        r"\bbagaca\b",
        r"\broubo\b",
        r"\bpiada\b",
        r"\bde brincadeira\b",
        r"\bindignad",
        r"\bdecepcionad",
        r"\bcansei\b|\bcansad[oa]\b|\bfart[oa]\b",
        r"\bodiei\b|\bodeio\b",
        r"\bque saco\b",
        r"\bnao aguento\b",
        r"\bnota zero\b",
        r"\bpreju[iz]",
        r"😡|😤|🤬|🤮|😠",
    ),
    "recorrencia": _re(
        r"\bde novo\b",
        r"\bmais uma vez\b",
        r"\bpela (?:\w+ )?(?:vez|2a|3a|segunda|terceira)\b",
        r"\b(?:terceira|segunda|quarta) vez\b",
        r"\b(?:ninguem|ngm|nada) (?:resolve|responde|faz)\b",
        r"\be nada\b|\bate agora nada\b",
        r"\bfaz (?:\d+|uma|duas|tres) (?:dias|semanas?|mes|meses|horas)\b",
        r"\bja (?:faz|passou|abri|mandei|liguei|tentei)\b",
        r"\btoda hora\b",
        r"\bnunca mais\b",
    ),
    "agradecimento": _re(
        r"\bobrigad",
        r"\bobg\b",
        r"\bvale?u\b|\bvlw\b",
        r"\bagrade[cç]",
        r"🙏|👏|👍",
    ),
    "elogio": _re(
        r"\bparabens\b",
        r"\bamei\b|\badorei\b|\bamando\b|\badorando\b|\bgostei\b",
        r"\bexcelente\b",
        r"\botim[oa]\b",
        r"\bperfeit[oa]\b",
        r"\bmaravilh",
        r"\bincrive(?:l|is)\b",
        r"\btop\b",
        r"\bshow\b",
        r"\bnota (?:10|dez|mil)\b",
        r"\brecomendo\b",
        r"\bimpecavel\b",
        r"\bfera(?:s)?\b",
        r"\barrasaram\b|\bmandaram bem\b",
        r"\bmelhor(?:es)? (?:app|banco|operadora|atendimento|custo|pizza|loja|da cidade|que)",
        r"\bsatisfeit[oa]\b",
        r"\batencios|\bprestativ|\beducad[oa]\b",
        r"\bnada a reclamar\b|\bnao tenho do que reclamar\b|\bsem reclamac",
        r"\bdeu (?:tudo )?certo\b|\bresolvido\b|\bfuncionou\b",
        r"😍|❤️|♥|🥰|😊|🎉",
    ),
    "falha": _re(
        r"\bnao (?:consigo|to conseguindo|estou conseguindo|consegui)\b",
        r"\bnao (?:funciona|abre|carrega|chega|aparece|liga|pega|conecta|le|reconhece)",
        r"\bnao (?:deixa|atualiz)",
        r"\berro\b|\bbug\b",
        r"\btrava(?:ndo)?\b|\bfecha sozinho\b|\bcaiu\b|\bcai\b|\bfora do ar\b",
        r"\bsem (?:sinal|internet|servico|conexao|acesso)\b",
        r"\bbloquead|\bbloquei",
        r"\bpiscando\b|\bluz\b",
        r"\bexpirad|\binvalid",
        r"\bzerad",
    ),
    "pedido_ajuda": _re(
        r"\b(?:me )?ajud",
        r"\bsocorro\b",
        r"\burgente\b",
        r"\bpreciso (?:de|que|trocar|alterar|redefinir|desbloquear|bloquear|liberar|mudar)\b",
        r"\b(?:pode|podem|consegue|conseguem) (?:verificar|ver|liberar|reenviar|mandar|trocar)\b",
        r"\btecnico\b",
        r"\bredefin|\bresetar\b|\bdesbloque|\breenvi",
    ),
    "pergunta_como": _re(
        r"\bcomo (?:eu )?(?:faco|faz|funciona|que|uso|coloco|gero|ativo|redefino|desativo)\b",
        r"\bda pra\b|\bdá pra\b|\btem como\b",
        r"\bposso\b|\bconsigo\b|\bpode (?:pagar|usar|ser|trocar|pedir)\b",
        r"\be possivel\b|\beh possivel\b",
        r"\bse eu\b|\bse o\b|\bse a\b",
        r"\baceitam?\b",
        r"\bqual a diferenca\b",
        r"\bfunciona (?:no|em|com)\b",
        r"\bcobr(?:a|am) (?:taxa|juros|multa|anuidade|proporcional)\b",
    ),
    "pergunta_dado": _re(
        r"\bqual (?:o|a|e o|e a|eh o)?\s?(?:horario|endereco|cnpj|razao|valor|preco|prazo|telefone|"
        r"numero|status|e-?mail|whats|taxa|chave|codigo|data|limite|velocidade|saldo|nome|instagram)",
        r"\bquanto (?:custa|ta|fica|e|eh|tempo falta)\b|\bquantos? (?:pontos|parcelas)\b",
        r"\bsegue\b|\bem anexo\b|\bcomprovante\b|\bprint\b",
        r"\bmeu (?:cpf|rg|email|e-mail|numero|endereco|codigo|pedido) (?:e|eh|novo)\b",
        r"\bja (?:foi|saiu|sai|chegou|caiu|tem)\b",
        r"\bonde (?:ta|esta|fica)\b|\bcade\b",
        r"\btem (?:loja|unidade|agencia|previsao|estoque)\b|\bainda tem\b",
        r"\b(?:abre|abrem|funcionam|atendem|ta aberto)\b",
        r"\bque horas\b|\bate que horas\b|\bquando (?:sai|vence|vai|chega)\b",
        r"\bprevisao\b|\bstatus\b|\bprotocolo\b|\brastreio\b",
        r"\b\d{4,}\b",
    ),
    "negacao": _re(r"\bnao\b|\bnunca\b|\bnem\b|\bnada\b|\bngm\b|\bninguem\b"),
    "pergunta": _re(r"\?"),
    "exclamacao": _re(r"!!|\?\?"),
}

#: Praise cues lose their polarity under a negation just before them ("nao gostei", "nem foi
#: otimo"): they then count as ``elogio_negado``, a complaint cue.
NEGAVEIS = frozenset({"agradecimento", "elogio"})
_NEGACAO_ANTES = re.compile(r"\b(?:nao|nunca|nem|jamais)\b(?:\s\S+)?\s?$")

NOMES_PISTAS = (*PISTAS, "elogio_negado")


def _achados(padrao: re.Pattern[str], normalizado: str, negavel: bool) -> tuple[bool, bool]:
    """(matched with its polarity, matched under a negation)."""
    afirmado = negado = False
    for achado in padrao.finditer(normalizado):
        if negavel and _NEGACAO_ANTES.search(
            normalizado[max(0, achado.start() - 20) : achado.start()]
        ):
            negado = True
        else:
            afirmado = True
    return afirmado, negado


def pistas(normalizado: str) -> list[float]:
    """0/1 per cue group, in ``NOMES_PISTAS`` order."""
    valores: list[float] = []
    algum_negado = False
    for nome, padrao in PISTAS.items():
        afirmado, negado = _achados(padrao, normalizado, nome in NEGAVEIS)
        valores.append(1.0 if afirmado else 0.0)
        algum_negado = algum_negado or negado
    valores.append(1.0 if algum_negado else 0.0)
    return valores
