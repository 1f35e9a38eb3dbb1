/* ConectCRM Atendimento — the inbox's live wire.
 *
 * Opens the agents' websocket (docs/realtime.md: /ws/atendimento/, authenticated by the
 * session cookie),
 * reconnects with exponential backoff and turns every JSON frame into
 *   htmx.trigger(document.body, <evento>, <dados>)
 * and, for events about one row, also <evento>-<id> (the ticket, or the agent for
 * atendente_status). The server-rendered partials listen with
 * hx-trigger="<evento>-<id> from:body" and re-fetch themselves, so this file never builds HTML.
 * (Keyed event names instead of htmx's [filter] expressions: those need eval, which the
 * Content-Security-Policy forbids.)  After a reconnection — or a "ressincronizar" frame, sent
 * when the server had to drop events for this tab — it raises "reconectado" and every live
 * partial re-fetches what it may have missed.
 *
 * A plain WebSocket instead of htmx's ws extension: the server speaks JSON frames (the same
 * protocol the API clients use), while the extension expects HTML fragments.
 *
 * It also sends the client events: entrar_ticket / sair_ticket when a conversation opens or
 * closes, digitando / parou_digitar from the composer (debounced), and handles Enter-to-send
 * in the composer.  The agent's status goes through an htmx POST (see _status.html).
 */
(function () {
  "use strict";

  const ESPERA_MIN_MS = 1000;
  const ESPERA_MAX_MS = 30000;
  const DIGITANDO_REENVIO_MS = 3000; // a new "digitando" at most this often while typing
  const DIGITANDO_PAUSA_MS = 4000; // no keystroke for this long: "parou_digitar"
  const DIGITANDO_EXPIRA_MS = 15000; // someone else's indicator without news disappears
  const FECHAMENTO_NAO_AUTENTICADO = 4401;

  let socket = null;
  let tentativas = 0;
  let jaConectou = false;
  let ticketAtual = null;

  // which field of an event's data names the row it is about
  const CHAVE_DO_EVENTO = {
    nova_mensagem: "ticket",
    conversa_atualizar: "ticket",
    ticket_atualizado: "id",
    atendente_status: "atendente_id",
  };

  function disparar(evento, dados) {
    htmx.trigger(document.body, evento, dados);
    const chave = CHAVE_DO_EVENTO[evento] && dados[CHAVE_DO_EVENTO[evento]];
    if (chave) htmx.trigger(document.body, evento + "-" + chave, dados);
  }

  // ------------------------------------------------------------------ websocket
  function urlSocket() {
    const esquema = window.location.protocol === "https:" ? "wss://" : "ws://";
    return esquema + window.location.host + "/ws/atendimento/";
  }

  function enviar(evento, dados) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify({ evento: evento, dados: dados }));
    }
  }

  function mostrarConexao(estado) {
    const el = document.getElementById("conexao");
    if (!el) return;
    el.dataset.estado = estado;
    const chave = "texto" + estado.charAt(0).toUpperCase() + estado.slice(1);
    if (el.dataset[chave]) el.textContent = el.dataset[chave];
  }

  function conectar() {
    mostrarConexao(jaConectou ? "desconectado" : "conectando");
    let ws;
    try {
      ws = new WebSocket(urlSocket());
    } catch (erro) {
      agendarReconexao();
      return;
    }
    socket = ws;
    ws.addEventListener("open", function () {
      const reconexao = jaConectou;
      jaConectou = true;
      tentativas = 0;
      mostrarConexao("conectado");
      if (ticketAtual) enviar("entrar_ticket", { ticket_id: ticketAtual });
      if (reconexao) htmx.trigger(document.body, "reconectado", {});
    });
    ws.addEventListener("message", function (evento) {
      let frame;
      try {
        frame = JSON.parse(evento.data);
      } catch (erro) {
        return;
      }
      if (!frame || typeof frame.evento !== "string") return;
      if (frame.evento === "erro") {
        console.warn("websocket:", frame.dados && frame.dados.detail);
        return;
      }
      disparar(frame.evento, frame.dados || {});
      // the server dropped events meant for this tab (it fell behind): re-fetch like after a
      // reconnection
      if (frame.evento === "ressincronizar") htmx.trigger(document.body, "reconectado", {});
    });
    ws.addEventListener("close", function (evento) {
      if (socket === ws) socket = null;
      if (evento.code === FECHAMENTO_NAO_AUTENTICADO) {
        window.location.assign("/accounts/login/?next=/inbox/");
        return;
      }
      agendarReconexao();
    });
  }

  function agendarReconexao() {
    const base = Math.min(ESPERA_MAX_MS, ESPERA_MIN_MS * Math.pow(2, tentativas));
    tentativas += 1;
    mostrarConexao("desconectado");
    window.setTimeout(conectar, base / 2 + Math.random() * (base / 2));
  }

  // ------------------------------------------------------------------ open conversation
  function ticketNaTela() {
    const el = document.getElementById("ticket");
    return el ? el.dataset.ticketId : null;
  }

  function marcarNaLista() {
    document.querySelectorAll("#lista-tickets [data-ticket-id]").forEach(function (item) {
      if (item.dataset.ticketId === ticketAtual) item.setAttribute("aria-current", "true");
      else item.removeAttribute("aria-current");
    });
  }

  function sincronizarTicket() {
    const novo = ticketNaTela();
    if (novo !== ticketAtual) {
      if (ticketAtual) {
        pararDigitar();
        enviar("sair_ticket", { ticket_id: ticketAtual });
      }
      ticketAtual = novo;
      limparDigitando();
      if (ticketAtual) enviar("entrar_ticket", { ticket_id: ticketAtual });
    }
    marcarNaLista();
  }

  // ------------------------------------------------------------------ typing (ours)
  let digitandoEnviadoEm = 0;
  let pausaDigitar = null;

  function digitou() {
    if (!ticketAtual) return;
    const agora = Date.now();
    if (agora - digitandoEnviadoEm >= DIGITANDO_REENVIO_MS) {
      digitandoEnviadoEm = agora;
      enviar("digitando", { ticket_id: ticketAtual });
    }
    window.clearTimeout(pausaDigitar);
    pausaDigitar = window.setTimeout(pararDigitar, DIGITANDO_PAUSA_MS);
  }

  function pararDigitar() {
    window.clearTimeout(pausaDigitar);
    if (digitandoEnviadoEm && ticketAtual) enviar("parou_digitar", { ticket_id: ticketAtual });
    digitandoEnviadoEm = 0;
  }

  // ------------------------------------------------------------------ typing (others)
  const digitando = new Map(); // atendente_id -> {nome, timer}

  function meuId() {
    const el = document.getElementById("conteudo");
    return el ? el.dataset.atendenteId : null;
  }

  function mostrarDigitando() {
    const el = document.getElementById("digitando");
    if (!el) return;
    if (digitando.size === 0) {
      el.hidden = true;
      el.textContent = "";
      return;
    }
    const nomes = Array.from(digitando.values()).map(function (d) { return d.nome; });
    el.textContent = nomes.length === 1
      ? el.dataset.modelo.replace("%(nome)s", nomes[0])
      : el.dataset.modeloVarios;
    el.hidden = false;
  }

  function limparDigitando() {
    digitando.forEach(function (d) { window.clearTimeout(d.timer); });
    digitando.clear();
    mostrarDigitando();
  }

  document.body.addEventListener("atendente_digitando", function (evento) {
    const d = evento.detail || {};
    if (d.ticket_id !== ticketAtual || d.atendente_id === meuId()) return;
    const anterior = digitando.get(d.atendente_id);
    if (anterior) window.clearTimeout(anterior.timer);
    digitando.set(d.atendente_id, {
      nome: d.nome || "",
      timer: window.setTimeout(function () {
        digitando.delete(d.atendente_id);
        mostrarDigitando();
      }, DIGITANDO_EXPIRA_MS),
    });
    mostrarDigitando();
  });

  function parouDigitar(evento) {
    const d = evento.detail || {};
    const atual = digitando.get(d.atendente_id);
    if (!atual) return;
    window.clearTimeout(atual.timer);
    digitando.delete(d.atendente_id);
    mostrarDigitando();
  }
  document.body.addEventListener("atendente_parou_digitar", parouDigitar);
  // the customer typing (channels that tell us: the website chat)
  document.body.addEventListener("contato_digitando", function (evento) {
    const d = evento.detail || {};
    if (d.ticket_id !== ticketAtual) return;
    const anterior = digitando.get("contato");
    if (anterior) window.clearTimeout(anterior.timer);
    digitando.set("contato", {
      nome: d.nome || "",
      timer: window.setTimeout(function () {
        digitando.delete("contato");
        mostrarDigitando();
      }, DIGITANDO_EXPIRA_MS),
    });
    mostrarDigitando();
  });
  document.body.addEventListener("contato_parou_digitar", function () {
    parouDigitar({ detail: { atendente_id: "contato" } });
  });
  // a message from that agent ends their indicator too
  document.body.addEventListener("nova_mensagem", function (evento) {
    const d = evento.detail || {};
    if (d.ticket === ticketAtual) limparDigitando();
  });

  // ------------------------------------------------------------------ composer
  document.body.addEventListener("keydown", function (evento) {
    const campo = evento.target;
    if (!(campo instanceof HTMLTextAreaElement) || campo.id !== "composer-texto") return;
    if (evento.key !== "Enter" || evento.shiftKey || evento.isComposing) return;
    evento.preventDefault();
    const primeira = document.querySelector("#sugestoes .sugestao");
    const atalho = /^\/\S*$/.test(campo.value.trim());
    if (primeira && atalho) {
      primeira.click(); // "/atalho" + Enter picks the first quick reply into the composer
      return;
    }
    const form = campo.form;
    const anexo = form && form.querySelector("input[type=file]");
    if (!campo.value.trim() && !(anexo && anexo.files.length)) return;
    pararDigitar();
    // the composer may have just been swapped in: make sure htmx has bound it, or the browser
    // would submit the form natively and navigate away from the inbox
    htmx.process(form);
    form.requestSubmit();
  });

  document.body.addEventListener("input", function (evento) {
    const campo = evento.target;
    if (campo.id !== "composer-texto") return;
    digitou();
    // quick-reply suggestions: while the text starts with "/" (or to clear the open list)
    if (campo.value.startsWith("/") || document.querySelector("#sugestoes li")) {
      htmx.trigger(campo, "sugerir");
    }
  });

  document.body.addEventListener("change", function (evento) {
    const campo = evento.target;
    if (!(campo instanceof HTMLInputElement) || campo.type !== "file") return;
    const rotulo = campo.form && campo.form.querySelector(".composer__arquivo");
    if (rotulo) rotulo.textContent = campo.files.length ? campo.files[0].name : "";
  });

  // ------------------------------------------------------------------ htmx hooks
  document.body.addEventListener("htmx:afterSettle", function (evento) {
    sincronizarTicket();
    const alvo = evento.detail && evento.detail.elt;
    if (alvo && alvo.id === "composer") {
      const campo = document.getElementById("composer-texto");
      if (campo && document.activeElement === document.body) campo.focus();
    }
  });

  document.body.addEventListener("htmx:beforeRequest", function (evento) {
    const elt = evento.detail && evento.detail.elt;
    if (elt && elt.id === "composer") pararDigitar();
    if (elt && elt.id === "mensagens-recentes") recentesEmVoo = true;
  });

  // ------------------------------------------------------------------ conversation freshness
  // On status_mensagem the message re-fetches itself (its data-url). An event that arrives
  // while the whole conversation is being re-fetched or settled (the new HTML may predate it),
  // or for a message not on the page yet, re-fetches the conversation once more instead
  // (hx-sync "queue last" runs it after the request in flight), so no status is ever lost.
  let recentesEmVoo = false;
  function recentesTerminou(evento) {
    const elt = evento.detail && evento.detail.elt;
    if (elt && elt.id === "mensagens-recentes") recentesEmVoo = false;
  }
  document.body.addEventListener("htmx:afterSettle", recentesTerminou);
  document.body.addEventListener("htmx:responseError", recentesTerminou);
  document.body.addEventListener("htmx:sendError", recentesTerminou);
  document.body.addEventListener("status_mensagem", function (evento) {
    const d = evento.detail || {};
    if (!ticketAtual || d.ticket_id !== ticketAtual) return;
    const elemento = document.getElementById("mensagem-" + d.mensagem_id);
    if (recentesEmVoo || !elemento) {
      disparar("conversa_atualizar", { ticket: d.ticket_id });
      return;
    }
    atualizarMensagem(d.mensagem_id);
  });

  // One re-fetch per message at a time. Two quick events (entregue, then lida) would otherwise
  // race: the answer that lands second is swapped into the element the first one already
  // replaced (detached), and the newer status is lost. An event that arrives during a re-fetch
  // asks for one more after it, so the last re-fetch always starts after the last event.
  const mensagemEmVoo = {};
  function atualizarMensagem(id) {
    if (mensagemEmVoo[id]) {
      mensagemEmVoo[id] = "de novo";
      return;
    }
    const elemento = document.getElementById("mensagem-" + id);
    if (!elemento) return;
    mensagemEmVoo[id] = true;
    let terminou = false;
    const fim = function () {
      if (terminou) return;
      terminou = true;
      const deNovo = mensagemEmVoo[id] === "de novo";
      delete mensagemEmVoo[id];
      if (deNovo) atualizarMensagem(id);
    };
    window.setTimeout(fim, 15000); // never stuck if a request ends without settling its promise
    htmx.ajax("GET", elemento.dataset.url, { target: elemento, swap: "outerHTML" }).then(fim, fim);
  }

  function avisar(texto) {
    const aviso = document.getElementById("aviso");
    if (!aviso) return;
    aviso.textContent = texto;
    aviso.hidden = false;
    window.clearTimeout(avisar.timer);
    avisar.timer = window.setTimeout(function () { aviso.hidden = true; }, 8000);
  }

  function falhou() {
    const aviso = document.getElementById("aviso");
    if (aviso) avisar(aviso.dataset.textoFalha);
  }
  document.body.addEventListener("htmx:responseError", falhou);
  document.body.addEventListener("htmx:sendError", falhou);

  document.body.addEventListener("notificacao", function (evento) {
    const d = evento.detail || {};
    avisar([d.titulo, d.texto].filter(Boolean).join(": "));
  });

  // ------------------------------------------------------------------ start
  ticketAtual = ticketNaTela();
  marcarNaLista();
  if (window.WebSocket) conectar();
})();
