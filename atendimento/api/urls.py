"""``/api/``: JWT auth, the REST API under ``atendimento/``, the OpenAPI schema and its
interactive docs (served from local assets)."""

from __future__ import annotations

from csp.decorators import csp_update
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from atendimento.api.views.auth import LoginView, RenovarTokenView, nao_encontrado
from atendimento.api.views.cadastros import (
    ArtigoViewSet,
    ContatoViewSet,
    MetricasIAView,
    TagViewSet,
    TemplateViewSet,
)
from atendimento.api.views.canais import CanalViewSet
from atendimento.api.views.equipe import AtendenteViewSet, FilaViewSet
from atendimento.api.views.lotes import LoteViewSet
from atendimento.api.views.mensagens import MensagemViewSet
from atendimento.api.views.tickets import TicketViewSet

rotas = SimpleRouter()
rotas.register("tickets", TicketViewSet, basename="ticket")
rotas.register("mensagens", MensagemViewSet, basename="mensagem")
rotas.register("lotes", LoteViewSet, basename="lote")
rotas.register("canais", CanalViewSet, basename="canal")
rotas.register("filas", FilaViewSet, basename="fila")
rotas.register("atendentes", AtendenteViewSet, basename="atendente")
rotas.register("templates", TemplateViewSet, basename="template")
rotas.register("tags", TagViewSet, basename="tag")
rotas.register("contatos", ContatoViewSet, basename="contato")
rotas.register("base-conhecimento", ArtigoViewSet, basename="artigo")

urlpatterns = [
    path("auth/token/", LoginView.as_view(), name="token"),
    path("auth/token/refresh/", RenovarTokenView.as_view(), name="token-refresh"),
    path("atendimento/ia/metricas/", MetricasIAView.as_view(), name="ia-metricas"),
    path("atendimento/", include(rotas.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI's page carries one inline <style>: allowed on this page only
    path(
        "docs/",
        csp_update({"style-src": ["'unsafe-inline'"]})(
            SpectacularSwaggerSplitView.as_view(url_name="schema")
        ),
        name="docs",
    ),
    # anything else under /api/ is a JSON 404 (never Django's HTML page, never a redirect)
    re_path(r"^", nao_encontrado),
]
