"""``ws://<host>/ws/atendimento/``: one socket per browser tab of an agent (the protocol:
``docs/realtime.md``).

On connect the socket joins its empresa (presence), its agent, each of the agent's queues and,
for admins/supervisors, the empresa's supervisors group; a user without an active Atendente is
closed with 4401.  Client frames are ``{"evento": ..., "dados": {...}}``; a bad one gets
``{"evento": "erro", "dados": {"detail": ...}}`` and the socket stays open; a flood is
throttled (``limite.LimiteFrames``) and, when sustained, closed with 4429.  Server events arrive
as group messages of type ``evento.atendimento`` (``publicar``) and are gated per socket before
they go out (``acesso``); a publication reaching the socket through several groups goes out once.

Under ``make run`` (uvicorn with ``conectcrm.protocolo_ws``) a server event reaching an idle
socket is handled in the process reader's own step (``_entregar_agora``: the same checks, the
frame written at once); anything that would wait — a profile reload, a database check, a hole
in the sequence, a socket whose writes back up or that is busy with an earlier message — takes
the ordinary path (``evento_atendimento``) in order.

Group messages are numbered per group (``camada``); a socket that finds numbers missing — the
layer dropped messages meant for it, typically because it fell behind — sends its client
``{"evento": "ressincronizar", "dados": {"perdidos": n}}`` and the client re-fetches what it
shows (``sequencia``).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import random
import uuid
from collections import OrderedDict
from typing import Any

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from django.utils import translation
from django.utils.translation import gettext as _

from atendimento.exceptions import ErroDominio
from atendimento.models import Atendente
from atendimento.realtime import acesso, conexoes
from atendimento.realtime.ajustes import ajuste
from atendimento.realtime.despacho import despachar_em_ordem
from atendimento.realtime.digitacao import Digitacao
from atendimento.realtime.grupos import (
    grupo_atendente,
    grupo_empresa,
    grupo_fila,
    grupo_supervisores,
    grupo_ticket,
)
from atendimento.realtime.idioma import idioma_do_scope
from atendimento.realtime.limite import LimiteFrames
from atendimento.realtime.publicar import TIPO_MENSAGEM
from atendimento.realtime.sequencia import Lacunas
from atendimento.services.presenca import atendente_atualizar_status, atendente_conectar
from conectcrm.protocolo_ws import EXTENSAO as ENVIO_DIRETO

logger = logging.getLogger(__name__)

FECHAR_NAO_AUTENTICADO = 4401
FECHAR_ABUSO = 4429
_MAX_VISTOS = 512  # ids of recent publications remembered per socket
_MAX_FRAME = 16 * 1024  # characters; client frames are a few hundred at most
_RECARGA_A_CADA = 10  # heartbeats between full profile reloads when the version is unchanged
#: where a group message keeps its frame once encoded: the process's sockets share the message
#: (``entrega``), so a publication is encoded once per process, not once per socket
_QUADRO = "__quadro__"
_QUADRO_BYTES = "__quadro_bytes__"  # the same frame, UTF-8 (direct writes)


class ErroFrame(Exception):
    """A client frame that cannot be honoured; its text becomes the ``erro`` detail."""


def _quadro(mensagem: dict[str, Any]) -> str:
    """The client frame of a server event, encoded once per process (kept in the message)."""
    quadro = mensagem.get(_QUADRO)
    if quadro is None:
        quadro = mensagem[_QUADRO] = json.dumps(
            {"evento": mensagem["evento"], "dados": mensagem["dados"]}
        )
    return quadro


def _quadro_bytes(mensagem: dict[str, Any]) -> bytes:
    quadro = mensagem.get(_QUADRO_BYTES)
    if quadro is None:
        quadro = mensagem[_QUADRO_BYTES] = _quadro(mensagem).encode()
    return quadro


def _ticket_id(dados: dict[str, Any]) -> str:
    valor = dados.get("ticket_id")
    if valor is None or valor == "":
        raise ErroFrame(_("ticket_id é obrigatório."))
    try:
        return str(uuid.UUID(str(valor)))
    except ValueError:
        raise ErroFrame(_("ticket_id inválido.")) from None


class AtendimentoConsumer(AsyncJsonWebsocketConsumer):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.perfil: acesso.Perfil | None = None
        self._atendente_id: str | None = None  # kept for cleanup even if the profile is dropped
        self._fechando = False
        self._aceito = False
        self._versao = 0
        self._envio_direto = None  # the server's synchronous writer (``conectcrm.protocolo_ws``)
        self._versoes: acesso.VersoesAcesso | None = None
        self._camada_em_curso = False  # a layer message left the buffer and is being handled
        self.salas: dict[str, bool] = {}  # ticket_id -> its channel shows "typing" to customers
        self.grupos_base: set[str] = set()
        self._vistos: OrderedDict[str, None] = OrderedDict()
        self._tarefas: set[asyncio.Task] = set()
        self.digitacao = Digitacao(self)
        self._lacunas = Lacunas(espera=ajuste("REALTIME_LACUNA_ESPERA_SEGUNDOS"))
        self._verificando_lacunas = False
        self._limite = LimiteFrames(
            taxa=ajuste("REALTIME_FRAMES_POR_SEGUNDO"),
            rajada=ajuste("REALTIME_FRAMES_RAJADA"),
            descartes=ajuste("REALTIME_FRAMES_DESCARTES"),
        )

    # ------------------------------------------------------------------ lifecycle
    async def connect(self) -> None:
        perfil, self._versao = await database_sync_to_async(acesso.carregar_perfil)(
            usuario=self.scope.get("user")
        )
        self._idioma = idioma_do_scope(self.scope, armazenado=perfil.idioma if perfil else "")
        if perfil is None:
            # accept, then close with an application code the browser can see (a refused
            # handshake is an opaque 1006 there, indistinguishable from a network failure)
            await self.accept()
            await self.close(code=FECHAR_NAO_AUTENTICADO)
            return
        self.perfil = perfil
        self._atendente_id = perfil.atendente_id
        await self._sincronizar_grupos()
        async with conexoes.trava(perfil.atendente_id):
            await conexoes.registrar(perfil.atendente_id, self.channel_name)
            await database_sync_to_async(_conectar)(perfil.atendente_id)
        conexoes.batimentos().adicionar(perfil.atendente_id, self.channel_name)
        await self.accept()  # only now: no event published from here on is missed
        self._aceito = True
        if self._envio_direto is not None:  # the agent's version in the process's cache
            await self._versoes.versao(perfil.atendente_id, float("-inf"))
        self._tarefa(self._manter())

    async def disconnect(self, code: int) -> None:
        for tarefa in list(self._tarefas):
            tarefa.cancel()
        atendente_id = self._atendente_id
        if atendente_id is None:
            return  # refused at connect: nothing was joined or counted
        if self.perfil is not None:
            await self.digitacao.parar_todas()
        for grupo in self.grupos_base | {grupo_ticket(t) for t in self.salas}:
            await self._sair_grupo(grupo)
        try:
            await conexoes.batimentos().remover(self.channel_name)
            await conexoes.remover(atendente_id, self.channel_name)
        except Exception:
            logger.exception("presença: falha ao remover %s", self.channel_name)
            return
        conexoes.agendar_offline(atendente_id, self.channel_name, _ficar_offline)

    async def __call__(self, scope, receive, send) -> None:
        """Channels' ``AsyncConsumer.__call__`` with :func:`despachar_em_ordem` as the loop
        (same order and one-at-a-time guarantee, no ``asyncio.wait`` per message)."""
        self.scope = scope
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        self.base_send = send
        fontes = [receive]
        if self.channel_layer is not None:
            self.channel_name = await self.channel_layer.new_channel()
            self.channel_receive = functools.partial(self.channel_layer.receive, self.channel_name)
            fontes.append(self._receber_da_camada)
            envio = (scope.get("extensions") or {}).get(ENVIO_DIRETO)
            receber_direto = getattr(self.channel_layer, "receber_direto", None)
            if (
                envio is not None
                and receber_direto is not None
                and receber_direto(self.channel_name, self._entregar_agora)
            ):
                self._envio_direto = envio
                self._versoes = acesso.versoes()  # this loop's cache, looked up once
        try:
            with contextlib.suppress(StopConsumer):
                await despachar_em_ordem(fontes, self.dispatch)
        finally:
            if self._envio_direto is not None:
                self.channel_layer.parar_direto(self.channel_name)

    async def _receber_da_camada(self) -> dict[str, Any]:
        mensagem = await self.channel_receive()
        # from the step it left the buffer until it is handled, nothing may overtake it
        self._camada_em_curso = True
        return mensagem

    async def dispatch(self, message: dict[str, Any]) -> None:
        # channels' dispatch runs close_old_connections in the sync thread before EVERY message
        # (a thread hop per delivered event); every database call here goes through
        # database_sync_to_async, which does that itself, so the hop is skipped.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        try:
            await handler(message)
        finally:
            if not message["type"].startswith("websocket."):
                self._camada_em_curso = False

    # ------------------------------------------------------------------ client frames
    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.perfil is None or self._fechando:
            return
        with translation.override(self._idioma):
            await self._receber(text_data, bytes_data)

    async def _receber(self, text_data: str | None, bytes_data: bytes | None) -> None:
        """One client frame, answered in the socket's language."""
        situacao = self._limite.registrar()
        if situacao == "fechar":
            self._fechando = True
            await self.close(code=FECHAR_ABUSO)
            return
        if situacao == "descartar":
            await self._erro(_("Muitas mensagens: aguarde antes de enviar outras."))
            return
        try:
            evento, dados = self._ler(text_data, bytes_data)
            metodo = getattr(self, f"_cliente_{evento}", None)
            if metodo is None:
                raise ErroFrame(_("Evento desconhecido: %(evento)s.") % {"evento": evento})
            await metodo(dados)
        except ErroFrame as erro:
            await self._erro(str(erro))
        except ErroDominio as erro:
            await self._erro(erro.detalhe)

    @staticmethod
    def _ler(text_data: str | None, bytes_data: bytes | None) -> tuple[str, dict[str, Any]]:
        if text_data is None:
            raise ErroFrame(_("Envie frames de texto JSON."))
        if len(text_data) > _MAX_FRAME:
            raise ErroFrame(_("Frame grande demais."))
        try:
            frame = json.loads(text_data)
        except ValueError:
            raise ErroFrame(_("JSON inválido.")) from None
        if not isinstance(frame, dict) or not isinstance(frame.get("evento"), str):
            raise ErroFrame(_('O frame deve ser {"evento": "...", "dados": {...}}.'))
        dados = frame.get("dados", {})
        if dados is None:
            dados = {}
        if not isinstance(dados, dict):
            raise ErroFrame(_("dados deve ser um objeto."))
        return frame["evento"], dados

    async def _cliente_entrar_ticket(self, dados: dict[str, Any]) -> None:
        ticket_id = _ticket_id(dados)
        if ticket_id in self.salas:
            return
        if len(self.salas) >= ajuste("REALTIME_MAX_SALAS"):
            raise ErroFrame(_("Salas demais abertas neste socket: saia de alguma antes."))
        suporta = await database_sync_to_async(acesso.ticket_para_sala)(
            self.perfil.atendente_id, ticket_id
        )
        self._lacunas.esquecer(grupo_ticket(ticket_id))
        await self.channel_layer.group_add(grupo_ticket(ticket_id), self.channel_name)
        self.salas[ticket_id] = suporta

    async def _cliente_sair_ticket(self, dados: dict[str, Any]) -> None:
        ticket_id = self._sala(dados)
        await self._deixar_sala(ticket_id)

    async def _cliente_digitando(self, dados: dict[str, Any]) -> None:
        ticket_id = self._sala(dados)
        await self.digitacao.digitando(ticket_id, avisar_cliente=self.salas[ticket_id])

    async def _cliente_parou_digitar(self, dados: dict[str, Any]) -> None:
        await self.digitacao.parar(self._sala(dados))

    async def _cliente_atualizar_status(self, dados: dict[str, Any]) -> None:
        status = dados.get("status")
        if not isinstance(status, str) or not status:
            raise ErroFrame(_("status é obrigatório."))
        await database_sync_to_async(_atualizar_status)(self.perfil.atendente_id, status)

    def _sala(self, dados: dict[str, Any]) -> str:
        ticket_id = _ticket_id(dados)
        if ticket_id not in self.salas:
            raise ErroFrame(_("Entre no ticket (entrar_ticket) antes."))
        return ticket_id

    async def _deixar_sala(self, ticket_id: str) -> None:
        await self.digitacao.parar(ticket_id)
        self.salas.pop(ticket_id, None)
        await self._sair_grupo(grupo_ticket(ticket_id))

    # ------------------------------------------------------------------ server events
    async def evento_atendimento(self, mensagem: dict[str, Any]) -> None:
        if self.perfil is None:
            return
        await self._seguir_sequencia(mensagem)
        if mensagem.get("origem") == self.channel_name:
            return
        mensagem_id = mensagem.get("id")
        if mensagem_id:
            if mensagem_id in self._vistos:
                return
            self._vistos[mensagem_id] = None
            if len(self._vistos) > _MAX_VISTOS:
                self._vistos.popitem(last=False)
        ticket_id = mensagem.get("ticket_id")
        if ticket_id and not await self._pode_ver(ticket_id, mensagem.get("acesso")):
            if ticket_id in self.salas:
                await self._deixar_sala(ticket_id)
            return
        await self.send(text_data=_quadro(mensagem))

    def _entregar_agora(self, mensagem: dict[str, Any]) -> bool:
        """``evento_atendimento`` in the reader's step (``entrega``), for the common case: an
        idle, accepted socket that can write now, the group's next sequence number, and an
        access decision the cached profile and the process's checked version cache can make.
        False, having changed nothing, when the ordinary path must handle the message."""
        perfil, envio = self.perfil, self._envio_direto
        if (
            perfil is None
            or not self._aceito
            or self._camada_em_curso
            or mensagem.get("type") != TIPO_MENSAGEM
            or not envio.pode()
        ):
            return False
        grupo, seq = mensagem.get("grupo"), mensagem.get("seq")
        numerada = isinstance(grupo, str) and isinstance(seq, int)
        if numerada and not self._lacunas.em_ordem(grupo, seq):
            return False
        visivel = True
        ticket_id = mensagem.get("ticket_id")
        if ticket_id:  # the decision of ``_pode_ver``, when it needs no waiting
            retrato = mensagem.get("acesso")
            if retrato is None:
                return False
            if retrato.get("empresa") != perfil.empresa_id:
                visivel = False
            else:
                recebido_em = getattr(self.channel_layer, "recebido_em", None)
                if recebido_em is None:
                    return False
                versao = self._versoes.versao_pronta(perfil.atendente_id, recebido_em)
                if versao is None or versao != self._versao:
                    return False  # unknown or changed: the ordinary path reloads
                visivel = acesso.perfil_ve_retrato(perfil, retrato)
            if not visivel and ticket_id in self.salas:
                return False  # leaving the room awaits
        # decided: the same steps as ``evento_atendimento``, none of which waits
        if numerada:
            self._lacunas.registrar(grupo, seq)
        if mensagem.get("origem") == self.channel_name:
            return True
        mensagem_id = mensagem.get("id")
        if mensagem_id:
            if mensagem_id in self._vistos:
                return True
            self._vistos[mensagem_id] = None
            if len(self._vistos) > _MAX_VISTOS:
                self._vistos.popitem(last=False)
        if visivel and not envio.enviar(_quadro_bytes(mensagem)):
            logger.warning("socket %s: envio direto recusado após pode()", self.channel_name)
        return True

    async def _pode_ver(self, ticket_id: str, retrato: dict[str, Any] | None) -> bool:
        if retrato is None:
            return await database_sync_to_async(acesso.atendente_ve_ticket)(
                self.perfil.atendente_id, ticket_id
            )
        if retrato.get("empresa") != self.perfil.empresa_id:
            return False
        # the process's cached version, checked after this message left Redis (``acesso``);
        # a layer that does not say when it received falls back to a GET per delivery
        recebido_em = getattr(self.channel_layer, "recebido_em", None)
        if recebido_em is None:
            versao = await acesso.versao_acesso(self.perfil.atendente_id)
        else:
            versao = await acesso.versoes().versao(self.perfil.atendente_id, recebido_em)
        if versao != self._versao:
            await self._recarregar_perfil()
            if self.perfil is None:
                return False
        return acesso.perfil_ve_retrato(self.perfil, retrato)

    async def _seguir_sequencia(self, mensagem: dict[str, Any]) -> None:
        grupo, seq = mensagem.get("grupo"), mensagem.get("seq")
        if not isinstance(grupo, str) or not isinstance(seq, int):
            return  # not numbered (another layer configuration)
        if self._lacunas.registrar(grupo, seq):
            await self._ressincronizar()
        elif self._lacunas.pendentes() and not self._verificando_lacunas:
            self._verificando_lacunas = True
            self._tarefa(self._verificar_lacunas())

    async def _verificar_lacunas(self) -> None:
        """Holes still open after the grace period are losses: tell the client once."""
        try:
            while self._lacunas.pendentes():
                await asyncio.sleep(self._lacunas.espera)
                if self._lacunas.vencidas():
                    await self._ressincronizar()
        finally:
            self._verificando_lacunas = False

    async def _ressincronizar(self) -> None:
        perdidos = self._lacunas.zerar()
        logger.info("socket %s perdeu %s mensagens: ressincronizar", self.channel_name, perdidos)
        await self.send_json({"evento": "ressincronizar", "dados": {"perdidos": perdidos}})

    async def acesso_alterado(self, mensagem: dict[str, Any]) -> None:
        """The agent's queues, role or active flag changed (``acesso.acesso_alterado``)."""
        if self.perfil is None:
            return
        if await acesso.versao_acesso(self.perfil.atendente_id) != self._versao:
            await self._recarregar_perfil()

    async def enviar_grupo(self, grupo: str, evento: str, dados: dict[str, Any], ticket_id: str):
        """A frame from this socket to the others of ``grupo`` (not to itself)."""
        await self.channel_layer.group_send(
            grupo,
            {
                "type": TIPO_MENSAGEM,
                "id": uuid.uuid4().hex,
                "evento": evento,
                "dados": dados,
                "ticket_id": ticket_id,
                "origem": self.channel_name,
            },
        )

    # ------------------------------------------------------------------ membership upkeep
    async def _manter(self) -> None:
        """Every heartbeat: re-add the groups (which renews their expiry in channels-redis,
        ``group_expiry``) and reload the profile when its version changed or every
        ``_RECARGA_A_CADA`` beats.  The presence entry is refreshed by the process for all its
        sockets at once (``conexoes.Batimentos``), which also keeps the process's access
        version cache checked: the version compared here is read from it."""
        batidas = 0
        # the first beat at a random point of the period: sockets connected together (a
        # reconnect storm, a benchmark) must not beat together forever after
        espera = conexoes.heartbeat_segundos() * random.uniform(0.5, 1.0)  # noqa: S311
        while self.perfil is not None:
            await asyncio.sleep(espera)
            espera = conexoes.heartbeat_segundos()
            batidas += 1
            try:
                versao = await acesso.versoes().versao(self.perfil.atendente_id, float("-inf"))
                # a full reload now and then also catches QuerySet.update() changes (no bump)
                if versao != self._versao or batidas % _RECARGA_A_CADA == 0:
                    await self._recarregar_perfil()
                    if self.perfil is None:
                        return
                else:
                    await self._sincronizar_grupos()
                for ticket_id in list(self.salas):
                    await self.channel_layer.group_add(grupo_ticket(ticket_id), self.channel_name)
            except Exception:
                logger.exception("manutenção do socket %s falhou", self.channel_name)

    async def _recarregar_perfil(self) -> None:
        perfil, self._versao = await database_sync_to_async(acesso.carregar_perfil)(
            atendente_id=self.perfil.atendente_id
        )
        if perfil is None:  # deactivated: this socket has nothing left to receive
            await self.digitacao.parar_todas()
            for grupo in self.grupos_base | {grupo_ticket(t) for t in self.salas}:
                await self._sair_grupo(grupo)
            self.grupos_base = set()
            self.salas = {}
            self.perfil = None
            await self.close(code=FECHAR_NAO_AUTENTICADO)
            return
        self.perfil = perfil
        await self._sincronizar_grupos()

    async def _sincronizar_grupos(self) -> None:
        perfil = self.perfil
        desejados = {grupo_empresa(perfil.empresa_id), grupo_atendente(perfil.atendente_id)}
        desejados |= {grupo_fila(f) for f in perfil.filas}
        if perfil.gerencia_empresa:
            desejados.add(grupo_supervisores(perfil.empresa_id))
        for grupo in desejados:
            if grupo not in self.grupos_base:
                self._lacunas.esquecer(grupo)
            await self.channel_layer.group_add(grupo, self.channel_name)
        for grupo in self.grupos_base - desejados:
            await self._sair_grupo(grupo)
        self.grupos_base = desejados

    async def _sair_grupo(self, grupo: str) -> None:
        self._lacunas.esquecer(grupo)
        try:
            await self.channel_layer.group_discard(grupo, self.channel_name)
        except Exception:  # channels-redis drops it after its group_expiry (a day by default)
            logger.exception("group_discard(%s) falhou", grupo)

    # ------------------------------------------------------------------ helpers
    async def _erro(self, detalhe: str) -> None:
        await self.send_json({"evento": "erro", "dados": {"detail": detalhe}})

    def _tarefa(self, corrotina) -> asyncio.Task:
        tarefa = asyncio.get_running_loop().create_task(corrotina)
        self._tarefas.add(tarefa)
        tarefa.add_done_callback(self._tarefas.discard)
        return tarefa


def _conectar(atendente_id: str) -> None:
    atendente_conectar(atendente=Atendente.objects.get(pk=atendente_id))


def _atualizar_status(atendente_id: str, status: str) -> None:
    atendente_atualizar_status(atendente=Atendente.objects.get(pk=atendente_id), status=status)


async def _ficar_offline(atendente_id: str) -> None:
    await database_sync_to_async(_atualizar_status)(atendente_id, "offline")
