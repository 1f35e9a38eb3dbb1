"""OpenAPI: every operation also documents the error responses it can give, in the shape the
exception handler (``erros.py``) produces."""

from __future__ import annotations

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.openapi import AutoSchema

from atendimento.api.serializers.comum import ErroSerializer


class EsquemaJWT(SimpleJWTScheme):
    """The API's ``Authorization: Bearer`` authentication (``atendimento.api.jwt.AutenticacaoJWT``,
    simplejwt's with the agent read in the same query) documented as simplejwt's ``jwtAuth``."""

    target_class = "atendimento.api.jwt.AutenticacaoJWT"


#: (code, description) added to every authenticated operation; more per method below
ERROS_SEMPRE = {
    "401": "Sem credenciais válidas.",
    "403": "Usuário sem acesso ao atendimento ou papel insuficiente.",
}
ERROS_POR_METODO = {
    "GET": {"400": "Parâmetros inválidos.", "404": "Não encontrado (ou de outra empresa)."},
    "POST": {
        "400": "Dados inválidos.",
        "404": "Não encontrado (ou de outra empresa), também para ids no corpo.",
        "409": "Conflito com o estado atual.",
        "422": "Recusado por uma regra de negócio.",
    },
    "PUT": {
        "400": "Dados inválidos.",
        "404": "Não encontrado (ou de outra empresa), também para ids no corpo.",
        "409": "Conflito com o estado atual.",
        "422": "Recusado por uma regra de negócio.",
    },
    "DELETE": {
        "404": "Não encontrado (ou de outra empresa).",
        "409": "Em uso: não pode ser excluído.",
        "422": "Recusado por uma regra de negócio.",
    },
}
ERROS_POR_METODO["PATCH"] = ERROS_POR_METODO["PUT"]


class EsquemaAtendimento(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        respostas = super()._get_response_bodies(direction)
        if direction != "response":
            return respostas
        publico = not getattr(self.view, "permission_classes", None) and not getattr(
            self.view, "authentication_classes", None
        )
        erros = {} if publico else dict(ERROS_SEMPRE)
        erros.update(ERROS_POR_METODO.get(self.method, {}))
        for codigo, descricao in erros.items():
            if codigo not in respostas:
                resposta = self._get_response_for_code(ErroSerializer, codigo, direction=direction)
                resposta["description"] = descricao
                respostas[codigo] = resposta
        return respostas
