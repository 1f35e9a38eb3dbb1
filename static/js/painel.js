// The supervisors' dashboard: draws the charts from the JSON the server put in the page
// (#painel-dados[data-graficos]), again after each htmx refresh. Every chart has its table on the page.
(function () {
  "use strict";

  const CORES = ["#2563eb", "#16a34a", "#f59e0b", "#dc2626", "#7c3aed", "#0891b2", "#64748b"];
  const graficos = {};
  const CORES_SENTIMENTO = { positivo: "#16a34a", neutro: "#94a3b8", negativo: "#dc2626" };

  function desenhar() {
    const fonte = document.getElementById("painel-dados");
    if (!fonte || !fonte.dataset.graficos || !window.Chart) return;
    const dados = JSON.parse(fonte.dataset.graficos);
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
              backgroundColor: rosca
                ? g.rotulos.map(function (r, k) { return CORES_SENTIMENTO[r] || CORES[k % CORES.length]; })
                : CORES[i % CORES.length],
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

  // htmx.onLoad: the page itself, then each refreshed #painel-dados (new canvases)
  if (window.htmx) {
    window.htmx.onLoad(function (elemento) {
      if (elemento === document.body || elemento.id === "painel-dados") desenhar();
    });
  } else {
    document.addEventListener("DOMContentLoaded", desenhar);
  }
})();
