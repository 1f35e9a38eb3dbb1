"""Notifications to the people of an empresa: in the app (a row, live on the websocket) and,
when asked, by e-mail. The one entry point every job calls::

    from atendimento.services.notificacoes import notificar

    notificar(
        empresa=ticket.empresa,          # Empresa or its id
        usuarios=[atendente, ...],       # Atendente, User (with .atendente) or Atendente ids
        tipo="novo_ticket",              # a TipoNotificacao value
        titulo=lambda: _("Novo ticket #%(n)s") % {"n": 12},  # text, or a callable
        corpo="Maria: preciso de ajuda",  # optional; text or a callable
        ticket=ticket,                   # optional: what the notice is about
        chave=f"novo_ticket:{ticket.id}",  # the event; unique per person
        email=False,                     # also send by e-mail (to whoever wants it)
    ) -> list[Notificacao]               # the rows created now

Guarantees:

- **Each person's language.** ``titulo`` and ``corpo`` may be callables: each is called under
  ``translation.override`` of every recipient's language (``Atendente.idioma``, else
  ``settings.LANGUAGE_CODE``), so the row, the live event and the e-mail are in the language
  that person chose. Plain strings go to everyone as they are.
- **Once per person and chave.** ``(atendente, chave)`` is unique in the database and rows are
  inserted with ``ON CONFLICT DO NOTHING``: a job that runs again (or twice at once) creates,
  publishes and e-mails nothing the second time. The return value holds only the new rows.
- **Tenant-safe.** People of another empresa, and inactive people, are skipped; the ticket must
  be the empresa's (composite foreign key).
- **Preferences.** A kind an atendente muted (``PreferenciaNotificacao.ativa`` off) creates no
  row; ``email=True`` reaches only those with an address who did not turn e-mail off for the kind.
- **After commit.** Call it inside the caller's transaction: the ``notificacao`` websocket event
  (to the person's own group) and the e-mail go out only once the transaction commits. Each
  e-mail is claimed by an atomic update before it is sent (never sent twice); a failure is
  kept in ``email_erro`` and the row stays visible in the app.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from uuid import UUID

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.utils import timezone, translation

from atendimento.models import (
    Atendente,
    Notificacao,
    PreferenciaNotificacao,
    TipoNotificacao,
)
from atendimento.realtime.eventos import publicar_notificacao

logger = logging.getLogger(__name__)

__all__ = ["marcar_lidas", "nao_lidas", "notificar", "preferencias", "salvar_preferencias"]

_INSERIR = f"""
INSERT INTO {Notificacao._meta.db_table}
    (id, empresa_id, criado_em, atualizado_em, atendente_id, tipo, titulo, corpo, ticket_id,
     chave, lida_em, email_pedido, email_enviado_em, email_erro)
SELECT v.id, %s, %s, %s, v.atendente_id, %s, v.titulo, v.corpo, %s, %s, NULL, v.email_pedido,
       NULL, ''
  FROM unnest(%s::uuid[], %s::uuid[], %s::boolean[], %s::text[], %s::text[])
       AS v(id, atendente_id, email_pedido, titulo, corpo)
ON CONFLICT ON CONSTRAINT notificacao_chave_uniq DO NOTHING
RETURNING id
"""  # noqa: S608 - the table name is a model constant


#: a notification's text: ready, or a callable rendering it in the active language
Texto = str | Callable[[], str]


def _no_idioma(texto: Texto, idioma: str) -> str:
    if not callable(texto):
        return str(texto)
    with translation.override(idioma):
        return str(texto())


def notificar(
    *,
    empresa,
    usuarios: Iterable,
    tipo: str,
    titulo: Texto,
    corpo: Texto = "",
    ticket=None,
    chave: str,
    email: bool = False,
) -> list[Notificacao]:
    """Notify ``usuarios`` of ``empresa`` once per ``chave`` (see the module docstring)."""
    tipo = TipoNotificacao(tipo).value  # ValueError on an unknown kind
    if not chave:
        raise ValueError("chave is required")
    empresa_id = getattr(empresa, "pk", empresa)
    if ticket is not None and ticket.empresa_id != empresa_id:
        raise ValueError("ticket de outra empresa")
    ids = _ids_atendentes(usuarios)
    if not ids:
        return []
    pessoas = {
        a.id: a
        for a in Atendente.objects.filter(empresa_id=empresa_id, id__in=ids, ativo=True)
        .select_related("usuario")
        .only("id", "empresa_id", "email", "idioma", "usuario__email")
    }
    prefs = {
        p.atendente_id: p
        for p in PreferenciaNotificacao.objects.filter(
            empresa_id=empresa_id, atendente_id__in=pessoas, tipo=tipo
        )
    }
    destino: list[tuple[UUID, bool, str, str]] = []
    textos: dict[str, tuple[str, str]] = {}  # language -> (titulo, corpo), rendered once each
    for atendente_id, atendente in pessoas.items():
        pref = prefs.get(atendente_id)
        if pref is not None and not pref.ativa:
            continue
        quer_email = email and bool(_endereco(atendente)) and (pref is None or pref.email)
        idioma = atendente.idioma_efetivo
        if idioma not in textos:
            textos[idioma] = (_no_idioma(titulo, idioma)[:200], _no_idioma(corpo, idioma))
        destino.append((atendente_id, quer_email, *textos[idioma]))
    if not destino:
        return []

    agora = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            _INSERIR,
            [
                empresa_id,
                agora,
                agora,
                tipo,
                ticket.pk if ticket is not None else None,
                chave[:200],
                [uuid.uuid4() for _ in destino],
                [linha[0] for linha in destino],
                [linha[1] for linha in destino],
                [linha[2] for linha in destino],
                [linha[3] for linha in destino],
            ],
        )
        criados = [linha[0] for linha in cursor.fetchall()]
    if not criados:
        return []
    novas = list(
        Notificacao.objects.filter(id__in=criados).select_related("atendente").order_by("id")
    )
    contagens = _contar_nao_lidas([n.atendente_id for n in novas])
    for notificacao in novas:
        publicar_notificacao(
            notificacao.atendente,
            titulo=notificacao.titulo,
            texto=notificacao.corpo,
            ticket_id=notificacao.ticket_id,
            id=str(notificacao.id),
            tipo=notificacao.tipo,
            nao_lidas=contagens.get(notificacao.atendente_id, 0),
        )
    com_email = [n.id for n in novas if n.email_pedido]
    if com_email:
        transaction.on_commit(lambda: enviar_emails(com_email))
    return novas


def enviar_emails(ids: Iterable[UUID]) -> int:
    """Send the e-mail of each notification in ``ids`` not sent yet; returns how many went."""
    enviados = 0
    for notificacao_id in ids:
        # the claim: only one caller gets the row (a re-run or a concurrent worker gets 0)
        if not Notificacao.objects.filter(
            id=notificacao_id, email_pedido=True, email_enviado_em__isnull=True
        ).update(email_enviado_em=timezone.now(), email_erro=""):
            continue
        notificacao = Notificacao.objects.select_related("atendente__usuario").get(
            id=notificacao_id
        )
        try:
            send_mail(
                subject=notificacao.titulo,
                message=notificacao.corpo or notificacao.titulo,
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[_endereco(notificacao.atendente)],
                fail_silently=False,
            )
            enviados += 1
        except Exception as exc:  # SMTP down, refused address...: kept, visible in the admin
            logger.warning("e-mail da notificação %s falhou: %s", notificacao_id, exc)
            Notificacao.objects.filter(id=notificacao_id).update(
                email_enviado_em=None, email_erro=str(exc)[:1000] or exc.__class__.__name__
            )
    return enviados


def nao_lidas(atendente) -> int:
    return Notificacao.objects.filter(atendente=atendente, lida_em__isnull=True).count()


def marcar_lidas(atendente, ids: Iterable[UUID] | None = None) -> int:
    """Mark ``ids`` (all of them when None) of ``atendente`` as read; returns how many changed.
    Ids of other people are ignored (never an error that would reveal them)."""
    filtro = Notificacao.objects.filter(atendente=atendente, lida_em__isnull=True)
    if ids is not None:
        filtro = filtro.filter(id__in=list(ids))
    return filtro.update(lida_em=timezone.now())


def preferencias(atendente) -> dict[str, dict[str, bool]]:
    """``{tipo: {"ativa": bool, "email": bool}}`` for every kind (defaults: all on)."""
    existentes = {p.tipo: p for p in PreferenciaNotificacao.objects.filter(atendente=atendente)}
    resultado = {}
    for tipo in TipoNotificacao.values:
        pref = existentes.get(tipo)
        resultado[tipo] = {
            "ativa": pref.ativa if pref else True,
            "email": pref.email if pref else True,
        }
    return resultado


@transaction.atomic
def salvar_preferencias(atendente, valores: dict[str, dict[str, bool]]) -> None:
    """Store ``{tipo: {"ativa", "email"}}`` for ``atendente`` (unknown kinds: ValueError)."""
    for tipo, pref in valores.items():
        PreferenciaNotificacao.objects.update_or_create(
            atendente=atendente,
            tipo=TipoNotificacao(tipo).value,
            defaults={
                "empresa_id": atendente.empresa_id,
                "ativa": bool(pref.get("ativa", True)),
                "email": bool(pref.get("email", True)),
            },
        )


# ----------------------------------------------------------------------------- helpers
def _ids_atendentes(usuarios: Iterable) -> list[UUID]:
    ids = []
    for usuario in usuarios:
        if isinstance(usuario, Atendente):
            ids.append(usuario.pk)
        elif isinstance(usuario, UUID | str):
            ids.append(UUID(str(usuario)))
        else:  # a User
            atendente = getattr(usuario, "atendente", None)
            if atendente is not None:
                ids.append(atendente.pk)
    return list(dict.fromkeys(ids))


def _endereco(atendente) -> str:
    return atendente.email or getattr(atendente.usuario, "email", "") or ""


def _contar_nao_lidas(atendente_ids: list[UUID]) -> dict[UUID, int]:
    from django.db.models import Count

    return dict(
        Notificacao.objects.filter(atendente_id__in=atendente_ids, lida_em__isnull=True)
        .values_list("atendente_id")
        .annotate(n=Count("id"))
        .values_list("atendente_id", "n")
    )
