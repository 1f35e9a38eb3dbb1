"""What an outbound e-mail needs beyond the message: its transport when the channel has none
of its own, and its subject and threading headers.  Named by the e-mail adapter's
``config_de_envio`` / ``contexto_saida`` (``canais/adapters/email/``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.conf import settings

from atendimento.models import Canal, IntegracaoConfig, Mensagem
from atendimento.services.email_layout import corpo_email
from canais.adapters.email.envio import cabecalhos_resposta, endereco_resposta


# ------------------------------------------------------------------------------- transport
def _smtp_do_ambiente() -> str:
    """``EMAIL_URL`` as an ``smtp_url`` (django-environ's reading of it: host, port, user,
    password, TLS/SSL), or "" when it is not an SMTP server (the console default)."""
    config = getattr(settings, "EMAIL_CONFIG", {}) or {}
    if "smtp" not in str(config.get("EMAIL_BACKEND", "")) or not config.get("EMAIL_HOST"):
        return ""
    esquema = (
        "smtps"
        if config.get("EMAIL_USE_SSL")
        else ("smtp+tls" if config.get("EMAIL_USE_TLS") else "smtp")
    )
    usuario = quote(str(config.get("EMAIL_HOST_USER") or ""), safe="")
    senha = quote(str(config.get("EMAIL_HOST_PASSWORD") or ""), safe="")
    credenciais = f"{usuario}:{senha}@" if usuario else ""
    porta = f":{config['EMAIL_PORT']}" if config.get("EMAIL_PORT") else ""
    return f"{esquema}://{credenciais}{config['EMAIL_HOST']}{porta}"


def email_transporte_padrao(canal: Canal) -> dict[str, Any]:
    """A channel with neither ``smtp_url`` nor ``sendgrid_api_key`` sends through the empresa's
    active SMTP (``smtp_url``) or SendGrid (``api_key``) integration, else ``EMAIL_URL``."""
    integracoes = {
        i.tipo: {**(i.configuracao or {}), **(i.segredos or {})}
        for i in IntegracaoConfig.objects.filter(
            empresa_id=canal.empresa_id,
            ativo=True,
            tipo__in=[IntegracaoConfig.Tipo.SMTP, IntegracaoConfig.Tipo.SENDGRID],
        )
    }
    smtp = integracoes.get(IntegracaoConfig.Tipo.SMTP, {})
    if smtp.get("smtp_url"):
        return {"smtp_url": str(smtp["smtp_url"])}
    sendgrid = integracoes.get(IntegracaoConfig.Tipo.SENDGRID, {})
    if sendgrid.get("api_key"):
        extra = {"api_base_url": sendgrid["api_base_url"]} if sendgrid.get("api_base_url") else {}
        return {"sendgrid_api_key": str(sendgrid["api_key"]), **extra}
    ambiente = _smtp_do_ambiente()
    return {"smtp_url": ambiente} if ambiente else {}


# ------------------------------------------------------------------------------- context
def email_contexto_saida(mensagem: Mensagem) -> dict[str, Any]:
    """Subject and threading headers of an e-mail reply: those answering the quoted customer
    message, else the customer's latest e-mail in the ticket; ``To`` falls back to the contact's
    address and the subject to the ticket's.  ``Reply-To`` is the ticket's reply address (the
    customer's answer comes back to this ticket even from a client that drops the threading
    headers); ``Auto-Submitted: auto-replied`` marks messages no person wrote (bot, system),
    so RFC 3834 auto-responders do not answer them.  The body gets the empresa's layout and
    signature (plain text + HTML)."""
    base = mensagem.responder_a if mensagem.responder_a_id else None
    if base is None or base.direcao != Mensagem.Direcao.ENTRADA:
        base = (
            Mensagem.objects.filter(
                ticket_id=mensagem.ticket_id,
                direcao=Mensagem.Direcao.ENTRADA,
                dados__has_key="cabecalhos",
            )
            .order_by("-data", "-ordem", "-criado_em")
            .first()
        )
    cabecalhos = cabecalhos_resposta((base.dados or {}).get("cabecalhos") or {}) if base else {}
    if base is None:  # no customer mail yet (an agent opened the ticket): thread on our last
        anterior = (
            Mensagem.objects.filter(
                ticket_id=mensagem.ticket_id,
                direcao=Mensagem.Direcao.SAIDA,
                id_externo__startswith="<",
            )
            .exclude(pk=mensagem.pk)
            .order_by("-data", "-criado_em")
            .values_list("id_externo", flat=True)
            .first()
        )
        if anterior:
            cabecalhos = {"In-Reply-To": anterior, "References": anterior}
    if not cabecalhos.get("To") and mensagem.ticket.contato.email:
        cabecalhos["To"] = mensagem.ticket.contato.email
    ticket = mensagem.ticket
    assunto = (
        cabecalhos.pop("Subject", "")
        or ticket.assunto
        or f"{ticket.empresa.nome}: atendimento #{ticket.numero}"  # never an empty subject
    )
    endereco = str((mensagem.canal.config or {}).get("endereco") or "")
    if "@" in endereco:
        cabecalhos["Reply-To"] = endereco_resposta(endereco, mensagem.ticket_id)
    automatica = mensagem.remetente_tipo in (Mensagem.Remetente.BOT, Mensagem.Remetente.SISTEMA)
    if automatica:
        cabecalhos["Auto-Submitted"] = "auto-replied"
    campos: dict[str, Any] = {"assunto": assunto, "cabecalhos": cabecalhos}
    if mensagem.conteudo and not (mensagem.dados or {}).get("template"):
        corpo = corpo_email(
            ticket=mensagem.ticket,
            atendente=mensagem.atendente if not automatica else None,
            texto=mensagem.conteudo,
        )
        campos.update(texto=corpo.texto, html=corpo.html)
    return campos
