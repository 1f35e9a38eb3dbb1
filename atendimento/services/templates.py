"""Quick-reply rendering: ``{{contato.nome}}``-style variables filled from the ticket.

Only the names in :data:`VARIAVEIS` exist; anything else between ``{{ }}`` becomes empty.  The
text is never evaluated (no template engine, no attribute lookups driven by the text), so a
template cannot reach data other than these few fields.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from atendimento.models import Atendente, Template, Ticket

_VARIAVEL = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")


def _primeiro_nome(nome: str) -> str:
    return nome.split()[0] if nome.strip() else ""


#: variable name -> value for (ticket, atendente)
VARIAVEIS: dict[str, Callable[[Ticket, Atendente | None], Any]] = {
    "contato.nome": lambda t, a: t.contato.nome,
    "contato.primeiro_nome": lambda t, a: _primeiro_nome(t.contato.nome),
    "contato.telefone": lambda t, a: t.contato.telefone,
    "contato.email": lambda t, a: t.contato.email,
    "atendente.nome": lambda t, a: a.nome if a else "",
    "atendente.primeiro_nome": lambda t, a: _primeiro_nome(a.nome) if a else "",
    "ticket.numero": lambda t, a: t.numero if t.numero is not None else "",
    "ticket.assunto": lambda t, a: t.assunto,
    "empresa.nome": lambda t, a: t.empresa.nome,
}


def texto_renderizar(texto: str, *, ticket: Ticket, atendente: Atendente | None) -> str:
    """Replace every ``{{ nome }}`` of ``texto``; unknown names become ``""``."""

    def valor(encontrado: re.Match[str]) -> str:
        obter = VARIAVEIS.get(encontrado.group(1).lower())
        if obter is None:
            return ""
        resultado = obter(ticket, atendente)
        return "" if resultado is None else str(resultado)

    return _VARIAVEL.sub(valor, texto)


def template_renderizar(*, template: Template, ticket: Ticket, atendente: Atendente | None) -> str:
    """The quick reply's text for this ticket and agent."""
    return texto_renderizar(template.conteudo, ticket=ticket, atendente=atendente)


def componentes_renderizar(componentes: Any, *, ticket: Ticket, atendente: Atendente | None) -> Any:
    """Fill our variables inside the string values of WhatsApp template ``components``
    (e.g. a body parameter ``{"type": "text", "text": "{{contato.nome}}"}``)."""
    if isinstance(componentes, str):
        return texto_renderizar(componentes, ticket=ticket, atendente=atendente)
    if isinstance(componentes, list):
        return [componentes_renderizar(c, ticket=ticket, atendente=atendente) for c in componentes]
    if isinstance(componentes, dict):
        return {
            k: componentes_renderizar(v, ticket=ticket, atendente=atendente)
            for k, v in componentes.items()
        }
    return componentes


def template_whatsapp_previa(
    *, template: Template, componentes: list[Any], ticket: Ticket, atendente: Atendente | None
) -> str:
    """Readable text of an approved WhatsApp template as it will reach the customer: Meta's
    ``{{1}}`` / ``{{nome}}`` placeholders of ``template.conteudo`` filled from the body
    parameters of ``componentes``, then our own ``{{contato.nome}}``-style variables."""
    posicionais: list[str] = []
    nomeados: dict[str, str] = {}
    for componente in componentes:
        if isinstance(componente, dict) and "type" not in componente:  # Twilio ContentVariables
            for chave, valor in componente.items():
                nomeados[str(chave)] = str(valor)
            continue
        if not isinstance(componente, dict) or str(componente.get("type", "")).lower() != "body":
            continue
        for parametro in componente.get("parameters") or []:
            if not isinstance(parametro, dict) or parametro.get("type") != "text":
                continue
            texto = str(parametro.get("text", ""))
            posicionais.append(texto)
            if parametro.get("parameter_name"):
                nomeados[str(parametro["parameter_name"])] = texto

    def valor(encontrado: re.Match[str]) -> str:
        nome = encontrado.group(1)
        if nome in nomeados:
            return nomeados[nome]
        if nome.isdigit():
            indice = int(nome) - 1
            return posicionais[indice] if 0 <= indice < len(posicionais) else ""
        return encontrado.group(0)  # ours ({{contato.nome}}): filled below

    texto = _VARIAVEL.sub(valor, template.conteudo)
    return texto_renderizar(texto, ticket=ticket, atendente=atendente)


def botoes_do_template(template: Template) -> list[dict[str, Any]]:
    """Buttons of a quick reply, sent under its text where the channel has them (Telegram
    inline keyboard): ``componentes`` = ``[{"type": "buttons", "buttons": [{"texto": "Sim",
    "dados": "sim"}, {"texto": "Site", "url": "https://…"}]}]``."""
    botoes: list[dict[str, Any]] = []
    for componente in template.componentes or []:
        if isinstance(componente, dict) and str(componente.get("type", "")).lower() == "buttons":
            botoes += [b for b in componente.get("buttons") or [] if isinstance(b, dict)]
    return botoes
