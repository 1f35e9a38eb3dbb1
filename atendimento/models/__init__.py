"""The domain model. Table names follow the original design (``atendimento_*``); see
docs/arquitetura.md."""

from __future__ import annotations

from . import lookups  # noqa: F401 - registers the __any lookup
from .atendente import Atendente, AtendenteFila
from .auditoria import RegistroAuditoria
from .canal import Canal, EventoWebhook, OpcaoMenu
from .contato import Contato, IdentidadeContato
from .empresa import Empresa
from .fila import Fila, ModoResposta
from .lote import DestinatarioLote, EnvioLote
from .mensagem import Mensagem
from .notificacao import Notificacao, PreferenciaNotificacao, TipoNotificacao
from .sla import AlertaSla, ViolacaoSla
from .template import IntegracaoConfig, Template
from .ticket import Historico, Tag, Ticket

__all__ = [
    "AlertaSla",
    "Atendente",
    "AtendenteFila",
    "Canal",
    "Contato",
    "DestinatarioLote",
    "Empresa",
    "EnvioLote",
    "EventoWebhook",
    "Fila",
    "Historico",
    "IdentidadeContato",
    "IntegracaoConfig",
    "Mensagem",
    "ModoResposta",
    "Notificacao",
    "OpcaoMenu",
    "PreferenciaNotificacao",
    "RegistroAuditoria",
    "Tag",
    "Template",
    "Ticket",
    "TipoNotificacao",
    "ViolacaoSla",
]
