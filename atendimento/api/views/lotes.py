from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action

from atendimento.api.permissions import exigir_gestao
from atendimento.api.serializers.lotes import DestinatarioLoteSerializer, EnvioLoteSerializer
from atendimento.api.views.base import BaseViewSet
from atendimento.exceptions import NaoEncontrado
from atendimento.models import EnvioLote
from atendimento.services import lote as servico


@extend_schema(tags=["mensagens"])
class LoteViewSet(BaseViewSet):
    """Bulk sends of the empresa (admins and supervisors), with progress and the result of
    each recipient.  Created by ``POST mensagens/enviar-lote/``."""

    queryset = EnvioLote.objects.none()
    serializer_class = EnvioLoteSerializer
    ordering = ["-criado_em", "id"]
    acoes_gestao = "*"

    def get_queryset(self):
        if self.fake():
            return EnvioLote.objects.none()
        exigir_gestao(self.atendente)
        return EnvioLote.objects.filter(empresa_id=self.atendente.empresa_id).order_by(
            "-criado_em", "id"
        )

    def _lote(self, pk) -> EnvioLote:
        lote = self.get_queryset().filter(pk=pk).first()
        if lote is None:
            raise NaoEncontrado(_("Lote não encontrado."))
        return lote

    def list(self, request):
        return self.paginado(self.get_queryset(), EnvioLoteSerializer)

    def retrieve(self, request, pk=None):
        return self.responder(EnvioLoteSerializer, self._lote(pk))

    @extend_schema(responses=DestinatarioLoteSerializer(many=True))
    @action(detail=True, methods=["get"])
    def destinatarios(self, request, pk=None):
        lote = self._lote(pk)
        consulta = lote.destinatarios.select_related("contato", "mensagem").order_by("posicao")
        if request.query_params.get("status"):
            consulta = consulta.filter(status=request.query_params["status"])
        return self.paginado(consulta, DestinatarioLoteSerializer)

    @extend_schema(request=None, responses=EnvioLoteSerializer)
    @action(detail=True, methods=["post"])
    def cancelar(self, request, pk=None):
        lote = servico.lote_cancelar(atendente=self.atendente, lote=self._lote(pk))
        return self.responder(EnvioLoteSerializer, lote)
