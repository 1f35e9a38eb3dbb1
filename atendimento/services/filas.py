"""Queues and their members.  A queue that still has tickets cannot be deleted (409): deactivate
it instead, so reports keep their history."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from atendimento.exceptions import Conflito, NaoEncontrado
from atendimento.models import Atendente, AtendenteFila, Empresa, Fila
from atendimento.services.cadastros import atribuir, salvar
from atendimento.services.distribuicao import distribuir_apos_commit

CAMPOS_FILA = (
    "nome",
    "descricao",
    "cor",
    "ordem",
    "ativo",
    "distribuicao",
    "sla_primeira_resposta_min",
    "sla_resolucao_min",
    "horario",
    "reabertura",
    "janela_reabertura_horas",
    "sla_proxima_resposta_min",
    "sla_prioridades",
    "devolver_se_offline",
    "assumir_ao_responder",
    "manter_atendente",
    "fechar_aguardando_horas",
    "mensagem_fechamento",
    "mensagem_fora_horario",
    "resposta_automatica",
    "confianca_minima",
    "mensagem_transferencia",
)
_UNICOS = {"fila_empresa_nome_uniq": "nome:Já existe uma fila com este nome."}


@transaction.atomic
def fila_criar(*, empresa: Empresa, **dados: Any) -> Fila:
    fila = Fila(empresa=empresa)
    atribuir(fila, dados, CAMPOS_FILA)
    return salvar(fila, unicos=_UNICOS)


@transaction.atomic
def fila_atualizar(*, fila: Fila, **dados: Any) -> Fila:
    atribuir(fila, dados, CAMPOS_FILA)
    fila = salvar(fila, unicos=_UNICOS)
    distribuir_apos_commit(filas=[fila.pk])  # e.g. from manual to automatic
    return fila


@transaction.atomic
def fila_excluir(*, fila: Fila) -> None:
    if fila.tickets.exists():
        raise Conflito(gettext("A fila tem tickets e não pode ser excluída; desative-a."))
    fila.delete()


@transaction.atomic
def fila_adicionar_atendente(
    *, fila: Fila, atendente: Atendente, prioridade: int | None = None
) -> tuple[AtendenteFila, bool]:
    """Make ``atendente`` a member of ``fila`` (or change its priority); True when created."""
    membro, criado = AtendenteFila.objects.get_or_create(
        atendente=atendente,
        fila=fila,
        defaults={"empresa_id": fila.empresa_id, "prioridade": prioridade or 0},
    )
    if not criado and prioridade is not None and membro.prioridade != prioridade:
        membro.prioridade = prioridade
        membro.save(update_fields=["prioridade", "atualizado_em"])
    if criado:  # a new member may take the queue's waiting tickets
        distribuir_apos_commit(filas=[fila.pk])
    return membro, criado


@transaction.atomic
def fila_remover_atendente(*, fila: Fila, atendente: Atendente) -> None:
    removidos, _ = AtendenteFila.objects.filter(fila=fila, atendente=atendente).delete()
    if not removidos:
        raise NaoEncontrado(gettext("O atendente não pertence a esta fila."))
