"""What the AI features ask a provider for: the JSON schema of each answer (pydantic; unknown
fields are dropped, enums and ranges enforced, free text trimmed) and its fixed instructions.
The offline provider produces the same shapes (``ia.services.analise``, ``ia.services.sugestao``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ia.local.nlp import INTENCOES, SENTIMENTOS

CATEGORIAS = {
    "cancelamento": "Cancelamento",
    "reclamacao": "Reclamação",
    "suporte": "Suporte técnico",
    "duvida": "Dúvida",
    "informacao": "Informação",
    "elogio": "Elogio",
}
OUTROS = "Outros"
URGENCIAS = ("baixa", "media", "alta", "critica")
LIMITE_RESPOSTA = 1200


def _cortar(texto: str, limite: int) -> str:
    texto = " ".join(texto.split())
    return texto if len(texto) <= limite else texto[: limite - 1].rstrip() + "…"


class Analise(BaseModel):
    """One analysis of the customer's latest messages (flat; mapped to the ticket's
    ``insights`` shape by ``ia.services.analise``)."""

    model_config = ConfigDict(extra="ignore")

    sentimento: Literal[SENTIMENTOS]  # type: ignore[valid-type]
    sentimento_score: float = Field(ge=-1, le=1)
    intencao: Literal[INTENCOES]  # type: ignore[valid-type]
    intencao_confianca: float = Field(ge=0, le=1)
    categoria: Literal[(*CATEGORIAS.values(), OUTROS)]  # type: ignore[valid-type]
    subcategoria: str
    urgencia: Literal[URGENCIAS]  # type: ignore[valid-type]
    tags: list[str] = Field(default_factory=list)
    motivos_churn: list[str] = Field(default_factory=list)

    @field_validator("subcategoria")
    @classmethod
    def _subcategoria(cls, valor: str) -> str:
        return _cortar(valor, 80)

    @field_validator("motivos_churn")
    @classmethod
    def _motivos(cls, valor: list[str]) -> list[str]:
        return [_cortar(m, 160) for m in valor if m.strip()][:3]


class Classificacao(BaseModel):
    """The classification of a ticket from the customer's latest messages and the contact's
    history (one of the three calls of a full analysis with an external provider)."""

    model_config = ConfigDict(extra="ignore")

    categoria: Literal[(*CATEGORIAS.values(), OUTROS)]  # type: ignore[valid-type]
    subcategoria: str
    urgencia: Literal[URGENCIAS]  # type: ignore[valid-type]
    tags: list[str] = Field(default_factory=list)
    motivos_churn: list[str] = Field(default_factory=list)

    _subcategoria = field_validator("subcategoria")(Analise._subcategoria.__func__)
    _motivos = field_validator("motivos_churn")(Analise._motivos.__func__)


#: the classification fields, worded once for both requests that fill them
_CAMPOS_CLASSIFICACAO = """\
- categoria: uma das opções do esquema; subcategoria: o assunto específico em poucas \
palavras (ex.: "Segunda via de boleto").
- urgencia: baixa, media, alta ou critica (critica só com ameaça legal, Procon, advogado, \
prejuízo financeiro grave ou serviço totalmente parado).
- tags: somente tags da lista "tags_da_empresa" que se aplicam (pode ser vazia).
- motivos_churn: até 3 frases curtas, em português, com os sinais de que o cliente pode deixar a \
empresa, a partir das mensagens e do histórico do contato; vazia se não houver sinal."""

INSTRUCOES_CLASSIFICACAO = (
    """Você classifica o atendimento de um cliente de uma empresa \
brasileira a partir das mensagens mais recentes dele, recebidas pelo atendimento (WhatsApp, \
Telegram, SMS ou e-mail), e do histórico do contato. Preencha:
"""
    + _CAMPOS_CLASSIFICACAO
)


INSTRUCOES_ANALISE = (
    """Você analisa as mensagens mais recentes de um cliente de uma empresa \
brasileira, recebidas pelo atendimento (WhatsApp, Telegram, SMS ou e-mail). Preencha:
- sentimento: positivo, negativo ou neutro; sentimento_score de -1 (muito negativo) a 1 (muito \
positivo).
- intencao: duvida, reclamacao, elogio, suporte (algo não funciona), cancelamento (quer cancelar, \
não renovar, encerrar ou levar o número para outra operadora) ou informacao (pede um dado \
objetivo: horário, endereço, CNPJ, valor); intencao_confianca de 0 a 1.
"""
    + _CAMPOS_CLASSIFICACAO
)


class RespostaRag(BaseModel):
    """A reply grounded only in the knowledge-base passages given."""

    model_config = ConfigDict(extra="ignore")

    respondivel: bool
    resposta: str
    fontes: list[str] = Field(default_factory=list)

    @field_validator("resposta")
    @classmethod
    def _resposta(cls, valor: str) -> str:
        valor = valor.strip()
        return valor if len(valor) <= LIMITE_RESPOSTA else valor[: LIMITE_RESPOSTA - 1] + "…"


INSTRUCOES_RESPOSTA = """Você redige, para um atendente da empresa, a resposta à pergunta do \
cliente, em português do Brasil, cordial e breve (no máximo 4 frases), usando SOMENTE as \
informações dos trechos da base de conhecimento da empresa ("trechos_base_conhecimento").
- respondivel: true apenas se os trechos respondem de fato ao que o cliente perguntou; false se \
não respondem, se faltam dados ou se o cliente pede uma pessoa.
- resposta: a resposta ao cliente quando respondivel for true; texto vazio quando for false.
- fontes: os "id" dos trechos que você usou (só ids da lista fornecida).
Não invente prazos, preços ou políticas, não prometa reembolso, desconto ou cancelamento que os \
trechos não prevejam e não peça senhas nem dados de cartão."""


class Sentimento(BaseModel):
    model_config = ConfigDict(extra="ignore")

    valor: Literal[SENTIMENTOS]  # type: ignore[valid-type]
    score: float = Field(ge=-1, le=1)


INSTRUCOES_SENTIMENTO = """Classifique o sentimento da mensagem do cliente de uma empresa \
brasileira: valor positivo, negativo ou neutro; score de -1 (muito negativo) a 1 (muito \
positivo). Gírias, abreviações, erros de digitação e emojis são comuns."""


class Intencao(BaseModel):
    model_config = ConfigDict(extra="ignore")

    valor: Literal[INTENCOES]  # type: ignore[valid-type]
    confianca: float = Field(ge=0, le=1)


INSTRUCOES_INTENCAO = """Identifique a intenção da mensagem do cliente de uma empresa \
brasileira: duvida, reclamacao, elogio, suporte (algo não funciona), cancelamento (quer \
cancelar, não renovar, encerrar ou levar o número para outra operadora) ou informacao (pede um \
dado objetivo: horário, endereço, CNPJ, valor); confianca de 0 a 1."""
