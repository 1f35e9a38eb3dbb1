"""Loads one demo tenant with realistic pt-BR data (``make run`` calls it on first start).

The demo login gets a random password, saved in ``.devdata/<perfil>/demo.json`` (git-ignored)
and printed on every start; nothing fixed ships in the settings.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from atendimento.models import (
    Atendente,
    AtendenteFila,
    Canal,
    Contato,
    Empresa,
    Fila,
    Historico,
    IdentidadeContato,
    Mensagem,
    Tag,
    Template,
    Ticket,
)
from atendimento.services.empresas import empresa_criar
from ia.models import ArtigoConhecimento

SLUG = "loja-aurora-demo"

DADOS = json.loads((Path(__file__).with_name("demo.json")).read_text(encoding="utf-8"))
# conversas: [canal, contato, telefone ou id do Telegram, fila, status, prioridade, assunto,
#             [[direcao, texto, minutos atrás], ...]]
FILAS, EQUIPE, TAGS = DADOS["filas"], DADOS["equipe"], DADOS["tags"]
RESPOSTAS, ARTIGOS, CONVERSAS = DADOS["respostas"], DADOS["artigos"], DADOS["conversas"]


class Command(BaseCommand):
    help = "Carrega a empresa de demonstração (uma vez) e imprime o login de demonstração."

    def add_arguments(self, parser):
        parser.add_argument("--arquivo", default="", help="onde guardar o login gerado")

    def handle(self, *args, arquivo, **options):
        caminho = Path(arquivo) if arquivo else Path(settings.PASTA_DADOS) / "demo.json"
        if not Empresa.objects.filter(slug=SLUG).exists():
            senha = secrets.token_urlsafe(9)
            with transaction.atomic():
                self._carregar(senha)
            caminho.parent.mkdir(parents=True, exist_ok=True)
            caminho.write_text(json.dumps({"usuario": "demo", "senha": senha}))
            caminho.chmod(0o600)
        if caminho.exists():
            login = json.loads(caminho.read_text())
            self.stdout.write(
                f"Login de demonstração: usuário {login['usuario']} / senha {login['senha']}"
            )
            chat = Canal.objects.filter(
                empresa__slug=SLUG, tipo=Canal.Tipo.WEBCHAT, ativo=True
            ).first()
            if chat is not None:
                self.stdout.write(
                    f"Seja o cliente no chat do site de demonstração: /chat/{chat.identificador}/"
                )
        else:
            self.stdout.write(
                "A empresa de demonstração já existe (login gerado em outra pasta de dados)."
            )

    def _carregar(self, senha: str) -> None:
        empresa, dono = empresa_criar(
            nome="Loja Aurora (demonstração)",
            admin_username="demo",
            admin_password=senha,
            admin_email="demo@aurora.example",
        )
        Empresa.objects.filter(pk=empresa.pk).update(slug=SLUG)
        dono.nome = "Demo (administrador)"
        dono.status = Atendente.Status.ONLINE
        dono.save(update_fields=["nome", "status"])
        filas = {
            nome: Fila.objects.create(
                empresa=empresa,
                nome=nome,
                distribuicao=dist,
                sla_primeira_resposta_min=frt,
                sla_resolucao_min=rt,
                cor=cor,
                ordem=i,
            )
            for i, (nome, dist, frt, rt, cor) in enumerate(FILAS)
        }
        usuarios = get_user_model().objects
        equipe = {}
        for username, nome, papel, suas_filas in EQUIPE:
            usuario = usuarios.create_user(
                username=f"demo.{username}", password=senha, is_staff=papel != "atendente"
            )
            equipe[username] = at = Atendente.objects.create(
                empresa=empresa,
                usuario=usuario,
                nome=nome,
                papel=papel,
                email=f"{username}@aurora.example",
                status=Atendente.Status.ONLINE,
            )
            for nome_fila in suas_filas:
                AtendenteFila.objects.create(empresa=empresa, atendente=at, fila=filas[nome_fila])
        tags = {nome: Tag.objects.create(empresa=empresa, nome=nome, cor=cor) for nome, cor in TAGS}
        for nome, atalho, conteudo in RESPOSTAS:
            Template.objects.create(empresa=empresa, nome=nome, atalho=atalho, conteudo=conteudo)
        Template.objects.create(
            empresa=empresa,
            tipo=Template.Tipo.WHATSAPP,
            nome="Retomar conversa",
            nome_whatsapp="retomar_atendimento",
            idioma="pt_BR",
            conteudo="Olá {{1}}! Podemos continuar o seu atendimento?",
            componentes=[
                {"type": "body", "parameters": [{"type": "text", "text": "{{contato.nome}}"}]}
            ],
        )
        for titulo, categoria, conteudo in ARTIGOS:
            ArtigoConhecimento.objects.create(
                empresa=empresa, titulo=titulo, categoria=categoria, conteudo=conteudo
            )
        canais = self._canais(empresa, filas["Suporte"])
        agora = timezone.now()
        for i, (tipo, nome, ident, fila, status, prio, assunto, msgs) in enumerate(CONVERSAS):
            self._conversa(
                empresa,
                canais[tipo],
                nome,
                ident,
                filas[fila],
                status,
                prio,
                assunto,
                msgs,
                agora,
                atendente=list(equipe.values())[1 + i % 3] if status != "aberto" else None,
                tags=[tags["entrega"]] if "atrasado" in assunto else [],
            )

    def _canais(self, empresa, fila):
        segredo_tg = secrets.token_urlsafe(24)
        whatsapp = Canal.objects.create(
            empresa=empresa,
            tipo=Canal.Tipo.WHATSAPP,
            nome="WhatsApp Loja Aurora",
            ativo=True,
            fila_padrao=fila,
            identificador="109876543210987",
            config={
                "phone_number_id": "109876543210987",
                "waba_id": "102290129340398",
                "api_version": "v23.0",
                "api_base_url": "https://graph.facebook.com",
                "demo": True,  # fake credentials: the inbox says so
            },
            segredos={
                "access_token": "EAA-demo-" + secrets.token_urlsafe(12),
                "app_secret": secrets.token_hex(16),
                "verify_token": secrets.token_urlsafe(12),
            },
        )
        telegram = Canal.objects.create(
            empresa=empresa,
            tipo=Canal.Tipo.TELEGRAM,
            nome="Telegram @LojaAuroraBot",
            ativo=True,
            fila_padrao=fila,
            identificador=hashlib.sha256(segredo_tg.encode()).hexdigest(),
            config={"api_base_url": "https://api.telegram.org", "demo": True},
            segredos={
                "bot_token": "123456:demo-" + secrets.token_urlsafe(12),
                "webhook_secret": segredo_tg,
            },
        )
        chave = "wc_demo_" + secrets.token_urlsafe(12)
        webchat = Canal.objects.create(
            empresa=empresa,
            tipo=Canal.Tipo.WEBCHAT,
            nome="Chat do site",
            ativo=True,
            fila_padrao=fila,
            identificador=chave,
            config={
                "chave_publica": chave,
                "titulo": "Loja Aurora",
                "saudacao": "Olá! Fale com a Loja Aurora.",
                "pedir_nome": True,
                "pedir_email": True,
            },
        )
        return {"whatsapp": whatsapp, "telegram": telegram, "webchat": webchat}

    def _conversa(
        self, empresa, canal, nome, ident, fila, status, prio, assunto, msgs, agora, atendente, tags
    ):
        telefone = ident if canal.tipo == Canal.Tipo.WHATSAPP else ""
        contato = Contato.objects.create(empresa=empresa, nome=nome, telefone=telefone)
        tipo_id = IdentidadeContato.Tipo.WHATSAPP if telefone else IdentidadeContato.Tipo.TELEGRAM
        IdentidadeContato.objects.create(
            empresa=empresa, contato=contato, tipo=tipo_id, valor=ident, nome_exibicao=nome
        )
        if telefone:
            IdentidadeContato.objects.create(
                empresa=empresa, contato=contato, tipo="telefone", valor=ident
            )
        inicio = agora - timedelta(minutes=msgs[0][2])
        ticket = Ticket.objects.create(
            empresa=empresa,
            canal=canal,
            fila=fila,
            contato=contato,
            atendente=atendente,
            assunto=assunto,
            status=status,
            prioridade=prio,
            conversa_id_externo=ident,
            sla_primeira_resposta_em=inicio + timedelta(minutes=fila.sla_primeira_resposta_min),
            sla_resolucao_em=inicio + timedelta(minutes=fila.sla_resolucao_min),
            fechado_em=agora - timedelta(minutes=msgs[-1][2] - 5) if status == "fechado" else None,
        )
        Ticket.objects.filter(pk=ticket.pk).update(criado_em=inicio)
        ticket.tags.set(tags)
        Historico.objects.create(
            empresa=empresa,
            ticket=ticket,
            acao=Historico.Acao.CRIADO,
            descricao=f"Ticket aberto pelo canal {canal.nome}.",
        )
        nao_lidas = 0
        for n, (direcao, texto, minutos) in enumerate(msgs):
            data = agora - timedelta(minutes=minutos)
            entrada = direcao == "entrada"
            Mensagem.objects.create(
                empresa=empresa,
                ticket=ticket,
                canal=canal,
                direcao=direcao,
                remetente_tipo="contato" if entrada else "atendente",
                atendente=None if entrada else atendente,
                remetente_nome=nome if entrada else atendente.nome,
                conteudo=texto,
                status="recebida" if entrada else "lida",
                data=data,
                ordem=n,
                id_externo=f"demo-{ticket.numero}-{n}",
                lida_pelo_atendente=not entrada or status != "aberto",
            )
            if entrada and status == "aberto":
                nao_lidas += 1
            if not entrada and ticket.primeira_resposta_em is None:
                ticket.primeira_resposta_em = data
            if entrada:
                ticket.ultima_entrada_em = data
            ticket.ultima_mensagem_em, ticket.ultima_mensagem_resumo = data, texto[:200]
        ticket.nao_lidas, ticket.total_mensagens = nao_lidas, len(msgs)
        ticket.save()
