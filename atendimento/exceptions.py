"""Domain errors. One DRF exception handler (atendimento.api.erros) maps them to HTTP codes;
the inbox views and the websocket consumer map them the same way."""

from __future__ import annotations


class ErroDominio(Exception):
    status_http = 400
    codigo = "erro"

    def __init__(self, detalhe: str, **extras: object) -> None:
        detalhe = str(detalhe)  # a lazy translation is rendered now, in the active language
        super().__init__(detalhe)
        self.detalhe = detalhe
        self.extras = extras


class NaoEncontrado(ErroDominio):
    """Missing, or belongs to another empresa, or not visible to this user (never 403)."""

    status_http = 404
    codigo = "nao_encontrado"


class SemPermissao(ErroDominio):
    """Visible but the role may not do this (e.g. an atendente managing channels)."""

    status_http = 403
    codigo = "sem_permissao"


class Conflito(ErroDominio):
    status_http = 409
    codigo = "conflito"


class RegraNegocio(ErroDominio):
    """Well-formed but refused by a rule (e.g. free text outside WhatsApp's 24 h window)."""

    status_http = 422
    codigo = "regra_negocio"


class ArquivoGrande(ErroDominio):
    status_http = 413
    codigo = "arquivo_grande"


class TipoNaoSuportado(ErroDominio):
    status_http = 415
    codigo = "tipo_nao_suportado"


class ServicoIndisponivel(ErroDominio):
    status_http = 503
    codigo = "indisponivel"
