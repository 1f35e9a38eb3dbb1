"""What a visitor may see: their own conversation on one website-chat channel, nothing else."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.db.models import Q

from atendimento.models import Canal, Mensagem, Ticket

SAL_MIDIA = "conectcrm.webchat.midia"
LIMITE_HISTORICO = 100


def canal_da_chave(chave_publica: str) -> Canal | None:
    """The active website-chat channel with this public key."""
    if not chave_publica:
        return None
    return (
        Canal.objects.select_related("empresa")
        .filter(tipo=Canal.Tipo.WEBCHAT, identificador=chave_publica, ativo=True)
        .first()
    )


def tickets_do_visitante(canal: Canal, visitante_id: str):
    return Ticket.objects.filter(
        empresa_id=canal.empresa_id, canal=canal, conversa_id_externo=visitante_id
    )


def ticket_aberto(canal: Canal, visitante_id: str) -> Ticket | None:
    return (
        tickets_do_visitante(canal, visitante_id)
        .exclude(status=Ticket.Status.FECHADO)
        .order_by("-criado_em")
        .first()
    )


def url_midia(canal: Canal, mensagem: Mensagem, visitante_id: str) -> str:
    assinatura = signing.dumps({"m": str(mensagem.pk), "v": visitante_id}, salt=SAL_MIDIA)
    return f"/chat/{canal.identificador}/midia/{mensagem.pk}/?a={assinatura}"


def mensagem_da_url(canal: Canal, mensagem_id, assinatura: str) -> Mensagem | None:
    try:
        dados = signing.loads(assinatura, salt=SAL_MIDIA, max_age=settings.WEBCHAT_MIDIA_SEGUNDOS)
    except signing.BadSignature:
        return None
    if str(dados.get("m")) != str(mensagem_id):
        return None
    return (
        Mensagem.objects.filter(
            pk=mensagem_id,
            empresa_id=canal.empresa_id,
            canal=canal,
            ticket__conversa_id_externo=dados.get("v"),
        )
        .exclude(midia_arquivo="")
        .first()
    )


def historico(canal: Canal, visitante_id: str) -> list[dict]:
    """The visitor's messages on this channel (customer's and the desk's), oldest first;
    internal notes and system lines are never shown."""
    mensagens = (
        Mensagem.objects.filter(
            empresa_id=canal.empresa_id,
            canal=canal,
            ticket__in=tickets_do_visitante(canal, visitante_id),
        )
        .filter(Q(direcao=Mensagem.Direcao.ENTRADA) | Q(remetente_tipo__in=("atendente", "bot")))
        .exclude(status=Mensagem.Status.ERRO)
        .order_by("-data", "-criado_em")[:LIMITE_HISTORICO]
    )
    return [dados_para_visitante(canal, m, visitante_id) for m in reversed(list(mensagens))]


def dados_para_visitante(canal: Canal, mensagem: Mensagem, visitante_id: str) -> dict:
    midia = None
    if mensagem.midia_arquivo:
        midia = {
            "nome": mensagem.midia_nome,
            "mime": mensagem.midia_mime,
            "url": url_midia(canal, mensagem, visitante_id),
        }
    return {
        "id": mensagem.id_externo or str(mensagem.pk),
        "direcao": mensagem.direcao,
        "texto": mensagem.conteudo,
        "midia": midia,
        "status": mensagem.status,
        "criado_em": mensagem.data.isoformat() if mensagem.data else None,
        "autor": mensagem.atendente.nome if mensagem.atendente_id else "",
    }
