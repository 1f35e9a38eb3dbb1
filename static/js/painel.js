// The supervisors' dashboard: draws the charts from the JSON the server put in the page
// (#painel-graficos), again after each htmx refresh. Every chart has its table on the page.
(function () {
  "use strict";

  const CORES = ["#2563eb", "#16a34a", "#f59e0b", "#dc2626", "#7c3aed", "#0891b2", "#64748b"];
  const graficos = {};

  function desenhar() {
    const fonte = document.getElementById("painel-graficos");
    if (!fonte || !window.Chart) return;
    const dados = JSON.parse(fonte.textContent);
    Object.keys(dados).forEach(function (id) {
      const g = dados[id];
      const canvas = document.getElementById("grafico-" + id);
      if (!canvas) return;
      if (graficos[id]) { graficos[id].destroy(); delete graficos[id]; }
      const vazio = !g.rotulos.length || g.series.every(function (s) {
        return s.dados.every(function (v) { return v === null || v === 0; });
      });
      const figura = canvas.closest("figure");
      figura.querySelector(".grafico__vazio").hidden = !vazio;
      canvas.hidden = vazio;
      if (vazio) return;
      const rosca = g.tipo === "doughnut";
      graficos[id] = new window.Chart(canvas, {
        type: g.tipo,
        data: {
          labels: g.rotulos,
          datasets: g.series.map(function (s, i) {
            return {
              label: s.rotulo,
              data: s.dados,
              backgroundColor: rosca ? CORES.slice(0, s.dados.length) : CORES[i % CORES.length],
              borderColor: rosca ? "#fff" : CORES[i % CORES.length],
              tension: 0.25,
            };
          }),
        },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          plugins: { legend: { display: g.series.length > 1 || rosca } },
          scales: rosca ? {} : { y: { beginAtZero: true } },
        },
      });
      canvas.dataset.desenhado = "1";
    });
  }

  document.addEventListener("DOMContentLoaded", desenhar);
  document.body.addEventListener("htmx:afterSettle", function (evento) {
    if (evento.target && evento.target.id === "painel-dados") desenhar();
  });
})();
