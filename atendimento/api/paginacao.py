"""Contract pagination: ``{"count","next","previous","results"}`` with ``?page=`` and
``?page_size=`` (up to 200)."""

from __future__ import annotations

from rest_framework.pagination import PageNumberPagination


class Paginacao(PageNumberPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 200


class PaginacaoMensagens(Paginacao):
    """A ticket's conversation: page 1 holds the most recent messages, each page ordered
    oldest→newest; ``next`` goes further back in history.  Paginate a queryset ordered
    newest→oldest; the page is reversed here."""

    page_size = 50

    def paginate_queryset(self, queryset, request, view=None):
        pagina = super().paginate_queryset(queryset, request, view)
        return None if pagina is None else list(reversed(pagina))
