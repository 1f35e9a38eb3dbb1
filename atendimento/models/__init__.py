"""The domain model. Table names follow the seed design (``atendimento_*``)."""

from __future__ import annotations

from .atendente import Atendente, AtendenteFila
from .auditoria import RegistroAuditoria
from .canal import Canal, EventoWebhook
from .contato import Contato, IdentidadeContato
from .empresa import Empresa
from .fila import Fila
from .mensagem import Mensagem
from .notificacao import Notificacao, PreferenciaNotificacao, TipoNotificacao
from .template import IntegracaoConfig, Template
from .ticket import Historico, Tag, Ticket

__all__ = [
    "Atendente",
    "AtendenteFila",
    "Canal",
    "Contato",
    "Empresa",
    "EventoWebhook",
    "Fila",
    "Historico",
    "IdentidadeContato",
    "IntegracaoConfig",
    "Mensagem",
    "Notificacao",
    "PreferenciaNotificacao",
    "RegistroAuditoria",
    "Tag",
    "Template",
    "Ticket",
    "TipoNotificacao",
]
