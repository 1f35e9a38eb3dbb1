from __future__ import annotations

from django.urls import path

from atendimento.inbox import acoes, notificacoes, views

app_name = "inbox"

urlpatterns = [
    path("", views.raiz, name="raiz"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/status/", views.status_atendente, name="status"),
    path("inbox/status/alterar/", acoes.alterar_status, name="alterar_status"),
    path("inbox/tickets/<uuid:ticket_id>/", views.ticket, name="ticket"),
    path("inbox/tickets/<uuid:ticket_id>/lateral/", views.lateral, name="lateral"),
    path("inbox/tickets/<uuid:ticket_id>/composer/", views.composer, name="composer"),
    path(
        "inbox/tickets/<uuid:ticket_id>/respostas-rapidas/",
        views.respostas_rapidas,
        name="respostas_rapidas",
    ),
    path(
        "inbox/tickets/<uuid:ticket_id>/mensagens/",
        views.mensagens_anteriores,
        name="mensagens_anteriores",
    ),
    path(
        "inbox/tickets/<uuid:ticket_id>/mensagens/recentes/",
        views.mensagens_recentes,
        name="mensagens_recentes",
    ),
    path("inbox/tickets/<uuid:ticket_id>/enviar/", acoes.enviar, name="enviar"),
    path("inbox/tickets/<uuid:ticket_id>/lidas/", acoes.marcar_lidas, name="marcar_lidas"),
    path("inbox/tickets/<uuid:ticket_id>/atribuir/", acoes.atribuir, name="atribuir"),
    path("inbox/tickets/<uuid:ticket_id>/transferir/", acoes.transferir, name="transferir"),
    path("inbox/tickets/<uuid:ticket_id>/fechar/", acoes.fechar, name="fechar"),
    path("inbox/tickets/<uuid:ticket_id>/reabrir/", acoes.reabrir, name="reabrir"),
    path("inbox/tickets/<uuid:ticket_id>/tags/", acoes.alterar_tags, name="tags"),
    path("inbox/tickets/<uuid:ticket_id>/analisar/", acoes.analisar, name="analisar"),
    path("inbox/tickets/<uuid:ticket_id>/sugerir/", acoes.sugerir, name="sugerir"),
    path(
        "inbox/tickets/<uuid:ticket_id>/sugestoes/<uuid:sugestao_id>/descartar/",
        acoes.descartar_sugestao,
        name="descartar_sugestao",
    ),
    path("inbox/notificacoes/", notificacoes.lista, name="notificacoes"),
    path("inbox/notificacoes/contagem/", notificacoes.contagem, name="notificacoes_contagem"),
    path("inbox/notificacoes/lidas/", notificacoes.marcar_lidas, name="notificacoes_lidas"),
    path(
        "inbox/notificacoes/preferencias/",
        notificacoes.preferencias,
        name="notificacoes_preferencias",
    ),
    path("inbox/mensagens/<uuid:mensagem_id>/", views.mensagem, name="mensagem"),
    path("inbox/mensagens/<uuid:mensagem_id>/reenviar/", acoes.reenviar, name="reenviar"),
]
