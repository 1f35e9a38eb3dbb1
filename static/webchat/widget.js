/* ConectCRM Atendimento — website chat widget loader.
 *
 *   <script src="https://<desk>/static/webchat/widget.js" data-chave="<chave pública>" defer></script>
 *
 * Adds a chat button to the page; the chat itself runs in an iframe served by the desk
 * (/chat/<chave>/embed/), so the host page shares nothing with it and needs no other asset.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.dataset.chave || window.__conectcrmWebchat) return;
  window.__conectcrmWebchat = true;
  var base = new URL(script.src, window.location.href).origin;
  var chave = encodeURIComponent(script.dataset.chave);

  var botao = document.createElement("button");
  botao.type = "button";
  botao.id = "conectcrm-webchat-botao";
  botao.setAttribute("aria-label", script.dataset.rotulo || "Abrir o chat");
  var svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", "28");
  svg.setAttribute("height", "28");
  svg.setAttribute("aria-hidden", "true");
  var caminho = document.createElementNS("http://www.w3.org/2000/svg", "path");
  caminho.setAttribute("d", "M4 4h16v11H8l-4 4z");
  caminho.setAttribute("fill", "currentColor");
  svg.appendChild(caminho);
  botao.appendChild(svg);
  botao.style.cssText =
    "position:fixed;right:20px;bottom:20px;width:56px;height:56px;border-radius:50%;border:0;" +
    "background:" + (script.dataset.cor || "#1f6feb") + ";color:#fff;display:flex;" +
    "align-items:center;justify-content:center;" +
    "box-shadow:0 4px 14px rgba(0,0,0,.25);cursor:pointer;z-index:2147483000";

  var quadro = document.createElement("iframe");
  quadro.id = "conectcrm-webchat";
  quadro.title = "Chat";
  quadro.src = base + "/chat/" + chave + "/embed/";
  quadro.hidden = true;
  quadro.style.cssText =
    "position:fixed;right:20px;bottom:88px;width:min(370px,calc(100vw - 40px));" +
    "height:min(560px,calc(100vh - 120px));border:0;border-radius:12px;" +
    "box-shadow:0 8px 28px rgba(0,0,0,.28);background:#fff;z-index:2147483000";

  botao.addEventListener("click", function () {
    quadro.hidden = !quadro.hidden;
    botao.setAttribute("aria-expanded", String(!quadro.hidden));
  });
  document.body.appendChild(quadro);
  document.body.appendChild(botao);
})();
