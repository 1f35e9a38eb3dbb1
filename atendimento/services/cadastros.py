"""Writes of the empresa's small registers: quick replies, tags, contacts and knowledge-base
articles.  Duplicates become field errors (400), contacts with tickets cannot be deleted (409).

Knowledge-base articles are stored here; indexing them for retrieval (chunks + embeddings)
belongs to the AI module and is not done by these functions.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _
from psycopg import errors as erros_pg

from atendimento.exceptions import Conflito
from atendimento.models import Canal, Contato, Empresa, IdentidadeContato, Tag, Template
from atendimento.services.contatos import normalizar_telefone, variantes_telefone
from ia.models import ArtigoConhecimento

TipoId = IdentidadeContato.Tipo


# ------------------------------------------------------------------------------- helpers
def salvar(instancia: models.Model, *, unicos: dict[str, str] | None = None) -> models.Model:
    """Save in a savepoint; a unique-index violation becomes a field error.

    ``unicos`` maps a constraint name to ``"campo:mensagem"``."""
    try:
        with transaction.atomic():
            instancia.full_clean(validate_unique=False, validate_constraints=False)
            instancia.save()
    except IntegrityError as exc:
        causa = exc.__cause__
        restricao = getattr(getattr(causa, "diag", None), "constraint_name", "") or ""
        if isinstance(causa, erros_pg.UniqueViolation) and restricao in (unicos or {}):
            campo, mensagem = unicos[restricao].split(":", 1)
            raise ValidationError({campo: [mensagem]}) from None
        raise
    return instancia


def atribuir(instancia: models.Model, dados: dict[str, Any], campos: Iterable[str]) -> None:
    for campo in campos:
        if campo in dados:
            setattr(instancia, campo, dados[campo])


def excluir_se_livre(instancia: models.Model, mensagem: str) -> None:
    try:
        with transaction.atomic():
            instancia.delete()
    except models.ProtectedError:
        raise Conflito(mensagem) from None


# ------------------------------------------------------------------------------- canais
@transaction.atomic
def canal_excluir(*, canal: Canal) -> None:
    """Delete a channel without tickets (409 otherwise: deactivate it instead)."""
    excluir_se_livre(canal, "O canal tem tickets e não pode ser excluído; desative-o.")


# ------------------------------------------------------------------------------- templates
CAMPOS_TEMPLATE = (
    "tipo",
    "nome",
    "atalho",
    "conteudo",
    "categoria",
    "fila",
    "nome_whatsapp",
    "idioma",
    "componentes",
    "ativo",
)
_UNICOS_TEMPLATE = {"template_empresa_atalho_uniq": "atalho:Já existe um template com este atalho."}


@transaction.atomic
def template_criar(*, empresa: Empresa, **dados: Any) -> Template:
    template = Template(empresa=empresa)
    atribuir(template, dados, CAMPOS_TEMPLATE)
    return salvar(template, unicos=_UNICOS_TEMPLATE)


@transaction.atomic
def template_atualizar(*, template: Template, **dados: Any) -> Template:
    atribuir(template, dados, CAMPOS_TEMPLATE)
    return salvar(template, unicos=_UNICOS_TEMPLATE)


@transaction.atomic
def template_excluir(*, template: Template) -> None:
    template.delete()


# ------------------------------------------------------------------------------- tags
CAMPOS_TAG = ("nome", "cor", "descricao")
_UNICOS_TAG = {"tag_empresa_nome_uniq": "nome:Já existe uma tag com este nome."}


@transaction.atomic
def tag_criar(*, empresa: Empresa, **dados: Any) -> Tag:
    tag = Tag(empresa=empresa)
    atribuir(tag, dados, CAMPOS_TAG)
    return salvar(tag, unicos=_UNICOS_TAG)


@transaction.atomic
def tag_atualizar(*, tag: Tag, **dados: Any) -> Tag:
    atribuir(tag, dados, CAMPOS_TAG)
    return salvar(tag, unicos=_UNICOS_TAG)


@transaction.atomic
def tag_excluir(*, tag: Tag) -> None:
    tag.delete()


# ------------------------------------------------------------------------------- contatos
CAMPOS_CONTATO = ("nome", "observacoes", "metadados")


def _dono_da_identidade(contato: Contato, tipo: str, valores: list[str]) -> Contato | None:
    """Another contact of the empresa already known by (tipo, any of valores)."""
    identidade = (
        IdentidadeContato.objects.filter(
            empresa_id=contato.empresa_id, tipo=tipo, valor__in=valores
        )
        .exclude(contato_id=contato.id)
        .select_related("contato")
        .first()
    )
    return identidade.contato if identidade else None


def _trocar_identidade(contato: Contato, tipo: str, antigo: str, novo: str) -> None:
    """The contact's (tipo, antigo) identity becomes (tipo, novo); Conflito when ``novo``
    belongs to another contact (merging people is a human decision)."""
    if antigo == novo:
        return
    if novo:
        variantes = variantes_telefone(novo) if tipo == TipoId.TELEFONE else [novo]
        dono = _dono_da_identidade(contato, tipo, variantes)
        if dono is not None:
            campo = "telefone" if tipo == TipoId.TELEFONE else "e-mail"
            raise Conflito(
                _("Outro contato (%(dono)s) já usa este %(campo)s.")
                % {"dono": dono, "campo": campo},
                contato_id=str(dono.id),
            )
    if antigo:
        IdentidadeContato.objects.filter(contato=contato, tipo=tipo, valor=antigo).delete()
    if novo:
        IdentidadeContato.objects.get_or_create(
            empresa_id=contato.empresa_id,
            tipo=tipo,
            valor=novo,
            defaults={"contato": contato, "nome_exibicao": contato.nome[:200]},
        )


def _canonicos(dados: dict[str, Any]) -> dict[str, Any]:
    saida = dict(dados)
    if "telefone" in saida:
        saida["telefone"] = normalizar_telefone(saida["telefone"] or "", pais_padrao="55")
        if len(saida["telefone"]) > 20:
            raise ValidationError({"telefone": [_("Telefone longo demais.")]})
    if "email" in saida:
        saida["email"] = (saida["email"] or "").strip().lower()
    return saida


@transaction.atomic
def contato_criar(*, empresa: Empresa, **dados: Any) -> Contato:
    """A contact with identities for its phone (E.164, Brazilian by default) and e-mail."""
    dados = _canonicos(dados)
    contato = Contato(empresa=empresa)
    atribuir(contato, dados, (*CAMPOS_CONTATO, "telefone", "email"))
    salvar(contato)
    _trocar_identidade(contato, TipoId.TELEFONE, "", contato.telefone)
    _trocar_identidade(contato, TipoId.EMAIL, "", contato.email)
    return contato


@transaction.atomic
def contato_atualizar(*, contato: Contato, **dados: Any) -> Contato:
    dados = _canonicos(dados)
    antigo = {"telefone": contato.telefone, "email": contato.email}
    atribuir(contato, dados, (*CAMPOS_CONTATO, "telefone", "email"))
    salvar(contato)
    _trocar_identidade(contato, TipoId.TELEFONE, antigo["telefone"], contato.telefone)
    _trocar_identidade(contato, TipoId.EMAIL, antigo["email"], contato.email)
    return contato


@transaction.atomic
def contato_excluir(*, contato: Contato) -> None:
    if contato.tickets.exists():
        raise Conflito(_("O contato tem tickets e não pode ser excluído."))
    excluir_se_livre(contato, "O contato tem tickets e não pode ser excluído.")


# ------------------------------------------------------------------------ base de conhecimento
CAMPOS_ARTIGO = ("titulo", "conteudo", "categoria", "tags", "ativo")


@transaction.atomic
def artigo_criar(*, empresa: Empresa, **dados: Any) -> ArtigoConhecimento:
    artigo = ArtigoConhecimento(empresa=empresa)
    atribuir(artigo, dados, CAMPOS_ARTIGO)
    return salvar(artigo)


@transaction.atomic
def artigo_atualizar(*, artigo: ArtigoConhecimento, **dados: Any) -> ArtigoConhecimento:
    atribuir(artigo, dados, CAMPOS_ARTIGO)
    return salvar(artigo)


@transaction.atomic
def artigo_excluir(*, artigo: ArtigoConhecimento) -> None:
    artigo.delete()
