"""Quick replies, tags, contacts, knowledge-base articles (CRUD through services) and the AI
usage metrics (read-only)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from atendimento.api.esquema import EsquemaAtendimento
from atendimento.api.filters import ArtigoFiltro, ContatoFiltro, TemplateFiltro
from atendimento.api.permissions import AcessoAtendimento, exigir_gestao
from atendimento.api.serializers.cadastros import (
    ArtigoSerializer,
    ContatoSerializer,
    MetricasIASerializer,
    TagSerializer,
    TemplateSerializer,
)
from atendimento.api.serializers.comum import PeriodoSerializer
from atendimento.api.views.base import BaseViewSet
from atendimento.models import Contato, Tag, Template
from atendimento.selectors import cadastros as seletores
from atendimento.selectors import estatisticas as sel_estatisticas
from atendimento.selectors import metricas_ia as sel_metricas_ia
from atendimento.services import cadastros as servicos
from ia.models import ArtigoConhecimento


class CadastroViewSet(BaseViewSet):
    """CRUD of one register: a list selector, an ``obter`` selector (404 for another
    empresa's id) and create/update/delete services."""

    listar: ClassVar[Callable[..., Any]]
    obter: ClassVar[Callable[..., Any]]
    criar: ClassVar[Callable[..., Any]]
    atualizar: ClassVar[Callable[..., Any]]
    excluir: ClassVar[Callable[..., Any]]
    #: keyword of the instance for ``atualizar``/``excluir`` (``template=...``)
    nome_instancia: ClassVar[str]

    def get_queryset(self):
        if self.fake():
            return self.queryset
        return type(self).listar(atendente=self.atendente)

    def _obter(self, pk):
        return self.conferir(type(self).obter(self.atendente, pk))

    def _dados(self, instancia=None, parcial=False) -> dict:
        serializer = self.get_serializer(instancia, data=self.request.data, partial=parcial)
        serializer.is_valid(raise_exception=True)
        return self.resolver(dict(serializer.validated_data))

    def resolver(self, dados: dict) -> dict:
        """Turn ids of the body into rows of the empresa (404 otherwise)."""
        return dados

    def list(self, request):
        queryset = self.filter_queryset(self.get_queryset())
        return self.paginado(queryset, self.get_serializer_class())

    def retrieve(self, request, pk=None):
        return self.responder(self.get_serializer_class(), self._obter(pk))

    def create(self, request):
        instancia = type(self).criar(empresa=self.empresa, **self._dados())
        return self.responder(
            self.get_serializer_class(), self._obter(instancia.pk), status.HTTP_201_CREATED
        )

    def update(self, request, pk=None, parcial=False):
        instancia = self._obter(pk)
        dados = self._dados(instancia, parcial)
        instancia = type(self).atualizar(**{self.nome_instancia: instancia}, **dados)
        return self.responder(self.get_serializer_class(), self._obter(instancia.pk))

    def partial_update(self, request, pk=None):
        return self.update(request, pk, parcial=True)

    def destroy(self, request, pk=None):
        type(self).excluir(**{self.nome_instancia: self._obter(pk)})
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["templates"])
class TemplateViewSet(CadastroViewSet):
    """Quick replies (``/atalho``, ``{{contato.nome}}``-style variables) and approved WhatsApp
    templates.  Admins and supervisors manage them."""

    queryset = Template.objects.none()
    serializer_class = TemplateSerializer
    filterset_class = TemplateFiltro
    ordering_fields = ["nome", "atalho", "criado_em"]
    ordering = ["nome", "id"]
    acoes_gestao = "*"
    listar = staticmethod(seletores.templates_listar)
    obter = staticmethod(lambda a, pk: seletores.template_obter(atendente=a, template_id=pk))
    criar = staticmethod(servicos.template_criar)
    atualizar = staticmethod(servicos.template_atualizar)
    excluir = staticmethod(servicos.template_excluir)
    nome_instancia = "template"

    def resolver(self, dados: dict) -> dict:
        if "fila_id" in dados:
            fila_id = dados.pop("fila_id")
            dados["fila"] = fila_id and seletores.fila_obter(
                atendente=self.atendente, fila_id=fila_id
            )
            dados["fila"] = dados["fila"] or None
        return dados


@extend_schema(tags=["tags"])
class TagViewSet(CadastroViewSet):
    queryset = Tag.objects.none()
    serializer_class = TagSerializer
    ordering_fields = ["nome", "criado_em"]
    ordering = ["nome", "id"]
    acoes_gestao = "*"
    listar = staticmethod(seletores.tags_listar)
    obter = staticmethod(lambda a, pk: seletores.tag_obter(atendente=a, tag_id=pk))
    criar = staticmethod(servicos.tag_criar)
    atualizar = staticmethod(servicos.tag_atualizar)
    excluir = staticmethod(servicos.tag_excluir)
    nome_instancia = "tag"


@extend_schema(tags=["contatos"])
class ContatoViewSet(CadastroViewSet):
    """Contacts with their identities.  Every agent may create and edit them; deleting is for
    admins and supervisors, and only for contacts without tickets."""

    queryset = Contato.objects.none()
    serializer_class = ContatoSerializer
    filterset_class = ContatoFiltro
    ordering_fields = ["nome", "criado_em"]
    ordering = ["nome", "id"]
    acoes_gestao = frozenset({"destroy"})
    listar = staticmethod(seletores.contatos_listar)
    obter = staticmethod(lambda a, pk: seletores.contato_obter(atendente=a, contato_id=pk))
    criar = staticmethod(servicos.contato_criar)
    atualizar = staticmethod(servicos.contato_atualizar)
    excluir = staticmethod(servicos.contato_excluir)
    nome_instancia = "contato"


@extend_schema(tags=["base-conhecimento"])
class ArtigoViewSet(CadastroViewSet):
    """Knowledge-base articles.  Indexing them for the AI's retrieval belongs to the AI module;
    ``indexado_em`` stays null until it does."""

    queryset = ArtigoConhecimento.objects.none()
    serializer_class = ArtigoSerializer
    filterset_class = ArtigoFiltro
    ordering_fields = ["titulo", "criado_em", "atualizado_em"]
    ordering = ["titulo", "id"]
    acoes_gestao = "*"
    listar = staticmethod(seletores.artigos_listar)
    obter = staticmethod(lambda a, pk: seletores.artigo_obter(atendente=a, artigo_id=pk))
    criar = staticmethod(servicos.artigo_criar)
    atualizar = staticmethod(servicos.artigo_atualizar)
    excluir = staticmethod(servicos.artigo_excluir)
    nome_instancia = "artigo"


class MetricasFiltroSerializer(PeriodoSerializer):
    provider = serializers.CharField(required=False, max_length=20)
    funcionalidade = serializers.CharField(required=False, max_length=40)


@extend_schema(tags=["ia"])
class MetricasIAView(APIView):
    """AI calls, errors, tokens, cost (USD and BRL), mean latency and the agents' acceptance
    of suggested replies, by day and provider and by day, provider and feature, for admins
    and supervisors of the empresa (default period: the last 30 days)."""

    permission_classes = [AcessoAtendimento]
    schema = EsquemaAtendimento()

    @extend_schema(parameters=[MetricasFiltroSerializer], responses=MetricasIASerializer)
    def get(self, request):
        exigir_gestao(request.atendente)
        filtro = MetricasFiltroSerializer(data=request.query_params)
        filtro.is_valid(raise_exception=True)
        de, ate = sel_estatisticas.periodo(
            request.atendente, filtro.validated_data.get("de"), filtro.validated_data.get("ate")
        )
        dados = sel_metricas_ia.metricas_ia(
            atendente=request.atendente,
            de=de,
            ate=ate,
            provider=filtro.validated_data.get("provider", ""),
            funcionalidade=filtro.validated_data.get("funcionalidade", ""),
        )
        return Response(MetricasIASerializer(dados).data)
