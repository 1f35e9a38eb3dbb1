"""Local stand-ins for the OpenAI Chat Completions and Anthropic Messages HTTP APIs (their wire
formats, as the official SDKs send and parse them), for pytest-httpserver."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass

from werkzeug import Request, Response

CHAVE = "sk-teste-NAO-VAZAR-7f3a9c"


def resposta_openai(
    conteudo: str,
    *,
    modelo="gpt-4o-mini-2024-07-18",
    entrada=120,
    saida=30,
    cache=0,
    finish_reason="stop",
    refusal=None,
) -> dict:
    return {
        "id": "chatcmpl-teste",
        "object": "chat.completion",
        "created": 1764900000,
        "model": modelo,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": conteudo, "refusal": refusal},
                "finish_reason": finish_reason,
                "logprobs": None,
            }
        ],
        "usage": {
            "prompt_tokens": entrada,
            "completion_tokens": saida,
            "total_tokens": entrada + saida,
            "prompt_tokens_details": {"cached_tokens": cache},
            "completion_tokens_details": {"reasoning_tokens": 0},
        },
    }


def resposta_anthropic(
    conteudo: str,
    *,
    modelo="claude-haiku-4-5",
    entrada=100,
    saida=25,
    cache_escrita=0,
    cache_leitura=0,
    stop_reason="end_turn",
) -> dict:
    return {
        "id": "msg_teste",
        "type": "message",
        "role": "assistant",
        "model": modelo,
        "content": [{"type": "text", "text": conteudo}],
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": {
            "input_tokens": entrada,
            "output_tokens": saida,
            "cache_creation_input_tokens": cache_escrita,
            "cache_read_input_tokens": cache_leitura,
        },
    }


def erro_openai(status: int, mensagem: str = "erro", headers: dict | None = None) -> Response:
    corpo = {"error": {"message": mensagem, "type": "server_error", "code": None}}
    return Response(
        json.dumps(corpo), status=status, headers=headers or {}, content_type="application/json"
    )


def erro_anthropic(status: int, mensagem: str = "erro", headers: dict | None = None) -> Response:
    tipo = {429: "rate_limit_error", 529: "overloaded_error"}.get(status, "api_error")
    corpo = {"type": "error", "error": {"type": tipo, "message": mensagem}}
    return Response(
        json.dumps(corpo), status=status, headers=headers or {}, content_type="application/json"
    )


@dataclass(frozen=True)
class Formato:
    """One provider's wire format: where the SDK posts, how an answer and an error look."""

    nome: str
    caminho: str
    resposta: object
    erro: object
    prefixo_base: str  # what base_url must end with for the SDK to reach ``caminho``

    def ok(self, conteudo, **kw) -> Response:
        corpo = self.resposta(conteudo if isinstance(conteudo, str) else json.dumps(conteudo), **kw)
        return Response(json.dumps(corpo), status=200, content_type="application/json")

    def base_url(self, httpserver) -> str:
        return httpserver.url_for(self.prefixo_base).rstrip("/")


OPENAI = Formato("openai", "/v1/chat/completions", resposta_openai, erro_openai, "/v1")
ANTHROPIC = Formato("anthropic", "/v1/messages", resposta_anthropic, erro_anthropic, "/")
FORMATOS = (OPENAI, ANTHROPIC)


def corpo(request: Request) -> dict:
    return json.loads(request.get_data(as_text=True))


def campos_pedidos(request: Request) -> frozenset[str]:
    """The fields of the JSON schema a request asks for (either wire format): tells the full
    analysis' sentiment, intent and classification calls apart."""
    enviado = corpo(request)
    if "response_format" in enviado:
        esquema = enviado["response_format"]["json_schema"]["schema"]
    else:
        esquema = enviado["output_config"]["format"]["schema"]
    return frozenset(esquema.get("properties", {}))


def tarefa_da_analise(request: Request) -> str:
    """``sentimento``, ``intencao``, ``classificacao`` or ``outra`` for a request."""
    campos = campos_pedidos(request)
    if "categoria" in campos:
        return "classificacao"
    if {"valor", "score"} <= campos:
        return "sentimento"
    if {"valor", "confianca"} <= campos:
        return "intencao"
    return "outra"


class Encontro:
    """Holds each request until ``n`` requests have arrived (or ``espera`` seconds passed):
    ``chegar()`` answers whether all ``n`` were in flight together."""

    def __init__(self, n: int, espera: float = 10.0) -> None:
        self.n, self.espera = n, espera
        self.chegadas = 0
        self._condicao = threading.Condition()

    def chegar(self) -> bool:
        with self._condicao:
            self.chegadas += 1
            self._condicao.notify_all()
            return self._condicao.wait_for(lambda: self.chegadas >= self.n, timeout=self.espera)
