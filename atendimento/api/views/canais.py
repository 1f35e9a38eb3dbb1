from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from atendimento.api.filters import CanalFiltro
from atendimento.api.serializers.canais import (
    CAMPOS_AUTOMACAO,
    CanalAtualizarSerializer,
    CanalCriarSerializer,
    CanalSerializer,
    ResultadoTesteSerializer,
    SincronizacaoSerializer,
    url_webhook,
)
from atendimento.api.serializers.comum import ErroSerializer
from atendimento.api.views.base import BaseViewSet
from atendimento.models import Canal
from atendimento.selectors import cadastros as seletores
from atendimento.services.cadastros import canal_excluir
from atendimento.services.menu_inicial import canal_configurar_menu
from atendimento.services.templates_whatsapp import templates_sincronizar
from canais import services


@extend_schema(tags=["canais"])
class CanalViewSet(BaseViewSet):
    """Channels of the empresa.  Everybody reads them (secrets masked); only admins and
    supervisors create, change, activate, deactivate, test or delete them."""

    queryset = Canal.objects.none()
    serializer_class = CanalSerializer
    filterset_class = CanalFiltro
    ordering_fields = ["nome", "criado_em", "tipo"]
    ordering = ["nome", "id"]
    acoes_gestao = "*"

    def get_queryset(self):
        if self.fake():
            return Canal.objects.none()
        return seletores.canais_listar(atendente=self.atendente)

    def _canal(self, pk) -> Canal:
        return self.conferir(seletores.canal_obter(atendente=self.atendente, canal_id=pk))

    def _fila(self, fila_id):
        return fila_id and seletores.fila_obter(atendente=self.atendente, fila_id=fila_id)

    def _dados(self, serializer_class, dados) -> tuple[dict, dict]:
        """The validated body split into the channel's own fields and its automation (menu
        fields and options, bot policy)."""
        dados = dict(self.validado(serializer_class, dados, context={"empresa": self.empresa}))
        automacao = {c: dados.pop(c) for c in (*CAMPOS_AUTOMACAO, "opcoes_menu") if c in dados}
        automacao["opcoes"] = automacao.pop("opcoes_menu", None)
        return dados, automacao

    def recarregar(self, objeto: Canal) -> Canal:
        return seletores.canal_obter(atendente=self.atendente, canal_id=objeto.pk)

    def list(self, request):
        return self.paginado(self.filter_queryset(self.get_queryset()), CanalSerializer)

    def retrieve(self, request, pk=None):
        return self.responder(CanalSerializer, self._canal(pk))

    @extend_schema(request=CanalCriarSerializer, responses={201: CanalSerializer})
    @transaction.atomic
    def create(self, request):
        dados, automacao = self._dados(CanalCriarSerializer, request.data)
        canal = services.canal_criar(
            empresa=self.empresa,
            tipo=dados["tipo"],
            nome=dados["nome"],
            config=dados["config"],
            fila_padrao=self._fila(dados["fila_padrao"]) or None,
        )
        canal = canal_configurar_menu(canal=canal, **automacao)
        return self.resposta(canal, status.HTTP_201_CREATED)

    @extend_schema(request=CanalAtualizarSerializer, responses=CanalSerializer)
    @transaction.atomic
    def update(self, request, pk=None):
        canal = self._canal(pk)
        dados, automacao = self._dados(CanalAtualizarSerializer, request.data)
        if "fila_padrao" in dados:
            dados["fila_padrao"] = self._fila(dados["fila_padrao"]) or None
        canal = services.canal_atualizar(canal=canal, **dados)
        canal = canal_configurar_menu(canal=canal, **automacao)
        return self.resposta(canal)

    @extend_schema(request=CanalAtualizarSerializer, responses=CanalSerializer)
    def partial_update(self, request, pk=None):
        return self.update(request, pk)

    def destroy(self, request, pk=None):
        canal_excluir(canal=self._canal(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=None,
        responses={
            200: CanalSerializer,
            503: OpenApiResponse(ErroSerializer, description="O provedor não respondeu."),
        },
        description="Registra o webhook no provedor quando ele permite e ativa o canal.",
    )
    @action(detail=True, methods=["post"])
    def ativar(self, request, pk=None):
        canal = self._canal(pk)
        canal = services.canal_ativar(canal=canal, url_webhook=url_webhook(request, canal))
        return self.responder(CanalSerializer, canal)

    @extend_schema(
        request=None,
        responses=CanalSerializer,
        description="Desativa o canal e remove no provedor o webhook que a ativação registrou.",
    )
    @action(detail=True, methods=["post"])
    def desativar(self, request, pk=None):
        canal = self._canal(pk)
        canal = services.canal_desativar(canal=canal, url_webhook=url_webhook(request, canal))
        return self.responder(CanalSerializer, canal)

    @extend_schema(
        request=None,
        responses={
            200: SincronizacaoSerializer,
            422: OpenApiResponse(ErroSerializer, description="O canal não tem templates."),
            503: OpenApiResponse(ErroSerializer, description="A Meta não respondeu."),
        },
        description="Busca na Meta os templates do WhatsApp Business Account do canal.",
    )
    @action(detail=True, methods=["post"], url_path="sincronizar-templates")
    def sincronizar_templates(self, request, pk=None):
        resultado = templates_sincronizar(canal=self._canal(pk))
        return Response(resultado)

    @extend_schema(
        request=None,
        responses=ResultadoTesteSerializer,
        description="Chama o endpoint autenticado mais barato do provedor e guarda o resultado.",
    )
    @action(detail=True, methods=["post"])
    def testar(self, request, pk=None):
        resultado = services.canal_testar(canal=self._canal(pk))
        return Response(
            ResultadoTesteSerializer(
                {"ok": resultado.ok, "detalhe": resultado.detalhe, "dados": dict(resultado.dados)}
            ).data
        )
