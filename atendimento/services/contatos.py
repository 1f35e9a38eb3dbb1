"""Contacts: one person across channels, found by their identities (IdentidadeContato).

Phones are kept as E.164 digits and Brazilian mobiles always *with* the ninth digit, so
``55 11 8765-4321`` (the old 8-digit form WhatsApp still reports as ``wa_id`` for older accounts)
and ``55 11 98765-4321`` are the same person.  Creation is race-safe: the unique index on
(empresa, tipo, valor) decides, and the loser of a race reads the winner's contact.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from typing import NamedTuple

from django.db import IntegrityError, transaction
from django.db.models import Q

from atendimento.models import Contato, Empresa, IdentidadeContato
from canais.adapters.base import Identidade, Remetente, TipoIdentidade

logger = logging.getLogger(__name__)

#: DDDs have two digits 1-9; a Brazilian mobile's 8-digit local number starts with 6, 7, 8 or 9
_MOVEL_SEM_NONO = re.compile(r"^55([1-9]{2})([6-9]\d{7})$")
_MOVEL_COM_NONO = re.compile(r"^55([1-9]{2})9([6-9]\d{7})$")


def normalizar_telefone(valor: str, *, pais_padrao: str = "") -> str:
    """E.164 digits (no ``+``); Brazilian mobiles canonical WITH the ninth digit.

    ``valor`` is read as an international number (``+55…``, ``0055…`` or bare digits with the
    country code, as providers send them).  ``pais_padrao`` (e.g. ``"55"``) is prefixed to a
    number typed in national form: no ``+``/``00`` and 10-11 digits (``(11) 98765-4321``).
    """
    bruto = (valor or "").strip()
    digitos = re.sub(r"\D", "", bruto)
    if bruto.startswith("00"):
        digitos = digitos[2:]
    elif pais_padrao and not bruto.startswith("+"):
        nacional = digitos.removeprefix("0")  # trunk prefix: 0 11 98765-4321
        if len(nacional) in (10, 11):
            digitos = pais_padrao + nacional
    movel = _MOVEL_SEM_NONO.match(digitos)
    if movel:
        digitos = f"55{movel.group(1)}9{movel.group(2)}"
    return digitos


def variantes_telefone(canonico: str) -> list[str]:
    """The canonical phone and, for a Brazilian mobile, its old form without the ninth digit
    (matches rows written by code that did not canonicalise)."""
    movel = _MOVEL_COM_NONO.match(canonico)
    if movel:
        return [canonico, f"55{movel.group(1)}{movel.group(2)}"]
    return [canonico] if canonico else []


_CANONICA: dict[str, Callable[[str], str]] = {
    TipoIdentidade.WHATSAPP: normalizar_telefone,
    TipoIdentidade.TELEFONE: normalizar_telefone,
    TipoIdentidade.EMAIL: lambda v: v.strip().lower(),
}


_TIPOS_TELEFONE = frozenset({TipoIdentidade.WHATSAPP, TipoIdentidade.TELEFONE})


def _canonica(tipo: str, valor: str) -> str:
    return _CANONICA.get(tipo, str.strip)(str(valor or ""))


def _variantes(tipo: str, valor: str) -> list[str]:
    return variantes_telefone(valor) if tipo in _TIPOS_TELEFONE else [valor]


def _chaves(identidades: Iterable[Identidade]) -> list[tuple[str, str]]:
    """(tipo, canonical value) in the sender's order of preference, without repeats."""
    vistas: dict[tuple[str, str], None] = {}
    for identidade in identidades:
        valor = _canonica(str(identidade.tipo), identidade.valor)
        if valor:
            vistas[(str(identidade.tipo), valor)] = None
    return list(vistas)


def _telefone_de(chaves: list[tuple[str, str]]) -> str:
    return next(
        (v for t, v in chaves if t in (TipoIdentidade.TELEFONE, TipoIdentidade.WHATSAPP)), ""
    )


def _email_de(chaves: list[tuple[str, str]]) -> str:
    return next((v for t, v in chaves if t == TipoIdentidade.EMAIL), "")


def _dono(
    chaves: list[tuple[str, str]], achadas: list[IdentidadeContato]
) -> tuple[Contato | None, set]:
    """The contact owning the first of ``chaves`` (in order of preference) found among
    ``achadas``, with the identities it already has among them."""
    dono = next(
        (i.contato for tipo, _ in chaves for i in achadas if i.tipo == tipo),
        None,
    )
    if dono is None:
        return None, set()
    return dono, {(i.tipo, i.valor) for i in achadas if i.contato_id == dono.pk}


def _encontrar(empresa_id, chaves: list[tuple[str, str]]) -> tuple[Contato | None, set]:
    """The contact owning the first matching identity, with the identities it already has
    among ``chaves`` (one query when the sender is known)."""
    filtro = Q()
    for tipo, valor in chaves:
        filtro |= Q(tipo=tipo, valor__in=_variantes(tipo, valor))
    achadas = list(
        IdentidadeContato.objects.filter(filtro, empresa_id=empresa_id).select_related("contato")
    )
    dono, conhecidas = _dono(chaves, achadas)
    if dono is not None:
        return dono, conhecidas
    # contacts written without identities (admin, imports): same phone or e-mail
    telefone, email = _telefone_de(chaves), _email_de(chaves)
    filtro = Q()
    if telefone:
        filtro |= Q(telefone__in=variantes_telefone(telefone))
    if email:
        filtro |= Q(email__iexact=email)
    if not filtro:
        return None, set()
    contato = Contato.objects.filter(filtro, empresa_id=empresa_id).order_by("criado_em").first()
    return contato, set()


def _faltantes(conhecidas: set, chaves: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [
        (tipo, valor)
        for tipo, valor in chaves
        if not any((tipo, v) in conhecidas for v in _variantes(tipo, valor))
    ]


def _nada_a_completar(
    contato: Contato, conhecidas: set, chaves: list[tuple[str, str]], nome: str
) -> bool:
    """True when :func:`_completar` would write nothing."""
    return not (
        _faltantes(conhecidas, chaves)
        or (nome and contato.nome in ("", contato.telefone) and contato.nome != nome)
        or (_telefone_de(chaves) and not contato.telefone)
        or (_email_de(chaves) and not contato.email)
    )


def _completar(
    contato: Contato, conhecidas: set, chaves: list[tuple[str, str]], nome: str, username: str
) -> None:
    """Attach identities the contact does not have yet (those owned by another contact stay
    there: merging people is a human decision) and fill blanks."""
    novas = [
        IdentidadeContato(
            empresa_id=contato.empresa_id,
            contato=contato,
            tipo=tipo,
            valor=valor,
            nome_exibicao=nome[:200],
            username=username[:100],
        )
        for tipo, valor in _faltantes(conhecidas, chaves)
    ]
    if novas:
        IdentidadeContato.objects.bulk_create(novas, ignore_conflicts=True)
    alterados = []
    # a name still equal to the bare number (or empty) is replaced by the profile name
    if nome and contato.nome in ("", contato.telefone) and contato.nome != nome:
        contato.nome = nome[:200]
        alterados.append("nome")
    telefone, email = _telefone_de(chaves), _email_de(chaves)
    if telefone and not contato.telefone:
        contato.telefone = telefone[:20]
        alterados.append("telefone")
    if email and not contato.email:
        contato.email = email
        alterados.append("email")
    if alterados:
        contato.save(update_fields=[*alterados, "atualizado_em"])


def _criar(empresa_id, chaves: list[tuple[str, str]], nome: str, username: str) -> Contato | None:
    """Contact + identities in a savepoint; None when a concurrent transaction won the race."""
    telefone = _telefone_de(chaves)
    try:
        with transaction.atomic():
            contato = Contato.objects.create(
                empresa_id=empresa_id,
                nome=(nome or telefone)[:200],
                telefone=telefone[:20],
                email=_email_de(chaves),
            )
            IdentidadeContato.objects.bulk_create(
                IdentidadeContato(
                    empresa_id=empresa_id,
                    contato=contato,
                    tipo=tipo,
                    valor=valor,
                    nome_exibicao=nome[:200],
                    username=username[:100],
                )
                for tipo, valor in chaves
            )
    except IntegrityError:
        return None
    return contato


def _resolver(empresa_id, chaves: list[tuple[str, str]], nome: str, username: str) -> Contato:
    for _ in range(3):
        contato, conhecidas = _encontrar(empresa_id, chaves)
        if contato is not None:
            _completar(contato, conhecidas, chaves, nome, username)
            return contato
        contato = _criar(empresa_id, chaves, nome, username)
        if contato is not None:
            return contato
    raise RuntimeError(f"contato não resolvido após 3 tentativas: {chaves!r}")  # pragma: no cover


def _chaves_do_remetente(remetente: Remetente) -> list[tuple[str, str]]:
    identidades = list(remetente.identidades)
    if remetente.telefone:
        identidades.append(Identidade(TipoIdentidade.TELEFONE, remetente.telefone))
    if remetente.email:
        identidades.append(Identidade(TipoIdentidade.EMAIL, remetente.email))
    return _chaves(identidades)


@transaction.atomic(savepoint=False)  # races are settled by the savepoint in _criar
def contato_resolver(*, empresa: Empresa, remetente: Remetente) -> Contato:
    """Find the contact owning any of the sender's identities, or create it (race-safe).

    Identities are matched in the sender's order of preference (WhatsApp's wa_id, then the
    phone, then the business-scoped user id…); missing ones are attached to the contact found.
    The inbound batch creates brand-new senders with :func:`contatos_criar_novos` (same
    fields): a change to creation here must be made there too.
    """
    chaves = _chaves_do_remetente(remetente)
    if not chaves:
        raise ValueError("remetente sem identidade")
    return _resolver(empresa.pk, chaves, remetente.nome, remetente.username)


class _Achada(NamedTuple):
    """An identity row found by :func:`contatos_conhecidos` (what :func:`_dono` reads)."""

    tipo: str
    valor: str
    contato_id: object
    contato: Contato


def contatos_conhecidos(pedidos: list[tuple[object, Remetente]]) -> list[Contato | None]:
    """For each ``(empresa_id, remetente)``, in one query: the contact
    :func:`contato_resolver` would return when it would write nothing (every identity already
    attached, no blank to fill); None otherwise (the caller then uses contato_resolver)."""
    chaves = [_chaves_do_remetente(remetente) for _, remetente in pedidos]
    valores: dict[tuple, set[str]] = {}
    for (empresa_id, _), das_chaves in zip(pedidos, chaves, strict=True):
        for tipo, valor in das_chaves:
            valores.setdefault((empresa_id, tipo), set()).update(_variantes(tipo, valor))
    filtro = Q()
    for (empresa_id, tipo), desse_tipo in valores.items():
        filtro |= Q(empresa_id=empresa_id, tipo=tipo, valor__any=sorted(desse_tipo))
    if not filtro:
        return [None] * len(pedidos)
    # plain rows, then each contact once (not one model instance per identity row and
    # another per joined contact: building them was a fifth of the drain's CPU)
    linhas = list(
        IdentidadeContato.objects.filter(filtro).values_list(
            "empresa_id", "tipo", "valor", "contato_id"
        )
    )
    donos = Contato.objects.filter(pk__any=list({linha[3] for linha in linhas}))
    por_id = {contato.pk: contato for contato in donos} if linhas else {}
    por_chave: dict[tuple, list[_Achada]] = {}
    for empresa_id, tipo, valor, contato_id in linhas:
        if contato_id in por_id:
            por_chave.setdefault((empresa_id, tipo, valor), []).append(
                _Achada(tipo, valor, contato_id, por_id[contato_id])
            )
    contatos: list[Contato | None] = []
    for (empresa_id, remetente), das_chaves in zip(pedidos, chaves, strict=True):
        achadas = [
            identidade
            for tipo, valor in das_chaves
            for variante in _variantes(tipo, valor)
            for identidade in por_chave.get((empresa_id, tipo, variante), ())
        ]
        dono, conhecidas = _dono(das_chaves, achadas)
        if dono is None or not _nada_a_completar(dono, conhecidas, das_chaves, remetente.nome):
            contatos.append(None)
        else:
            contatos.append(dono)
    return contatos


def _ja_existentes(pedidos: list[tuple[object, list[tuple[str, str]]]]) -> set[int]:
    """Indexes of ``(empresa_id, chaves)`` that :func:`_encontrar` would find a contact for:
    an identity (any variant) or, as its fallback does, a contact with the phone or e-mail.
    Two queries whatever the number of senders."""
    valores: dict[tuple, set[str]] = {}
    fones: dict[object, set[str]] = {}
    emails: dict[object, set[str]] = {}
    for empresa_id, chaves in pedidos:
        for tipo, valor in chaves:
            valores.setdefault((empresa_id, tipo), set()).update(_variantes(tipo, valor))
        if telefone := _telefone_de(chaves):
            fones.setdefault(empresa_id, set()).update(variantes_telefone(telefone))
        if email := _email_de(chaves):
            emails.setdefault(empresa_id, set()).add(email)
    filtro = Q()
    for (empresa_id, tipo), desse_tipo in valores.items():
        filtro |= Q(empresa_id=empresa_id, tipo=tipo, valor__in=sorted(desse_tipo))
    achadas = set(
        IdentidadeContato.objects.filter(filtro).values_list("empresa_id", "tipo", "valor")
    )
    filtro = Q()
    for empresa_id, desses in fones.items():
        filtro |= Q(empresa_id=empresa_id, telefone__in=sorted(desses))
    for empresa_id, desses in emails.items():
        for email in sorted(desses):
            filtro |= Q(empresa_id=empresa_id, email__iexact=email)
    contatos = (
        list(Contato.objects.filter(filtro).values_list("empresa_id", "telefone", "email"))
        if filtro
        else []
    )
    com_fone = {(e, t) for e, t, _ in contatos if t}
    com_email = {(e, m.lower()) for e, _, m in contatos if m}
    existentes = set()
    for n, (empresa_id, chaves) in enumerate(pedidos):
        telefone, email = _telefone_de(chaves), _email_de(chaves)
        if (
            any((empresa_id, t, v) in achadas for t, valor in chaves for v in _variantes(t, valor))
            or any((empresa_id, v) in com_fone for v in variantes_telefone(telefone))
            or (email and (empresa_id, email) in com_email)
        ):
            existentes.add(n)
    return existentes


def contatos_criar_novos(pedidos: list[tuple[object, Remetente]]) -> list[Contato | None]:
    """For each ``(empresa_id, remetente)`` of a sender nobody knows yet — no identity, no
    contact with its phone or e-mail — the contact :func:`contato_resolver` would create, all of
    them in ONE insert of contacts and ONE of identities (a sender repeated in ``pedidos``
    gets the same contact).  None for the others (known senders, senders sharing an identity
    with a different sender of the list, or every new one when a concurrent transaction
    created one of them first): the caller resolves those with :func:`contato_resolver`.
    Call inside a transaction."""
    chaves = [_chaves_do_remetente(remetente) for _, remetente in pedidos]
    existentes = _ja_existentes([(e, c) for (e, _), c in zip(pedidos, chaves, strict=True)])
    novos: dict[tuple, Contato] = {}  # (empresa_id, chaves) -> contact to create
    dono_da_chave: dict[tuple, tuple] = {}
    ambiguos: set[tuple] = set()
    identidades: dict[tuple, list[IdentidadeContato]] = {}
    for n, ((empresa_id, remetente), das_chaves) in enumerate(zip(pedidos, chaves, strict=True)):
        conjunto = (empresa_id, tuple(das_chaves))
        if n in existentes or not das_chaves or conjunto in novos:
            continue
        for chave in das_chaves:
            outro = dono_da_chave.setdefault((empresa_id, *chave), conjunto)
            if outro != conjunto:  # two different senders share an identity: not here
                ambiguos |= {outro, conjunto}
        telefone = _telefone_de(das_chaves)
        contato = Contato(
            empresa_id=empresa_id,
            nome=(remetente.nome or telefone)[:200],
            telefone=telefone[:20],
            email=_email_de(das_chaves),
        )
        novos[conjunto] = contato
        identidades[conjunto] = [
            IdentidadeContato(
                empresa_id=empresa_id,
                contato=contato,
                tipo=tipo,
                valor=valor,
                nome_exibicao=remetente.nome[:200],
                username=remetente.username[:100],
            )
            for tipo, valor in das_chaves
        ]
    for conjunto in ambiguos:
        del novos[conjunto]
    if novos:
        try:
            with transaction.atomic():
                Contato.objects.bulk_create(novos.values())
                IdentidadeContato.objects.bulk_create(
                    i for conjunto in novos for i in identidades[conjunto]
                )
        except IntegrityError:  # a concurrent transaction created one of them first
            novos = {}
    contatos: list[Contato | None] = []
    for (empresa_id, remetente), das_chaves in zip(pedidos, chaves, strict=True):
        contato = novos.get((empresa_id, tuple(das_chaves)))
        # a repeat whose profile name would fill the new contact's blank name: per event
        if contato is not None and not _nada_a_completar(
            contato, set(das_chaves), das_chaves, remetente.nome
        ):
            contato = None
        contatos.append(contato)
    return contatos


@transaction.atomic
def contato_obter_ou_criar(
    *, empresa: Empresa, nome: str = "", telefone: str = "", email: str = ""
) -> Contato:
    """The contact with this phone or e-mail, or a new one (a phone typed in national form is
    taken as Brazilian).  Without phone and e-mail, a new contact with just the name."""
    chaves = []
    telefone = normalizar_telefone(telefone, pais_padrao="55")
    if telefone:
        chaves.append((str(TipoIdentidade.TELEFONE), telefone))
    email = _canonica(TipoIdentidade.EMAIL, email)
    if email:
        chaves.append((str(TipoIdentidade.EMAIL), email))
    nome = nome.strip()
    if not chaves:
        return Contato.objects.create(empresa=empresa, nome=nome[:200])
    return _resolver(empresa.pk, chaves, nome, "")
