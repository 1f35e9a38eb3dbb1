"""Contract pagination: ``{"count","next","previous","results"}`` with ``?page=`` and
``?page_size=`` (up to 200)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from django.core.paginator import EmptyPage, PageNotAnInteger
from django.core.paginator import Paginator as DjangoPaginator
from django.db.models import Count, QuerySet, Window
from rest_framework.pagination import PageNumberPagination

#: reads a page's rows, with what the list shows, from a subquery of their primary keys
Carregar = Callable[[QuerySet], QuerySet]


class PaginadorPorChaves(DjangoPaginator):
    """Django's paginator for a filtered, ordered queryset, reading a page in two queries:

    1. the page's primary keys with the exact count of the whole list next to them
       (``COUNT(*) OVER ()``): the filters — a full-text search among them — run once, and the
       OFFSET of a deep page (``?page=100``) walks the ordered index without joining or reading
       the rows it skips;
    2. only those rows, through ``carregar`` (joins, prefetches), put back in the keys' order.

    A page past the end (no keys) counts with a plain ``COUNT(*)`` to tell an empty list from
    an invalid page, as Django's paginator does."""

    def __init__(self, object_list: QuerySet, per_page, *, carregar: Carregar, **kwargs) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.carregar = carregar

    def page(self, number):
        if self.orphans or self.object_list.query.distinct:
            return super().page(number)  # not what the lists use: Django's own reading
        number = self._numero(number)
        inicio = (number - 1) * self.per_page
        chaves = list(
            self.object_list.annotate(total_da_lista=Window(Count("*"))).values_list(
                "pk", "total_da_lista"
            )[inicio : inicio + self.per_page]
        )
        if chaves:
            self.__dict__["count"] = chaves[0][1]  # ``count`` is a cached_property
        number = self.validate_number(number)  # an invalid page: EmptyPage, as Django's
        posicao = {chave: i for i, (chave, _total) in enumerate(chaves)}
        linhas = self.carregar(self.object_list.model._default_manager.filter(pk__in=posicao))
        return self._get_page(
            sorted(linhas, key=lambda linha: posicao[linha.pk]) if chaves else [], number, self
        )

    def _numero(self, number) -> int:
        """``number`` as a page number (PageNotAnInteger / EmptyPage below 1), without
        counting: Django's ``validate_number`` also compares it with ``num_pages``."""
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        return number


class Paginacao(PageNumberPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 200
    #: set per call of ``paginate_queryset``; None reads the page's rows directly
    carregar: Carregar | None = None

    def paginate_queryset(self, queryset, request, view=None, *, carregar: Carregar | None = None):
        """DRF's, and with ``carregar`` the page is read by ``PaginadorPorChaves``."""
        self.carregar = carregar
        return super().paginate_queryset(queryset, request, view)

    @property
    def django_paginator_class(self):
        if self.carregar is None:
            return DjangoPaginator
        return partial(PaginadorPorChaves, carregar=self.carregar)


class PaginacaoMensagens(Paginacao):
    """A ticket's conversation: page 1 holds the most recent messages, each page ordered
    oldest→newest; ``next`` goes further back in history.  Paginate a queryset ordered
    newest→oldest; the page is reversed here."""

    page_size = 50

    def paginate_queryset(self, queryset, request, view=None, **kwargs):
        pagina = super().paginate_queryset(queryset, request, view, **kwargs)
        return None if pagina is None else list(reversed(pagina))
