from __future__ import annotations

import hashlib

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from atendimento.models import (
    Atendente,
    AtendenteFila,
    Canal,
    Contato,
    Empresa,
    Fila,
    IdentidadeContato,
    Mensagem,
    Tag,
    Template,
    Ticket,
)


class EmpresaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Empresa

    nome = factory.Sequence(lambda n: f"Empresa {n}")
    slug = factory.Sequence(lambda n: f"empresa-{n}")


class UsuarioFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"usuario{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@exemplo.com.br")
    password = factory.PostGenerationMethodCall("set_password", "senha-forte-123")

    @factory.post_generation
    def salvar(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class AtendenteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Atendente

    empresa = factory.SubFactory(EmpresaFactory)
    usuario = factory.SubFactory(UsuarioFactory)
    nome = factory.Sequence(lambda n: f"Atendente {n}")
    papel = Atendente.Papel.ATENDENTE
    status = Atendente.Status.ONLINE


class FilaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Fila

    empresa = factory.SubFactory(EmpresaFactory)
    nome = factory.Sequence(lambda n: f"Fila {n}")
    sla_primeira_resposta_min = 30
    sla_resolucao_min = 480


class AtendenteFilaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AtendenteFila

    atendente = factory.SubFactory(AtendenteFactory)
    fila = factory.SubFactory(FilaFactory, empresa=factory.SelfAttribute("..atendente.empresa"))
    empresa = factory.SelfAttribute("atendente.empresa")


class CanalFactory(factory.django.DjangoModelFactory):
    """A WhatsApp channel by default; ``CanalFactory(telegram=True)`` for Telegram."""

    class Meta:
        model = Canal

    class Params:
        telegram = factory.Trait(
            tipo=Canal.Tipo.TELEGRAM,
            nome="Telegram",
            config={"api_base_url": "http://127.0.0.1:9"},
            segredos=factory.Sequence(
                lambda n: {"bot_token": f"123{n}:ABC-token", "webhook_secret": f"segredo-tg-{n}"}
            ),
            identificador=factory.LazyAttribute(
                lambda o: hashlib.sha256(o.segredos["webhook_secret"].encode()).hexdigest()
            ),
        )

    empresa = factory.SubFactory(EmpresaFactory)
    tipo = Canal.Tipo.WHATSAPP
    nome = "WhatsApp"
    ativo = True
    config = factory.Sequence(
        lambda n: {
            "phone_number_id": str(100000000000000 + n),
            "waba_id": "102290129340398",
            "api_version": "v23.0",
            "api_base_url": "http://127.0.0.1:9",
        }
    )
    segredos = factory.LazyFunction(
        lambda: {
            "access_token": "EAAtokendeteste",
            "app_secret": "segredo-do-app",
            "verify_token": "token-de-verificacao",
        }
    )
    identificador = factory.LazyAttribute(lambda o: o.config.get("phone_number_id", ""))


class ContatoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contato

    empresa = factory.SubFactory(EmpresaFactory)
    nome = factory.Sequence(lambda n: f"Cliente {n}")
    telefone = factory.Sequence(lambda n: f"55119{n:08d}")


class IdentidadeContatoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IdentidadeContato

    contato = factory.SubFactory(ContatoFactory)
    empresa = factory.SelfAttribute("contato.empresa")
    tipo = IdentidadeContato.Tipo.WHATSAPP
    valor = factory.SelfAttribute("contato.telefone")


class TicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ticket

    empresa = factory.SubFactory(EmpresaFactory)
    canal = factory.SubFactory(CanalFactory, empresa=factory.SelfAttribute("..empresa"))
    contato = factory.SubFactory(ContatoFactory, empresa=factory.SelfAttribute("..empresa"))
    conversa_id_externo = factory.SelfAttribute("contato.telefone")
    assunto = "Dúvida sobre o pedido"
    ultima_mensagem_em = factory.LazyFunction(timezone.now)


class MensagemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Mensagem

    ticket = factory.SubFactory(TicketFactory)
    empresa = factory.SelfAttribute("ticket.empresa")
    canal = factory.SelfAttribute("ticket.canal")
    direcao = Mensagem.Direcao.ENTRADA
    remetente_tipo = Mensagem.Remetente.CONTATO
    tipo = Mensagem.Tipo.TEXTO
    conteudo = "Olá, preciso de ajuda"
    status = Mensagem.Status.RECEBIDA
    data = factory.LazyFunction(timezone.now)


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag

    empresa = factory.SubFactory(EmpresaFactory)
    nome = factory.Sequence(lambda n: f"tag-{n}")


class TemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Template

    empresa = factory.SubFactory(EmpresaFactory)
    nome = factory.Sequence(lambda n: f"Resposta {n}")
    atalho = factory.Sequence(lambda n: f"/resposta{n}")
    conteudo = "Olá {{contato.nome}}, como posso ajudar?"
