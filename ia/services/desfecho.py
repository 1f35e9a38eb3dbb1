"""What the agent did with a suggested reply (``AIResposta.resultado``): sent unchanged
(``aceita``), sent after editing (``editada``) or discarded (``rejeitada``). Suggestions never
acted on stay ``pendente``."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from atendimento.exceptions import Conflito
from atendimento.models import Mensagem
from ia.models import AIResposta

Resultado = AIResposta.Resultado


def _normalizar(texto: str) -> str:
    """Whitespace differences (trailing newline, double spaces) are not an edit."""
    return " ".join(texto.split())


@transaction.atomic
def sugestao_registrar_envio(*, sugestao: AIResposta, mensagem: Mensagem) -> AIResposta:
    """The agent sent ``mensagem`` from ``sugestao``: ``aceita`` when the text is the suggested
    one, ``editada`` otherwise. A suggestion already used keeps its first outcome; one
    discarded and then used after all counts as used."""
    bloqueada = AIResposta.objects.select_for_update().get(pk=sugestao.pk)
    if bloqueada.resultado in (Resultado.ACEITA, Resultado.EDITADA):
        return bloqueada
    igual = _normalizar(mensagem.conteudo) == _normalizar(bloqueada.resposta)
    bloqueada.resultado = Resultado.ACEITA if igual else Resultado.EDITADA
    bloqueada.mensagem = mensagem
    bloqueada.resultado_em = timezone.now()
    bloqueada.save(update_fields=["resultado", "mensagem", "resultado_em", "atualizado_em"])
    return bloqueada


@transaction.atomic
def sugestao_descartar(*, sugestao: AIResposta) -> AIResposta:
    """The agent discarded the suggestion (idempotent). Conflito (409) once it was sent."""
    bloqueada = AIResposta.objects.select_for_update().get(pk=sugestao.pk)
    if bloqueada.resultado in (Resultado.ACEITA, Resultado.EDITADA):
        raise Conflito(
            _("Esta sugestão já foi usada em uma mensagem."), resultado=bloqueada.resultado
        )
    if bloqueada.resultado != Resultado.REJEITADA:
        bloqueada.resultado = Resultado.REJEITADA
        bloqueada.resultado_em = timezone.now()
        bloqueada.save(update_fields=["resultado", "resultado_em", "atualizado_em"])
    return bloqueada
