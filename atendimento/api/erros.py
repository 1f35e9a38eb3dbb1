"""The one DRF exception handler: domain errors, Django validation and database refusals become
``{"detail": ..., "codigo": ...}`` with the right 4xx, never a 500 for bad input."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError as ValidationErrorDjango
from django.db import DataError, IntegrityError
from django.db.models import ProtectedError, RestrictedError
from django.utils.translation import gettext as _
from psycopg import errors as erros_pg
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as handler_padrao

from atendimento.exceptions import ErroDominio
from canais.adapters.base import ErroDefinitivo, ErroTransitorio, OperacaoNaoSuportada

logger = logging.getLogger(__name__)


def _resposta(status_http: int, detalhe: str, codigo: str, **extras: object) -> Response:
    return Response({"detail": detalhe, "codigo": codigo, **extras}, status=status_http)


def _erro_dominio(exc: ErroDominio) -> Response:
    return _resposta(exc.status_http, exc.detalhe, exc.codigo, **exc.extras)


def _validacao_django(exc: ValidationErrorDjango) -> Response:
    if hasattr(exc, "error_dict"):
        dados: dict[str, object] = {
            ("detail" if campo == "__all__" else campo): mensagens
            for campo, mensagens in exc.message_dict.items()
        }
        if isinstance(dados.get("detail"), list):
            dados["detail"] = " ".join(dados["detail"])  # type: ignore[arg-type]
        dados.setdefault("detail", _("Dados inválidos."))
        dados["codigo"] = "invalido"
        return Response(dados, status=status.HTTP_400_BAD_REQUEST)
    return _resposta(400, " ".join(exc.messages), "invalido")


def _integridade(exc: IntegrityError) -> Response:
    causa = exc.__cause__
    if isinstance(causa, erros_pg.ForeignKeyViolation):
        # composite foreign keys refuse a reference to another empresa's row: not found
        return _resposta(404, _("Registro relacionado não encontrado."), "nao_encontrado")
    if isinstance(causa, erros_pg.UniqueViolation | erros_pg.ExclusionViolation):
        return _resposta(409, _("Já existe um registro com esses dados."), "conflito")
    logger.info("integridade recusada: %s", exc)
    return _resposta(400, _("Dados recusados pelo banco de dados."), "invalido")


def _canal(exc: Exception) -> Response:
    if isinstance(exc, ErroTransitorio):
        return _resposta(503, f"O provedor não respondeu: {exc.detalhe}", "provedor_indisponivel")
    if isinstance(exc, ErroDefinitivo):
        return _resposta(422, f"O provedor recusou: {exc.detalhe}", "provedor_recusou")
    return _resposta(422, f"O canal não suporta esta operação: {exc}", "nao_suportado")


def tratar_excecao(exc: Exception, contexto: dict) -> Response | None:
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]."""
    if isinstance(exc, ErroDominio):
        return _erro_dominio(exc)
    if isinstance(exc, ValidationErrorDjango):
        return _validacao_django(exc)
    if isinstance(exc, ProtectedError | RestrictedError):
        return _resposta(409, _("O registro está em uso e não pode ser excluído."), "em_uso")
    if isinstance(exc, IntegrityError):
        return _integridade(exc)
    if isinstance(exc, DataError | UnicodeError):
        return _resposta(400, _("Valor inválido para o banco de dados."), "invalido")
    if isinstance(exc, ErroTransitorio | ErroDefinitivo | OperacaoNaoSuportada):
        return _canal(exc)
    resposta = handler_padrao(exc, contexto)
    if resposta is not None and isinstance(resposta.data, dict) and "detail" in resposta.data:
        codigos = exc.get_codes() if hasattr(exc, "get_codes") else None
        if isinstance(codigos, str):
            resposta.data["codigo"] = codigos
    return resposta
