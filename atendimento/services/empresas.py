from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from atendimento.exceptions import Conflito
from atendimento.models import Atendente, Empresa


def _slug_livre(nome: str) -> str:
    base = slugify(nome)[:70] or "empresa"
    slug, n = base, 1
    while Empresa.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def empresa_criar(
    *, nome: str, admin_username: str, admin_password: str, admin_email: str = ""
) -> tuple[Empresa, Atendente]:
    """A tenant with its owner: a staff user (allowed into /admin/ for this empresa only)
    linked to an Atendente with role ``admin``."""
    nome = nome.strip()
    if not nome:
        raise Conflito(_("Informe o nome da empresa."))
    usuarios = get_user_model().objects
    if usuarios.filter(username=admin_username).exists():
        raise Conflito(
            _("O usuário %(admin_username)s já existe.") % {"admin_username": repr(admin_username)}
        )
    empresa = Empresa.objects.create(nome=nome, slug=_slug_livre(nome))
    usuario = usuarios.create_user(
        username=admin_username, password=admin_password, email=admin_email, is_staff=True
    )
    atendente = Atendente.objects.create(
        empresa=empresa,
        usuario=usuario,
        nome=admin_username,
        email=admin_email,
        papel=Atendente.Papel.ADMIN,
    )
    return empresa, atendente
