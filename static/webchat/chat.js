/* ConectCRM Atendimento — the website chat, inside the widget's iframe.
 *
 * Identity: a visitor token from /chat/<chave>/sessao/, kept in localStorage (this iframe's
 * origin is the desk's). History: /chat/<chave>/mensagens/. Sending: POST to the channel's
 * webhook URL (stored before it is acknowledged; the message's own uuid makes a retry
 * harmless). Live: ws /ws/webchat/<chave>/?token=… (answers, "typing", read marks); every
 * answer received is acknowledged (recebidas) and, once seen, marked read (lidas).
 */
(function () {
  "use strict";

  const raiz = document.getElementById("chat");
  const chave = raiz.dataset.chave;
  const webhook = raiz.dataset.webhook;
  const armazenamento = "conectcrm-webchat:" + chave;
  const lista = document.getElementById("mensagens");
  const prechat = document.getElementById("prechat");
  const composer = document.getElementById("composer");
  const texto = document.getElementById("texto");
  const arquivo = document.getElementById("arquivo");
  const nomeArquivo = document.getElementById("nome-arquivo");
  const digitandoEl = document.getElementById("digitando");
  const aviso = document.getElementById("aviso");
  const conexao = document.getElementById("conexao");
  const LIMITE_ARQUIVO = 10 * 1024 * 1024;
  // the page's texts in the visitor's language (data-texto-* of #chat, translated by Django)
  const textos = {
    arquivo: raiz.dataset.textoArquivo || "arquivo",
    enviando: raiz.dataset.textoEnviando || "enviando…",
    naoEnviada: raiz.dataset.textoNaoEnviada || "não enviada",
    arquivoLimite: raiz.dataset.textoArquivoLimite || "O arquivo passa de 10 MB.",
    muitas: raiz.dataset.textoMuitas || "Muitas mensagens seguidas: aguarde um pouco.",
    grandeDemais: raiz.dataset.textoGrandeDemais || "O arquivo é grande demais.",
    naoEnviou: raiz.dataset.textoNaoEnviou || "Não foi possível enviar ({status}).",
    naoIniciou: raiz.dataset.textoNaoIniciou || "Não foi possível iniciar a conversa.",
  };

  let sessao = null;
  let socket = null;
  let tentativas = 0;
  let timerDigitando = null;
  let ultimoDigitando = 0;
  let timerParou = null;
  const vistas = new Set();
  const pendentesLeitura = new Set();

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function avisar(mensagem) {
    aviso.textContent = mensagem;
    aviso.hidden = !mensagem;
  }

  function carregarSessao() {
    try {
      return JSON.parse(window.localStorage.getItem(armazenamento) || "null");
    } catch (erro) {
      return null;
    }
  }

  function cabecalhos(extra) {
    return Object.assign(
      { "X-Webchat-Chave": chave, "X-Webchat-Visitante": sessao ? sessao.token : "" },
      extra || {}
    );
  }

  // ------------------------------------------------------------------ rendering
  function hora(iso) {
    const data = iso ? new Date(iso) : new Date();
    return data.toLocaleTimeString(document.documentElement.lang || [], { hour: "2-digit", minute: "2-digit" });
  }

  function desenhar(m) {
    let item = document.getElementById("m-" + m.id);
    if (!item) {
      item = document.createElement("li");
      item.id = "m-" + m.id;
      lista.appendChild(item);
    }
    item.className = "msg msg--" + m.direcao;
    item.dataset.id = m.id;
    item.replaceChildren();
    if (m.midia && m.midia.url) {
      if ((m.midia.mime || "").startsWith("image/")) {
        const img = document.createElement("img");
        img.src = m.midia.url;
        img.alt = m.midia.nome || "";
        item.appendChild(img);
      } else {
        const link = document.createElement("a");
        link.href = m.midia.url;
        link.textContent = m.midia.nome || textos.arquivo;
        link.target = "_blank";
        link.rel = "noopener";
        item.appendChild(link);
      }
    } else if (m.midia) {
      const nome = document.createElement("span");
      nome.textContent = "[" + (m.midia.nome || textos.arquivo) + "]";
      item.appendChild(nome);
    }
    if (m.texto) item.appendChild(document.createTextNode((m.midia ? "\n" : "") + m.texto));
    const meta = document.createElement("span");
    meta.className = "msg__meta";
    meta.textContent = (m.autor ? m.autor + " · " : "") + hora(m.criado_em) + (m.estado ? " · " + m.estado : "");
    item.appendChild(meta);
    lista.scrollTop = lista.scrollHeight;
    if (m.direcao === "saida") marcarRecebida(m.id);
  }

  // ------------------------------------------------------------------ receipts
  function postarRecibo(campo, ids) {
    if (!ids.length || !sessao) return;
    fetch(webhook, {
      method: "POST",
      headers: cabecalhos({ "Content-Type": "application/json" }),
      body: JSON.stringify({ [campo]: ids }),
    }).catch(function () {});
  }

  function marcarRecebida(id) {
    if (vistas.has(id) || !String(id).startsWith("wc-")) return;
    vistas.add(id);
    postarRecibo("recebidas", [id]);
    pendentesLeitura.add(id);
    marcarLidas();
  }

  function marcarLidas() {
    if (document.visibilityState !== "visible" || !pendentesLeitura.size) return;
    const ids = Array.from(pendentesLeitura);
    pendentesLeitura.clear();
    postarRecibo("lidas", ids);
  }

  document.addEventListener("visibilitychange", marcarLidas);

  // ------------------------------------------------------------------ history and live wire
  async function carregarHistorico() {
    const resposta = await fetch("/chat/" + encodeURIComponent(chave) + "/mensagens/", {
      headers: cabecalhos(),
    });
    if (resposta.status === 401) {
      window.localStorage.removeItem(armazenamento);
      sessao = null;
      mostrarPrechat();
      return;
    }
    if (!resposta.ok) return;
    const dados = await resposta.json();
    dados.results.forEach(desenhar);
  }

  function conectar() {
    if (!sessao) return;
    const protocolo = window.location.protocol === "https:" ? "wss:" : "ws:";
    const url = protocolo + "//" + window.location.host + "/ws/webchat/" + encodeURIComponent(chave) +
      "/?token=" + encodeURIComponent(sessao.token);
    const ws = new WebSocket(url);
    socket = ws;
    ws.addEventListener("open", function () {
      const reconexao = tentativas > 0;
      tentativas = 0;
      conexao.dataset.estado = "conectado";
      if (reconexao) carregarHistorico();
    });
    ws.addEventListener("message", function (evento) {
      let frame;
      try {
        frame = JSON.parse(evento.data);
      } catch (erro) {
        return;
      }
      if (frame.evento === "mensagem") {
        digitandoEl.hidden = true;
        desenhar(Object.assign({ direcao: "saida" }, frame.dados));
      } else if (frame.evento === "digitando") {
        digitandoEl.hidden = false;
        window.clearTimeout(timerDigitando);
        timerDigitando = window.setTimeout(function () { digitandoEl.hidden = true; }, 6000);
      }
    });
    ws.addEventListener("close", function (evento) {
      if (socket === ws) socket = null;
      conexao.dataset.estado = "desconectado";
      if (evento.code === 4401) {
        window.localStorage.removeItem(armazenamento);
        sessao = null;
        mostrarPrechat();
        return;
      }
      tentativas += 1;
      window.setTimeout(conectar, Math.min(30000, 1000 * 2 ** Math.min(tentativas, 5)));
    });
  }

  function enviarFrame(evento) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ evento: evento, dados: {} }));
  }

  // ------------------------------------------------------------------ sending
  function lerArquivo(file) {
    return new Promise(function (resolver, rejeitar) {
      const leitor = new FileReader();
      leitor.onload = function () { resolver(String(leitor.result).split(",")[1] || ""); };
      leitor.onerror = rejeitar;
      leitor.readAsDataURL(file);
    });
  }

  async function enviar(evento) {
    evento.preventDefault();
    const conteudo = texto.value.trim();
    const file = arquivo.files[0];
    if (!conteudo && !file) return;
    if (file && file.size > LIMITE_ARQUIVO) {
      avisar(textos.arquivoLimite);
      return;
    }
    avisar("");
    const id = uuid();
    const corpo = { id: id, texto: conteudo, pagina: document.referrer };
    if (file) corpo.arquivo = { nome: file.name, mime: file.type || "application/octet-stream", base64: await lerArquivo(file) };
    const local = { id: "wc-" + id, direcao: "entrada", texto: conteudo, estado: textos.enviando };
    if (file) local.midia = { nome: file.name, mime: file.type };
    desenhar(local);
    texto.value = "";
    arquivo.value = "";
    nomeArquivo.textContent = "";
    enviarFrame("parou_digitar");
    for (let tentativa = 0; tentativa < 3; tentativa += 1) {
      try {
        const resposta = await fetch(webhook, {
          method: "POST",
          headers: cabecalhos({ "Content-Type": "application/json" }),
          body: JSON.stringify(corpo),
        });
        if (resposta.ok) {
          local.estado = "";
          desenhar(local);
          return;
        }
        if (resposta.status === 429) { avisar(textos.muitas); break; }
        if (resposta.status === 413) { avisar(textos.grandeDemais); break; }
        if (resposta.status < 500) { avisar(textos.naoEnviou.replace("{status}", resposta.status)); break; }
      } catch (erro) {
        /* network: try again */
      }
      await new Promise(function (r) { window.setTimeout(r, 1000 * (tentativa + 1)); });
    }
    local.estado = textos.naoEnviada;
    desenhar(local);
  }

  texto.addEventListener("input", function () {
    const agora = Date.now();
    if (agora - ultimoDigitando > 2500) {
      ultimoDigitando = agora;
      enviarFrame("digitando");
    }
    window.clearTimeout(timerParou);
    timerParou = window.setTimeout(function () { ultimoDigitando = 0; enviarFrame("parou_digitar"); }, 3000);
  });

  texto.addEventListener("keydown", function (evento) {
    if (evento.key === "Enter" && !evento.shiftKey) {
      evento.preventDefault();
      composer.requestSubmit();
    }
  });

  arquivo.addEventListener("change", function () {
    nomeArquivo.textContent = arquivo.files[0] ? arquivo.files[0].name : "";
  });

  composer.addEventListener("submit", enviar);

  // ------------------------------------------------------------------ start
  function mostrarPrechat() {
    prechat.hidden = false;
    composer.hidden = true;
  }

  async function iniciar(dados) {
    const resposta = await fetch("/chat/" + encodeURIComponent(chave) + "/sessao/", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(dados || {}),
    });
    const corpo = await resposta.json().catch(function () { return {}; });
    if (!resposta.ok) {
      avisar(corpo.detail || textos.naoIniciou);
      return;
    }
    sessao = { token: corpo.token, nome: corpo.nome };
    window.localStorage.setItem(armazenamento, JSON.stringify(sessao));
    abrir();
  }

  function abrir() {
    prechat.hidden = true;
    composer.hidden = false;
    texto.focus();
    carregarHistorico().then(conectar);
  }

  prechat.addEventListener("submit", function (evento) {
    evento.preventDefault();
    const campos = new FormData(prechat);
    iniciar({ nome: campos.get("nome") || "", email: campos.get("email") || "" });
  });

  sessao = carregarSessao();
  if (sessao && sessao.token) abrir();
  else mostrarPrechat();
})();
