from __future__ import annotations

from django.urls import path

from atendimento.painel import views

app_name = "painel"

urlpatterns = [
    path("", views.painel_pagina, name="painel"),
    path("csv/<slug:tabela>/", views.painel_csv, name="csv"),
]
