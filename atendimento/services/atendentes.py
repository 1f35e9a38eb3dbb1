"""Agents: an Atendente is created together with its Django user.

Role rules: only an admin grants or edits the ``admin`` role; nobody demotes, deactivates or
deletes themself (the empresa would risk losing its last manager)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from atendimento.exceptions import RegraNegocio, SemPermissao
from atendimento.models import Atendente, AtendenteFila, Empresa, Fila, Ticket
from atendimento.services.cadastros import atribuir, salvar
from atendimento.services.tickets import ticket_atribuir

CAMPOS_ATENDENTE = ("nome", "email", "papel", "capacidade", "ativo", "idioma")
Papel = Atendente.Papel


def _exigir_poder_sobre(por: Atendente, papel: str) -> None:
    if papel == Papel.ADMIN and por.papel != Papel.ADMIN:
        raise SemPermissao(_("Apenas administradores gerenciam administradores."))


def _criar_usuario(*, username: str, password: str, email: str):
    Usuario = get_user_model()
    usuario = Usuario(username=username, email=email)
    erros: dict[str, list[str]] = {}
    try:
        usuario.full_clean(exclude=["password"])
    except ValidationError as exc:
        erros.update(exc.message_dict)
    try:
        validate_password(password, usuario)
    except ValidationError as exc:
        erros["password"] = list(exc.messages)
    if "username" in erros:
        erros["username"] = [_("Nome de usuário indisponível ou inválido.")]
    if erros:
        raise ValidationError(erros)
    usuario.set_password(password)
    usuario.save()
    return usuario


def _definir_filas(atendente: Atendente, filas: Iterable[Fila]) -> None:
    desejadas = {fila.id: fila for fila in filas}
    AtendenteFila.objects.filter(atendente=atendente).exclude(fila_id__in=desejadas).delete()
    atuais = set(
        AtendenteFila.objects.filter(atendente=atendente).values_list("fila_id", flat=True)
    )
    AtendenteFila.objects.bulk_create(
        AtendenteFila(empresa_id=atendente.empresa_id, atendente=atendente, fila=fila)
        for fila_id, fila in desejadas.items()
        if fila_id not in atuais
    )


@transaction.atomic
def atendente_criar(
    *,
    empresa: Empresa,
    por: Atendente,
    username: str,
    password: str,
    nome: str,
    email: str = "",
    papel: str = Papel.ATENDENTE,
    capacidade: int | None = None,
    filas: Iterable[Fila] = (),
) -> Atendente:
    _exigir_poder_sobre(por, papel)
    usuario = _criar_usuario(username=username, password=password, email=email)
    atendente = Atendente(empresa=empresa, usuario=usuario, nome=nome, email=email, papel=papel)
    if capacidade is not None:
        atendente.capacidade = capacidade
    salvar(atendente)
    _definir_filas(atendente, filas)
    return atendente


@transaction.atomic
def atendente_atualizar(
    *,
    atendente: Atendente,
    por: Atendente,
    password: str | None = None,
    filas: Iterable[Fila] | None = None,
    **dados: Any,
) -> Atendente:
    _exigir_poder_sobre(por, atendente.papel)
    _exigir_poder_sobre(por, dados.get("papel", atendente.papel))
    if atendente.id == por.id:
        if dados.get("papel", atendente.papel) != atendente.papel:
            raise RegraNegocio(_("Você não pode alterar o seu próprio papel."))
        if dados.get("ativo", True) is False:
            raise RegraNegocio(_("Você não pode desativar a si mesmo."))
    atribuir(atendente, dados, CAMPOS_ATENDENTE)
    salvar(atendente)
    usuario = atendente.usuario
    campos_usuario = []
    if "email" in dados and usuario.email != atendente.email:
        usuario.email = atendente.email
        campos_usuario.append("email")
    if "ativo" in dados and usuario.is_active != atendente.ativo:
        usuario.is_active = atendente.ativo
        campos_usuario.append("is_active")
    if password is not None:
        try:
            validate_password(password, usuario)
        except ValidationError as exc:
            raise ValidationError({"password": list(exc.messages)}) from None
        usuario.set_password(password)
        campos_usuario.append("password")
    if campos_usuario:
        usuario.save(update_fields=campos_usuario)
    if filas is not None:
        _definir_filas(atendente, filas)
    return atendente


@transaction.atomic
def atendente_excluir(*, atendente: Atendente, por: Atendente) -> None:
    """Delete the agent and its user; its open tickets go back to their queues unassigned."""
    _exigir_poder_sobre(por, atendente.papel)
    if atendente.id == por.id:
        raise RegraNegocio(_("Você não pode excluir a si mesmo."))
    abertos = Ticket.objects.filter(atendente=atendente).exclude(status=Ticket.Status.FECHADO)
    for ticket in abertos:
        ticket_atribuir(ticket=ticket, atendente_destino=None, por=por)
    atendente.usuario.delete()


def atendente_definir_idioma(*, atendente: Atendente, idioma: str) -> Atendente:
    """Store the language ``atendente`` reads the desk in (notifications and e-mails follow it);
    ``""`` goes back to the system's default.  An unknown code: RegraNegocio."""
    from django.conf import settings

    codigos = {codigo for codigo, _nome in settings.LANGUAGES}
    if idioma and idioma not in codigos:
        raise RegraNegocio(_("Idioma não disponível."))
    if atendente.idioma != idioma:
        atendente.idioma = idioma
        atendente.save(update_fields=["idioma", "atualizado_em"])
    return atendente
