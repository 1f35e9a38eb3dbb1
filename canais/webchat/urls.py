from __future__ import annotations

from django.urls import path

from canais.webchat import views

app_name = "webchat"

urlpatterns = [
    path("<str:chave>/", views.pagina_teste, name="teste"),
    path("<str:chave>/embed/", views.embed, name="embed"),
    path("<str:chave>/sessao/", views.sessao, name="sessao"),
    path("<str:chave>/mensagens/", views.mensagens, name="mensagens"),
    path("<str:chave>/midia/<uuid:mensagem_id>/", views.midia, name="midia"),
]
