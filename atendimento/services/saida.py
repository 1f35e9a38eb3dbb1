"""Outbound messages: what an agent sends, stored before it is sent.

``mensagem_enviar`` / ``mensagem_enviar_midia`` store the message as ``pendente`` in the same
transaction that updates the ticket, then queue the sending task after commit (``messages``
queue) and publish ``nova_mensagem``.  If the broker is down at that moment the message stays
``pendente`` with the reason in ``erro_detalhe`` (visible to the agent) and
``mensagem_reenviar`` queues it again.  Delivery states are kept by
:mod:`atendimento.services.entrega`.

WhatsApp's 24-hour customer-service window is tracked per ticket from
``Ticket.ultima_entrada_em``: outside it, free text and media are refused at once (422) and only
an approved template (``Template`` tipo ``whatsapp``) can be sent.
"""

from __future__ import annotations

import logging
import math
import mimetypes
import os
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.db import OperationalError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from atendimento.exceptions import (
    ArquivoGrande,
    Conflito,
    ErroDominio,
    NaoEncontrado,
    RegraNegocio,
    TipoNaoSuportado,
)
from atendimento.models import Atendente, Historico, Mensagem, Template, Ticket
from atendimento.realtime.eventos import (
    publicar_nova_mensagem,
    publicar_status_mensagem,
    publicar_ticket_atualizado,
)
from atendimento.selectors.acesso import ticket_visivel, tickets_visiveis
from atendimento.services.entrega import mensagem_aplicar_status
from atendimento.services.saida_base import (
    classe_do_canal,
    destino_do_ticket,
    enfileirar,
    enfileirar_agora,
    exigir_janela,
    gravar_saida,
    janela_aberta,
    mensagem_respondida,
    nova_saida,
    registrar_nao_enfileirada,
    template_valido,
    ticket_para_envio,
)
from atendimento.services.templates import (
    botoes_do_template,
    template_whatsapp_previa,
    texto_renderizar,
)
from atendimento.services.templates_whatsapp import componentes_para_envio
from canais.adapters.base import AdaptadorCanal, TipoMensagem
from canais.enfileirar import enviar_lote as tarefa_lote
from canais.enfileirar import (
    enviar_mensagem,
    enviar_midia,
    marcar_lida_provedor,
    publicar,
    reenviar_mensagem,
)
from canais.registry import TipoCanalDesconhecido, classe_adaptador

__all__ = [
    "destino_do_ticket",
    "enfileirar_agora",
    "enviar_lote",
    "janela_aberta",
    "mensagem_aplicar_status",
    "mensagem_enviar",
    "mensagem_enviar_automatica",
    "mensagem_enviar_midia",
    "mensagem_reenviar",
    "mensagens_marcar_lidas",
]

logger = logging.getLogger(__name__)

LIMITE_LEGENDA = 1024
LIMITE_LOTE = 500
#: media kinds that carry a caption on every channel; for the others the caption goes out as a
#: text message right after the media (WhatsApp has no caption on audio and stickers)
TIPOS_COM_LEGENDA = frozenset({Mensagem.Tipo.IMAGEM, Mensagem.Tipo.VIDEO, Mensagem.Tipo.DOCUMENTO})


def _limite_texto(canal) -> int:
    """Longest text the channel sends (its adapter's ``limite_texto``)."""
    try:
        return classe_adaptador(canal.tipo).limite_texto
    except TipoCanalDesconhecido:
        return AdaptadorCanal.limite_texto


def _preparar_texto(
    atendente: Atendente,
    ticket: Ticket,
    conteudo: str,
    template,
    responder_a,
    variaveis: dict[str, str] | None = None,
) -> Mensagem:
    ticket = ticket_para_envio(atendente, ticket)
    conteudo = (conteudo or "").strip()
    dados: dict[str, Any] = {}
    if template is not None:
        template = template_valido(atendente, ticket, template)
        if template.tipo == Template.Tipo.WHATSAPP:
            componentes = componentes_para_envio(
                template=template, ticket=ticket, atendente=atendente, valores=variaveis
            )
            dados["template"] = {
                "nome": template.nome_whatsapp or template.nome,
                "idioma": template.idioma,
                "componentes": componentes,
            }
            conteudo = template_whatsapp_previa(
                template=template, componentes=componentes, ticket=ticket, atendente=atendente
            )
        else:
            conteudo = texto_renderizar(
                conteudo or template.conteudo, ticket=ticket, atendente=atendente
            ).strip()
            botoes = botoes_do_template(template)
            if botoes:
                dados["botoes"] = botoes
    if not dados.get("template"):
        if not conteudo:
            raise RegraNegocio(gettext("Escreva a mensagem antes de enviar."))
        limite = _limite_texto(ticket.canal)
        if len(conteudo) > limite:
            raise RegraNegocio(
                gettext("A mensagem passa de %(limite)s caracteres, o máximo do %(valor)s.")
                % {"limite": limite, "valor": ticket.canal.get_tipo_display()}
            )
        exigir_janela(ticket)
    respondida = mensagem_respondida(ticket, responder_a)
    mensagem = nova_saida(
        ticket,
        atendente,
        tipo=Mensagem.Tipo.TEXTO,
        conteudo=conteudo,
        dados=dados,
        template=template,
        responder_a=respondida,
        responde_a_id_externo=(respondida.id_externo or "") if respondida else "",
    )
    return gravar_saida(ticket, atendente, mensagem)


@transaction.atomic
def mensagem_enviar(
    *,
    atendente: Atendente,
    ticket: Ticket,
    conteudo: str = "",
    template: Template | None = None,
    responder_a: Mensagem | None = None,
    variaveis: dict[str, str] | None = None,
    atraso_segundos: float = 0,
) -> Mensagem:
    """Store an agent's text (or quick reply, or approved WhatsApp template with its
    ``variaveis``) as ``pendente`` and queue it (``atraso_segundos`` later: bulk sends pace
    themselves).  RegraNegocio (422): closed ticket, inactive channel, empty text, free text
    outside WhatsApp's 24 h window, a template variable left empty."""
    mensagem = _preparar_texto(atendente, ticket, conteudo, template, responder_a, variaveis)
    if atraso_segundos > 0:
        transaction.on_commit(
            lambda: enfileirar_agora(
                enviar_mensagem, mensagem.id, countdown=round(atraso_segundos, 3)
            )
        )
    else:
        enfileirar(enviar_mensagem, mensagem.id)
    return mensagem


def _mime_do_arquivo(arquivo) -> str:
    declarado = (getattr(arquivo, "content_type", "") or "").split(";", 1)[0].strip().lower()
    adivinhado = (mimetypes.guess_type(getattr(arquivo, "name", "") or "")[0] or "").lower()
    if declarado in ("", "application/octet-stream") and adivinhado:
        return adivinhado
    return declarado


def _tipo_da_midia(mime: str) -> str:
    if mime == "image/webp":
        return Mensagem.Tipo.STICKER
    principal = mime.split("/", 1)[0]
    return {
        "image": Mensagem.Tipo.IMAGEM,
        "video": Mensagem.Tipo.VIDEO,
        "audio": Mensagem.Tipo.AUDIO,
    }.get(principal, Mensagem.Tipo.DOCUMENTO)


def _mb(tamanho: int, *, para_cima: bool = False) -> str:
    """``5,1 MB``: one decimal, rounded up for a file's size (never shown equal to the limit it
    exceeds) and down for a limit."""
    decimos = tamanho * 10 / (1024 * 1024)
    decimos = math.ceil(decimos) if para_cima else math.floor(decimos)
    inteiro, resto = divmod(decimos, 10)
    return f"{inteiro},{resto} MB" if resto else f"{inteiro} MB"


@transaction.atomic
def mensagem_enviar_midia(
    *, atendente: Atendente, ticket: Ticket, arquivo, legenda: str = ""
) -> Mensagem:
    """Store an uploaded file (Django storage) as a ``pendente`` media message and queue it.

    TipoNaoSuportado (415) / ArquivoGrande (413) from the channel adapter's ``mimes_aceitos`` /
    ``limite_midia_bytes``.  A caption on audio or a sticker goes out as a text message right
    after the media (queued by the media's task, so the order is kept).
    """
    ticket = ticket_para_envio(atendente, ticket)
    classe = classe_do_canal(ticket.canal)
    canal_nome = ticket.canal.get_tipo_display()
    mime = _mime_do_arquivo(arquivo)
    if mime not in classe.mimes_aceitos:
        raise TipoNaoSuportado(
            gettext("Arquivos do tipo %(valor)s não são aceitos pelo %(canal_nome)s.")
            % {"valor": mime or "desconhecido", "canal_nome": canal_nome}
        )
    tipo = _tipo_da_midia(mime)
    tamanho = int(arquivo.size or 0)
    if tamanho <= 0:
        raise RegraNegocio(gettext("O arquivo está vazio."))
    limite = classe.limite_midia_bytes.get(TipoMensagem(tipo))
    if limite is not None and tamanho > limite:
        raise ArquivoGrande(
            gettext(
                "O arquivo tem %(valor)s; o %(canal_nome)s aceita até %(valor2)s para %(valor3)s."
            )
            % {
                "valor": _mb(tamanho, para_cima=True),
                "canal_nome": canal_nome,
                "valor2": _mb(limite),
                "valor3": Mensagem.Tipo(tipo).label.lower(),
            }
        )
    legenda = (legenda or "").strip()
    if len(legenda) > LIMITE_LEGENDA:
        raise RegraNegocio(
            gettext("A legenda passa de %(LIMITE_LEGENDA)s caracteres.")
            % {"LIMITE_LEGENDA": LIMITE_LEGENDA}
        )
    exigir_janela(ticket)

    nome = os.path.basename(getattr(arquivo, "name", "") or "") or "arquivo"
    com_legenda = tipo in TIPOS_COM_LEGENDA
    mensagem = nova_saida(
        ticket,
        atendente,
        tipo=tipo,
        conteudo=legenda if com_legenda else "",
        midia_mime=mime,
        midia_nome=nome[:255],
        midia_tamanho=tamanho,
        midia_status=Mensagem.StatusMidia.DISPONIVEL,
    )
    mensagem.midia_arquivo.save(nome, arquivo, save=False)
    if legenda and not com_legenda:
        texto = nova_saida(ticket, atendente, tipo=Mensagem.Tipo.TEXTO, conteudo=legenda)
        texto.data = mensagem.data + timedelta(microseconds=1)
        mensagem.dados = {"enviar_depois": [str(texto.id)]}
        gravar_saida(ticket, atendente, mensagem)
        gravar_saida(ticket, atendente, texto)
    else:
        gravar_saida(ticket, atendente, mensagem)
    enfileirar(enviar_midia, mensagem.id)
    return mensagem


@transaction.atomic
def mensagem_reenviar(*, atendente: Atendente, mensagem: Mensagem) -> Mensagem:
    """Queue again a message that ended in ``erro`` (or a ``pendente`` one that never reached
    the queue).  The ticket must still be open on an active channel and, for free text on
    WhatsApp, inside the 24 h window."""
    try:
        atual = (
            Mensagem.objects.select_for_update(nowait=True, of=("self",))
            .select_related("ticket__canal", "ticket__contato")
            .get(pk=getattr(mensagem, "pk", mensagem), empresa_id=atendente.empresa_id)
        )
    except (Mensagem.DoesNotExist, ValueError, TypeError):
        raise NaoEncontrado(gettext("Mensagem não encontrada.")) from None
    except OperationalError:  # row locked: the sending task holds it right now
        raise Conflito(gettext("A mensagem está sendo enviada neste momento.")) from None
    if not ticket_visivel(atendente, atual.ticket):
        raise NaoEncontrado(gettext("Mensagem não encontrada."))
    if atual.direcao != Mensagem.Direcao.SAIDA:
        raise RegraNegocio(gettext("Só mensagens enviadas pelo atendimento podem ser reenviadas."))
    pendente_parada = atual.status == Mensagem.Status.PENDENTE and not atual.id_externo
    if atual.status != Mensagem.Status.ERRO and not pendente_parada:
        raise RegraNegocio(
            gettext("Só mensagens com erro (ou pendentes que não saíram) são reenviadas.")
        )
    ticket = ticket_para_envio(atendente, atual.ticket)
    if not atual.dados.get("template"):
        exigir_janela(ticket)
    anteriores = list(atual.dados.get("ids_externos_anteriores", []))
    if atual.id_externo:
        anteriores.append(atual.id_externo)
    atual.dados = (
        {**atual.dados, "ids_externos_anteriores": anteriores} if anteriores else atual.dados
    )
    atual.status = Mensagem.Status.PENDENTE
    atual.id_externo = None
    atual.erro_codigo = ""
    atual.erro_detalhe = ""
    atual.enviada_em = atual.entregue_em = atual.lida_em = None
    atual.save(
        update_fields=[
            "status", "id_externo", "erro_codigo", "erro_detalhe", "enviada_em",
            "entregue_em", "lida_em", "dados", "atualizado_em",
        ]
    )  # fmt: skip
    publicar_status_mensagem(atual, ticket)
    enfileirar(reenviar_mensagem, atual.id)
    return atual


@transaction.atomic
def mensagens_marcar_lidas(
    *,
    atendente: Atendente,
    ticket: Ticket | None = None,
    mensagens: Iterable[Mensagem | Any] | None = None,
) -> int:
    """Mark inbound messages as read by the team (the whole ticket, or the given messages of
    tickets this agent sees); recount ``nao_lidas``; ask the provider for read receipts (the
    newest message of each ticket: WhatsApp then marks the earlier ones too)."""
    if ticket is None and mensagens is None:
        raise RegraNegocio(gettext("Informe o ticket ou as mensagens."))
    consulta = Mensagem.objects.filter(
        empresa_id=atendente.empresa_id,
        direcao=Mensagem.Direcao.ENTRADA,
        ticket_id__in=tickets_visiveis(atendente).values("id"),
    )
    ids_tickets: set = set()
    if ticket is not None:
        if not ticket_visivel(atendente, ticket):
            raise NaoEncontrado(gettext("Ticket não encontrado."))
        consulta = consulta.filter(ticket_id=ticket.pk)
        ids_tickets.add(ticket.pk)
    if mensagens is not None:
        ids = [getattr(m, "pk", m) for m in mensagens]
        consulta = consulta.filter(pk__in=ids)
    novas = list(
        consulta.filter(lida_pelo_atendente=False)
        .order_by("ticket_id", "data", "ordem", "criado_em")
        .values_list("pk", "ticket_id", "id_externo")
    )
    ultima_por_ticket = {tid: pk for pk, tid, id_externo in novas if id_externo}
    ids_tickets |= {tid for _, tid, _ in novas}
    marcadas = Mensagem.objects.filter(pk__in=[pk for pk, _, _ in novas]).update(
        lida_pelo_atendente=True, atualizado_em=timezone.now()
    )
    for alvo in Ticket.objects.select_for_update().filter(pk__in=ids_tickets).order_by("pk"):
        nao_lidas = Mensagem.objects.filter(
            ticket_id=alvo.pk, direcao=Mensagem.Direcao.ENTRADA, lida_pelo_atendente=False
        ).count()
        if nao_lidas != alvo.nao_lidas:
            alvo.nao_lidas = nao_lidas
            alvo.save(update_fields=["nao_lidas", "atualizado_em"])
            publicar_ticket_atualizado(alvo)
    for mensagem_id in ultima_por_ticket.values():
        enfileirar(marcar_lida_provedor, mensagem_id)
    return marcadas


@transaction.atomic
def enviar_lote(
    *,
    atendente: Atendente,
    tickets: Iterable[Ticket],
    conteudo: str,
    template: Template | None = None,
) -> list[Mensagem]:
    """The same text (or template) to many tickets, all or nothing: when any ticket cannot
    receive it, RegraNegocio lists why (``erros``) and nothing is stored.  Sending is throttled
    to the provider's rate by ``canais.tasks.enviar_lote``."""
    unicos = list({getattr(t, "pk", t): t for t in tickets}.values())
    if not unicos:
        raise RegraNegocio(gettext("Selecione ao menos um ticket."))
    if len(unicos) > LIMITE_LOTE:
        raise RegraNegocio(
            gettext("Envie para no máximo %(LIMITE_LOTE)s tickets por vez.")
            % {"LIMITE_LOTE": LIMITE_LOTE}
        )
    unicos.sort(key=lambda t: str(getattr(t, "pk", t)))  # one lock order: no deadlocks
    mensagens: list[Mensagem] = []
    erros: list[dict[str, Any]] = []
    for alvo in unicos:
        try:
            mensagens.append(_preparar_texto(atendente, alvo, conteudo, template, None))
        except ErroDominio as exc:
            erros.append(
                {
                    "ticket": str(getattr(alvo, "pk", alvo)),
                    "numero": getattr(alvo, "numero", None),
                    "detail": exc.detalhe,
                }
            )
    if erros:
        raise RegraNegocio(
            gettext(
                "%(valor)s de %(valor2)s tickets não podem receber a mensagem; nada foi enviado."
            )
            % {"valor": len(erros), "valor2": len(unicos)},
            erros=erros,
        )
    ids = [str(m.id) for m in mensagens]
    transaction.on_commit(lambda: _enfileirar_lote(ids))
    return mensagens


def _enfileirar_lote(ids: list[str]) -> None:
    if not publicar(tarefa_lote, args=[ids]):
        # broker unreachable: every message stays pendente, visibly
        for mensagem_id in ids:
            registrar_nao_enfileirada(mensagem_id)


@transaction.atomic
def mensagem_enviar_automatica(
    *, ticket: Ticket, conteudo: str, motivo: str, dados: dict | None = None
) -> Mensagem | None:
    """A message the desk sends by itself (out-of-hours reply, automatic closing, first-contact
    menu, the bot's answers): stored as ``pendente`` from the bot and queued like an agent's
    message, with a ``mensagem_automatica`` history entry saying why.  ``dados`` adds to the
    message's data (e.g. ``botoes``, which channels with buttons render).  It is not a
    response (first-response and next-response clocks keep running).  None, with the reason
    in the history, when free text cannot go out now (WhatsApp 24 h window closed, inactive
    channel, no address)."""
    ticket = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("canal", "contato", "empresa")
        .get(pk=ticket.pk)
    )
    conteudo = (conteudo or "").strip()[: _limite_texto(ticket.canal)]
    impedimento = ""
    if not conteudo:
        impedimento = "mensagem vazia"
    elif not ticket.canal.ativo:
        impedimento = "canal inativo"
    elif not destino_do_ticket(ticket):
        impedimento = "contato sem endereço no canal"
    elif not janela_aberta(ticket):
        impedimento = "janela de 24 horas do WhatsApp fechada"
    if impedimento:
        Historico.objects.create(
            empresa_id=ticket.empresa_id,
            ticket=ticket,
            acao=Historico.Acao.MENSAGEM_AUTOMATICA,
            descricao=f"Mensagem automática ({motivo}) não enviada: {impedimento}.",
            dados={"motivo": motivo, "enviada": False, "impedimento": impedimento},
        )
        return None
    agora = timezone.now()
    mensagem = Mensagem(
        empresa_id=ticket.empresa_id,
        ticket=ticket,
        canal_id=ticket.canal_id,
        direcao=Mensagem.Direcao.SAIDA,
        remetente_tipo=Mensagem.Remetente.BOT,
        remetente_nome=ticket.empresa.nome[:200],
        tipo=Mensagem.Tipo.TEXTO,
        conteudo=conteudo,
        dados={**(dados or {}), "automatica": motivo},
        status=Mensagem.Status.PENDENTE,
        data=agora,
    )
    mensagem.save(force_insert=True)
    Ticket.objects.filter(pk=ticket.pk).update(
        ultima_mensagem_em=agora,
        ultima_mensagem_resumo=" ".join(conteudo.split())[:200],
        total_mensagens=F("total_mensagens") + 1,
        atualizado_em=agora,
    )
    ticket.refresh_from_db(
        fields=["ultima_mensagem_em", "ultima_mensagem_resumo", "total_mensagens"]
    )
    Historico.objects.create(
        empresa_id=ticket.empresa_id,
        ticket=ticket,
        acao=Historico.Acao.MENSAGEM_AUTOMATICA,
        descricao=f"Mensagem automática enviada ({motivo}).",
        dados={"motivo": motivo, "enviada": True, "mensagem_id": str(mensagem.pk)},
    )
    publicar_nova_mensagem(mensagem, ticket)
    publicar_ticket_atualizado(ticket)
    enfileirar(enviar_mensagem, mensagem.id)
    return mensagem
