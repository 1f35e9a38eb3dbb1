"""Queues and agents: everybody reads them; admins and supervisors manage them (an atendente
only changes their own presence status)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from atendimento.api.filters import AtendenteFiltro
from atendimento.api.permissions import exigir_gestao
from atendimento.api.serializers.equipe import (
    AtendenteAtualizarSerializer,
    AtendenteCriarSerializer,
    AtendenteSerializer,
    FilaAtendenteSerializer,
    FilaSerializer,
    MembroFilaSerializer,
    StatusAtendenteSerializer,
)
from atendimento.api.serializers.tickets import TicketSerializer
from atendimento.api.views.base import UUID, BaseViewSet
from atendimento.models import Atendente, Fila
from atendimento.selectors import cadastros as seletores
from atendimento.selectors import tickets as sel_tickets
from atendimento.services import atendentes as servicos_atendentes
from atendimento.services import filas as servicos_filas
from atendimento.services.presenca import atendente_atualizar_status


@extend_schema(tags=["filas"])
class FilaViewSet(BaseViewSet):
    queryset = Fila.objects.none()
    serializer_class = FilaSerializer
    ordering_fields = ["nome", "ordem", "criado_em"]
    ordering = ["ordem", "nome", "id"]
    acoes_gestao = "*"

    def get_queryset(self):
        if self.fake():
            return Fila.objects.none()
        return seletores.filas_listar(atendente=self.atendente)

    def _fila(self, pk) -> Fila:
        return self.conferir(seletores.fila_obter(atendente=self.atendente, fila_id=pk))

    def recarregar(self, objeto: Fila) -> Fila:
        return seletores.fila_obter(atendente=self.atendente, fila_id=objeto.pk)

    def list(self, request):
        return self.paginado(self.filter_queryset(self.get_queryset()), FilaSerializer)

    def retrieve(self, request, pk=None):
        return self.responder(FilaSerializer, self._fila(pk))

    @extend_schema(responses={201: FilaSerializer})
    def create(self, request):
        dados = self.validado(FilaSerializer, request.data)
        fila = servicos_filas.fila_criar(empresa=self.empresa, **dados)
        return self.resposta(fila, status.HTTP_201_CREATED)

    def update(self, request, pk=None, parcial=False):
        fila = self._fila(pk)
        dados = self.validado(FilaSerializer, request.data, instance=fila, partial=parcial)
        return self.resposta(servicos_filas.fila_atualizar(fila=fila, **dados))

    def partial_update(self, request, pk=None):
        return self.update(request, pk, parcial=True)

    def destroy(self, request, pk=None):
        servicos_filas.fila_excluir(fila=self._fila(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=FilaAtendenteSerializer,
        responses={200: MembroFilaSerializer, 201: MembroFilaSerializer},
        description="Inclui o atendente na fila (201) ou muda a sua prioridade (200).",
    )
    @action(detail=True, methods=["post"], url_path="atendentes")
    def adicionar_atendente(self, request, pk=None):
        fila = self._fila(pk)
        dados = self.validado(FilaAtendenteSerializer, request.data)
        alvo = sel_tickets.atendente_obter(
            atendente=self.atendente, atendente_id=dados["atendente_id"]
        )
        membro, criado = servicos_filas.fila_adicionar_atendente(
            fila=fila, atendente=alvo, prioridade=dados.get("prioridade")
        )
        corpo = {
            "atendente_id": alvo.id,
            "fila_id": fila.id,
            "nome": alvo.nome,
            "prioridade": membro.prioridade,
        }
        return Response(
            MembroFilaSerializer(corpo).data,
            status=status.HTTP_201_CREATED if criado else status.HTTP_200_OK,
        )

    @extend_schema(
        parameters=[OpenApiParameter("atendente_id", OpenApiTypes.UUID, OpenApiParameter.PATH)],
        request=None,
        responses={204: None},
    )
    @action(
        detail=True,
        methods=["delete"],
        url_path=rf"atendentes/(?P<atendente_id>{UUID})",
    )
    def remover_atendente(self, request, pk=None, atendente_id=None):
        fila = self._fila(pk)
        alvo = sel_tickets.atendente_obter(atendente=self.atendente, atendente_id=atendente_id)
        servicos_filas.fila_remover_atendente(fila=fila, atendente=alvo)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["atendentes"])
class AtendenteViewSet(BaseViewSet):
    """Agents with their stats (open tickets, closed today, mean first response)."""

    queryset = Atendente.objects.none()
    serializer_class = AtendenteSerializer
    filterset_class = AtendenteFiltro
    ordering_fields = ["nome", "criado_em", "status"]
    ordering = ["nome", "id"]
    acoes_gestao = frozenset({"create", "update", "partial_update", "destroy"})

    def get_queryset(self):
        if self.fake():
            return Atendente.objects.none()
        return seletores.atendentes_listar(atendente=self.atendente)

    def _alvo(self, pk) -> Atendente:
        return self.conferir(seletores.atendente_obter(atendente=self.atendente, atendente_id=pk))

    def _filas(self, ids):
        return [seletores.fila_obter(atendente=self.atendente, fila_id=i) for i in ids]

    def recarregar(self, objeto: Atendente) -> Atendente:
        return seletores.atendente_obter(atendente=self.atendente, atendente_id=objeto.pk)

    def list(self, request):
        return self.paginado(self.filter_queryset(self.get_queryset()), AtendenteSerializer)

    def retrieve(self, request, pk=None):
        return self.responder(AtendenteSerializer, self._alvo(pk))

    @extend_schema(request=AtendenteCriarSerializer, responses={201: AtendenteSerializer})
    def create(self, request):
        dados = self.validado(AtendenteCriarSerializer, request.data)
        dados["filas"] = self._filas(dados["filas"])
        alvo = servicos_atendentes.atendente_criar(
            empresa=self.empresa, por=self.atendente, **dados
        )
        return self.resposta(alvo, status.HTTP_201_CREATED)

    @extend_schema(request=AtendenteAtualizarSerializer, responses=AtendenteSerializer)
    def update(self, request, pk=None):
        alvo = self._alvo(pk)
        dados = self.validado(AtendenteAtualizarSerializer, request.data)
        if "filas" in dados:
            dados["filas"] = self._filas(dados["filas"])
        alvo = servicos_atendentes.atendente_atualizar(atendente=alvo, por=self.atendente, **dados)
        return self.resposta(alvo)

    @extend_schema(request=AtendenteAtualizarSerializer, responses=AtendenteSerializer)
    def partial_update(self, request, pk=None):
        return self.update(request, pk)

    def destroy(self, request, pk=None):
        servicos_atendentes.atendente_excluir(atendente=self._alvo(pk), por=self.atendente)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=StatusAtendenteSerializer, responses=AtendenteSerializer)
    @action(detail=True, methods=["put"], url_path="status")
    def status_presenca(self, request, pk=None):
        alvo = self._alvo(pk)
        if alvo.id != self.atendente.id:
            exigir_gestao(self.atendente)
        dados = self.validado(StatusAtendenteSerializer, request.data)
        alvo = atendente_atualizar_status(atendente=alvo, status=dados["status"])
        return self.resposta(alvo)

    @extend_schema(responses=TicketSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"])
    def tickets(self, request, pk=None):
        alvo = self._alvo(pk)
        tickets = sel_tickets.tickets_do_atendente(atendente=self.atendente, alvo=alvo).order_by(
            "-ultima_mensagem_em", "-criado_em", "id"
        )
        return self.paginado(tickets, TicketSerializer)
