"""Agent presence: the status an agent shows to the team (online, ausente, ocupado, offline).

Who is connected is counted by the websocket layer (``atendimento.realtime.presenca``); this
module only persists a status and tells the empresa about it.
"""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from atendimento.exceptions import RegraNegocio
from atendimento.models import Atendente
from atendimento.realtime.eventos import publicar_atendente_status
from atendimento.services.distribuicao import ao_mudar_status


@transaction.atomic
def atendente_atualizar_status(*, atendente: Atendente, status: str) -> Atendente:
    """Set ``status``; publishes ``atendente_status`` after commit when it changed.

    RegraNegocio (422) for a value outside ``Atendente.Status``.
    """
    if status not in Atendente.Status.values:
        validos = ", ".join(Atendente.Status.values)
        raise RegraNegocio(
            _("Status inválido: %(status)s. Use um de: %(validos)s.")
            % {"status": repr(status), "validos": validos}
        )
    atual = Atendente.objects.select_for_update().get(pk=atendente.pk)
    if atual.status != status:
        atual.status = status
        atual.status_alterado_em = timezone.now()
        atual.save(update_fields=["status", "status_alterado_em", "atualizado_em"])
        publicar_atendente_status(atual)
        # online: waiting tickets come to them; offline (after the socket's grace period):
        # their open tickets go back to the queues
        if status in (Atendente.Status.ONLINE, Atendente.Status.OFFLINE):
            transaction.on_commit(partial(ao_mudar_status, atual.pk, status))
    atendente.status = atual.status
    atendente.status_alterado_em = atual.status_alterado_em
    return atendente


@transaction.atomic
def atendente_conectar(*, atendente: Atendente) -> Atendente:
    """A socket of the agent opened: ``offline`` becomes ``online``; a status the agent chose
    (``ausente``, ``ocupado``) is kept."""
    atual = Atendente.objects.select_for_update().only("status").get(pk=atendente.pk)
    if atual.status != Atendente.Status.OFFLINE:
        atendente.status = atual.status
        return atendente
    return atendente_atualizar_status(atendente=atendente, status=Atendente.Status.ONLINE)
