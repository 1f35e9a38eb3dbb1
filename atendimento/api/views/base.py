from __future__ import annotations

from rest_framework import viewsets
from rest_framework.response import Response

from atendimento.api.esquema import EsquemaAtendimento
from atendimento.api.paginacao import Paginacao
from atendimento.api.parsers import JSONParserLimitado
from atendimento.api.permissions import AcessoAtendimento, GestaoEmpresa

#: path ids are UUIDs; anything else does not match the route (404)
UUID = "[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"


class BaseViewSet(viewsets.GenericViewSet):
    """Authenticated agents only; ``acoes_gestao`` lists the actions reserved to admins and
    supervisors (``"*"``: every action but list/retrieve)."""

    permission_classes = [AcessoAtendimento, GestaoEmpresa]
    parser_classes = [JSONParserLimitado]  # JSON in; enviar-midia overrides: multipart
    pagination_class = Paginacao
    lookup_value_regex = UUID
    schema = EsquemaAtendimento()
    acoes_gestao: frozenset[str] | str = frozenset()

    @property
    def atendente(self):
        return self.request.atendente

    @property
    def empresa(self):
        return self.request.atendente.empresa

    def fake(self) -> bool:
        """True while drf-spectacular introspects the view (no request user)."""
        return getattr(self, "swagger_fake_view", False)

    def conferir(self, objeto):
        """Object-level role check after a selector found ``objeto`` (404 comes first)."""
        self.check_object_permissions(self.request, objeto)
        return objeto

    def paginado(self, queryset, serializer_class, paginacao=None, carregar=None, **contexto):
        """One page of ``queryset``; with ``carregar`` (a selector's loader of the rows a page
        shows) the page is read key-first (``PaginadorPorChaves``)."""
        paginador = paginacao() if paginacao else self.paginator
        pagina = paginador.paginate_queryset(queryset, self.request, view=self, carregar=carregar)
        dados = serializer_class(
            pagina, many=True, context={**self.get_serializer_context(), **contexto}
        ).data
        return paginador.get_paginated_response(dados)

    def responder(self, serializer_class, instancia, status=200):
        return Response(
            serializer_class(instancia, context=self.get_serializer_context()).data,
            status=status,
        )

    def validado(self, serializer_class, dados, **kwargs):
        """``dados`` checked by ``serializer_class`` (400 with the field errors otherwise)."""
        serializer = serializer_class(data=dados, **kwargs)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def recarregar(self, objeto):
        """``objeto`` as the view's responses show it (re-read through its selector)."""
        return objeto

    def resposta(self, objeto, status=200):
        """``objeto`` after an action, re-read and shown with the view's ``serializer_class``."""
        return self.responder(self.serializer_class, self.recarregar(objeto), status)
