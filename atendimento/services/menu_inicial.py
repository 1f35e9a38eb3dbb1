"""The optional first-contact menu of a channel ("1 - Vendas, 2 - Suporte").

A new conversation on a channel with ``Canal.menu_ativo`` and at least one ``OpcaoMenu`` gets
the greeting and the options in the customer's channel (a numbered list in the text; channels
whose adapter renders ``botoes`` show native choices too: Telegram an inline keyboard, WhatsApp
reply buttons or a list message with the greeting as its text) and waits
(``Ticket.automacao == "menu"``): it is not distributed meanwhile.  The answer ("1", "suporte",
"suprote", a pressed button) moves the ticket to the option's queue, and from there it follows
the normal path of a new ticket (out-of-hours reply, the bot, distribution).  An answer that
matches no option re-prompts, up to ``Canal.menu_tentativas`` times; after that, or after
``Canal.menu_espera_min`` minutes without an answer (the periodic :func:`expirar`), the ticket
stays in the channel's default queue.  Every step is written to the ticket's ``Historico``.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import DurationField, ExpressionWrapper, F
from django.utils import timezone

from atendimento.models import Canal, Fila, Historico, Mensagem, OpcaoMenu, Ticket
from atendimento.realtime.eventos import publicar_ticket_atualizado
from atendimento.services.texto_livre import normalizar, palavras, parecida

logger = logging.getLogger(__name__)

MOTIVO_MENU = "menu de primeiro contato"
MOTIVO_REPETICAO = "menu de primeiro contato (opção inválida)"
MENU = Ticket.Automacao.MENU


@transaction.atomic
def canal_configurar_automacao(*, canal: Canal, **valores) -> Canal:
    """Set the channel's first-contact menu and bot policy fields (``menu_*``,
    ``resposta_automatica``)."""
    permitidos = {
        "menu_ativo", "menu_saudacao", "menu_opcao_invalida", "menu_tentativas",
        "menu_espera_min", "resposta_automatica",
    }  # fmt: skip
    desconhecidos = set(valores) - permitidos
    if desconhecidos:
        raise TypeError(f"campos desconhecidos: {sorted(desconhecidos)}")
    canal = Canal.objects.select_for_update().get(pk=canal.pk)
    for campo, valor in valores.items():
        setattr(canal, campo, valor)
    canal.full_clean(exclude=["identificador", "empresa", "fila_padrao", "config", "segredos"])
    canal.save(update_fields=[*valores, "atualizado_em"])
    return canal


@transaction.atomic
def canal_configurar_menu(*, canal: Canal, opcoes: list[dict] | None = None, **valores) -> Canal:
    """The channel's automation fields (as :func:`canal_configurar_automacao`) and, when
    ``opcoes`` is given, its whole list of menu options (``{"numero", "rotulo", "fila",
    "sinonimos"?}``, ``fila`` a :class:`Fila` of the channel's empresa), replacing the old
    ones.  An active menu needs at least one option; nothing is written when refused."""
    from django.utils.translation import gettext

    from atendimento.exceptions import ErroDominio, NaoEncontrado

    if valores:
        canal = canal_configurar_automacao(canal=canal, **valores)
    if opcoes is not None:
        if any(o["fila"].empresa_id != canal.empresa_id for o in opcoes):
            raise NaoEncontrado(gettext("Fila não encontrada."))
        OpcaoMenu.objects.filter(canal=canal).delete()
        OpcaoMenu.objects.bulk_create(
            OpcaoMenu(
                empresa_id=canal.empresa_id,
                canal=canal,
                numero=o["numero"],
                rotulo=o["rotulo"],
                fila=o["fila"],
                sinonimos=o.get("sinonimos") or "",
            )
            for o in opcoes
        )
    mudou = "menu_ativo" in valores or opcoes is not None
    if mudou and canal.menu_ativo and not OpcaoMenu.objects.filter(canal=canal).exists():
        raise ErroDominio(
            gettext("O menu ativo precisa de ao menos uma opção."),
            opcoes_menu=[gettext("Informe ao menos uma opção.")],
        )
    return canal


def opcoes_do_canal(canal: Canal) -> list[OpcaoMenu]:
    if not canal.menu_ativo:
        return []
    return list(
        OpcaoMenu.objects.filter(canal=canal, fila__ativo=True)
        .select_related("fila")
        .order_by("numero")
    )


def _topo(ticket: Ticket, cabecalho: str) -> str:
    from atendimento.services.templates import texto_renderizar

    return texto_renderizar(cabecalho or "", ticket=ticket, atendente=None).strip()


def texto_do_menu(canal: Canal, ticket: Ticket, opcoes: list[OpcaoMenu], cabecalho: str) -> str:
    linhas = [f"{o.numero} - {o.rotulo}" for o in opcoes]
    topo = _topo(ticket, cabecalho)
    return "\n".join([topo, *linhas] if topo else linhas)


def _botoes(opcoes: list[OpcaoMenu]) -> list[dict]:
    return [{"texto": f"{o.numero} - {o.rotulo}", "dados": str(o.numero)} for o in opcoes]


def _enviar(ticket: Ticket, opcoes: list[OpcaoMenu], cabecalho: str, motivo: str):
    from atendimento.services.saida import mensagem_enviar_automatica

    return mensagem_enviar_automatica(
        ticket=ticket,
        conteudo=texto_do_menu(ticket.canal, ticket, opcoes, cabecalho),
        motivo=motivo,
        dados={"botoes": _botoes(opcoes), "texto_botoes": _topo(ticket, cabecalho), "menu": True},
    )


def iniciar(ticket_id) -> bool:
    """Send the channel's menu to a new conversation and hold the ticket for the answer.
    False (nothing held) when the channel has no menu, the ticket is not a fresh one (a
    reopened ticket keeps its queue) or the menu could not be sent."""
    with transaction.atomic():
        ticket = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("canal", "contato", "empresa")
            .filter(pk=ticket_id, atendente__isnull=True, reaberto_em__isnull=True)
            .exclude(status=Ticket.Status.FECHADO)
            .first()
        )
        if ticket is None or ticket.automacao:
            return False
        opcoes = opcoes_do_canal(ticket.canal)
        if not opcoes:
            return False
        if Mensagem.objects.filter(ticket_id=ticket.pk, direcao=Mensagem.Direcao.SAIDA).exists():
            return False
        if _enviar(ticket, opcoes, ticket.canal.menu_saudacao, MOTIVO_MENU) is None:
            return False
        ticket.automacao = MENU
        ticket.automacao_desde = timezone.now()
        ticket.menu_tentativas = 0
        ticket.save(update_fields=["automacao", "automacao_desde", "menu_tentativas"])
        return True


def _respostas(mensagem: Mensagem) -> list[str]:
    """What a customer's message answers: a pressed button's payload, then the text."""
    dados = mensagem.dados or {}
    return [str(v) for v in (dados.get("payload"), dados.get("id"), mensagem.conteudo) if v]


def escolher(opcoes: list[OpcaoMenu], texto: str) -> OpcaoMenu | None:
    """The option ``texto`` chooses: its number ("1", "opcao 1", "1️⃣"), its label or a
    synonym, typos tolerated.  None when nothing or more than one option matches."""
    numeros = {o.numero: o for o in opcoes}
    citados = {int(n) for n in re.findall(r"\b\d{1,3}\b", normalizar(texto))}
    por_numero = {numeros[n] for n in citados if n in numeros}
    if len(por_numero) == 1 and len(citados) == 1:
        return por_numero.pop()
    ditas = set(palavras(texto))
    if not ditas:
        return None
    achadas: set = set()
    for opcao in opcoes:
        vocabulario = set(palavras(opcao.rotulo))
        for sinonimo in (opcao.sinonimos or "").split(","):
            vocabulario.update(palavras(sinonimo))
        vocabulario = {v for v in vocabulario if len(v) >= 3 and not v.isdigit()}
        if any(parecida(p, vocabulario) for p in ditas if not p.isdigit()):
            achadas.add(opcao.pk)
    if len(achadas) == 1:
        return next(o for o in opcoes if o.pk in achadas)
    return None


def _encaminhar(ticket: Ticket, fila: Fila | None, descricao: str, dados: dict) -> None:
    """The menu is over: the ticket leaves it in ``fila`` and follows a new ticket's path."""
    from atendimento.services.automacoes import encaminhar_apos_commit

    ticket.automacao = Ticket.Automacao.NENHUMA
    ticket.automacao_desde = None
    campos = ["automacao", "automacao_desde", "menu_tentativas"]
    if fila is not None and fila.pk != ticket.fila_id:
        from atendimento.services import sla

        ticket.fila = fila
        campos += ["fila", *sla.recalcular(ticket)]
    ticket.save(update_fields=[*dict.fromkeys(campos), "atualizado_em"])
    Historico.objects.create(
        empresa_id=ticket.empresa_id,
        ticket=ticket,
        acao=Historico.Acao.TRANSFERIDO if "fila_para" in dados else Historico.Acao.ATUALIZADO,
        descricao=descricao,
        dados={"automacao": "menu", **dados},
    )
    publicar_ticket_atualizado(ticket)
    encaminhar_apos_commit(ticket.pk)


def responder(ticket_id, mensagem_ids: list) -> bool:
    """The customer answered the menu with ``mensagem_ids`` (in order): choose the queue,
    re-prompt, or give up to the default queue.  False when the ticket is not on the menu."""
    with transaction.atomic():
        ticket = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("canal", "contato", "empresa", "fila")
            .filter(pk=ticket_id, automacao=MENU)
            .first()
        )
        if ticket is None:
            return False
        if ticket.status == Ticket.Status.FECHADO or ticket.atendente_id is not None:
            _encaminhar(ticket, None, "Menu de primeiro contato encerrado: o ticket já foi "
                        "assumido por um atendente.", {"motivo": "assumido"})  # fmt: skip
            return True
        opcoes = opcoes_do_canal(ticket.canal)
        mensagens = Mensagem.objects.filter(pk__in=mensagem_ids).order_by("data", "ordem")
        escolhida = None
        for mensagem in mensagens:
            for resposta in _respostas(mensagem):
                escolhida = escolher(opcoes, resposta)
                if escolhida is not None:
                    break
            if escolhida is not None:
                break
        if escolhida is not None:
            _encaminhar(
                ticket,
                escolhida.fila,
                f"O cliente escolheu no menu a opção {escolhida.numero} - {escolhida.rotulo}: "
                f"fila {escolhida.fila.nome}.",
                {
                    "motivo": "opcao_escolhida",
                    "opcao": escolhida.numero,
                    "fila_de": str(ticket.fila_id) if ticket.fila_id else None,
                    "fila_para": str(escolhida.fila_id),
                },
            )
            return True
        ticket.menu_tentativas += 1
        if not opcoes or ticket.menu_tentativas >= max(ticket.canal.menu_tentativas, 1):
            _encaminhar(
                ticket,
                ticket.canal.fila_padrao,
                f"Menu de primeiro contato sem opção válida após {ticket.menu_tentativas} "
                "respostas: o ticket segue na fila padrão do canal.",
                {"motivo": "tentativas_esgotadas", "tentativas": ticket.menu_tentativas},
            )
            return True
        ticket.save(update_fields=["menu_tentativas", "atualizado_em"])
        _enviar(ticket, opcoes, ticket.canal.menu_opcao_invalida, MOTIVO_REPETICAO)
        return True


def expirar(agora: datetime | None = None) -> int:
    """Tickets that waited on the menu longer than their channel's ``menu_espera_min`` go to
    the channel's default queue (periodic; idempotent)."""
    agora = agora or timezone.now()
    vencidos = (
        Ticket.objects.filter(automacao=MENU)
        .annotate(
            limite=ExpressionWrapper(
                F("canal__menu_espera_min") * timedelta(minutes=1), output_field=DurationField()
            )
        )
        .filter(automacao_desde__lte=agora - F("limite"))
        .values_list("pk", flat=True)
    )
    total = 0
    for ticket_id in list(vencidos):
        with transaction.atomic():
            ticket = (
                Ticket.objects.select_for_update(of=("self",), skip_locked=True)
                .select_related("canal__fila_padrao")
                .filter(pk=ticket_id, automacao=MENU)
                .first()
            )
            if ticket is None:
                continue
            limite = ticket.automacao_desde + timedelta(minutes=ticket.canal.menu_espera_min)
            if limite > agora:
                continue
            _encaminhar(
                ticket,
                ticket.canal.fila_padrao,
                f"Menu de primeiro contato sem resposta em {ticket.canal.menu_espera_min} min: "
                "o ticket segue na fila padrão do canal.",
                {"motivo": "tempo_esgotado"},
            )
            total += 1
    return total
