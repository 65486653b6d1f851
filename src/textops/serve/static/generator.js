// The dashboard's generator view: the served generator's latest `gen eval` sweep (quality or
// distinct-2 against diversity, one point per decoding setting, the best in red), a few texts
// of each setting, live /v1/generate counters, and a box that calls /v1/generate.
// Uses the page's helpers: get, headers, ofModel, modelPath, plot.
let lastLive = null;

function cell(text) { const td = document.createElement("td"); td.textContent = text; return td; }
const num = (v, d = 3) => v === null || v === undefined ? "-" : Number(v).toFixed(d);

function drawSweep(sweep) {
  const pts = sweep.settings.filter((s) => s.diversity !== null);
  const rated = pts.some((s) => s.quality !== null);
  const y = (s) => rated ? s.quality : s.distinct_2;
  Plotly.react("sweep", [{
    x: pts.map((s) => s.diversity), y: pts.map(y), text: pts.map((s) => s.setting),
    mode: "markers+text", textposition: "top center", type: "scatter", name: "settings",
    marker: {size: 11, color: pts.map((s) => s.setting === sweep.best ? "#dc2626" : "#2563eb")},
  }], {margin: {l: 50, r: 10, t: 10, b: 40}, showlegend: false,
       xaxis: {title: {text: "diversity (1 - mean cosine)"}},
       yaxis: {title: {text: rated ? "quality" : "distinct-2"}}},
  {displayModeBar: false, responsive: true});
  document.getElementById("sweep-note").textContent =
    `${sweep.generator_uri || ""} · run ${sweep.run_id || "-"} · best: ${sweep.best || "-"}` +
    (sweep.best_reason ? ` (${sweep.best_reason})` : "");
  const body = document.querySelector("#samples tbody");
  body.replaceChildren(...sweep.settings.map((s) => {
    const tr = document.createElement("tr");
    tr.append(cell(s.setting), cell(num(s.diversity)), cell(num(s.quality)), cell(num(s.distinct_2)));
    const texts = document.createElement("td");
    const list = document.createElement("ul");
    list.replaceChildren(...s.examples.map((t) => { const li = document.createElement("li");
      li.textContent = t; return li; }));
    texts.appendChild(list); tr.appendChild(texts);
    return tr;
  }));
}

function drawLive(o) {
  const now = Date.now() / 1000;
  let perMin = "-";
  if (lastLive && now > lastLive.t) perMin = ((o.requests - lastLive.requests) / (now - lastLive.t) * 60).toFixed(1);
  lastLive = {t: now, requests: o.requests};
  const rows = [["requests answered", o.requests], ["requests per minute (since the last refresh)", perMin],
    ["tokens written", o.tokens], ["tokens/s while generating", o.seconds > 0 ? (o.tokens / o.seconds).toFixed(1) : "-"]];
  document.getElementById("gen-live").replaceChildren(...rows.map(([k, v]) => {
    const tr = document.createElement("tr"); tr.append(cell(k), cell(String(v))); return tr;
  }));
  document.getElementById("gen-live").dataset.tokens = String(o.tokens);
}

async function refreshGenerator() {
  const o = await get(ofModel("/v1/generate/overview"));
  if (o.sweep) drawSweep(o.sweep);
  else {
    Plotly.purge("sweep");
    document.getElementById("sweep-note").textContent = o.note;
    document.querySelector("#samples tbody").replaceChildren();
  }
  drawLive(o);
}

document.getElementById("gen-go").addEventListener("click", async () => {
  const out = document.getElementById("gen-out");
  const temperature = Number(document.getElementById("gen-t").value);
  const r = await fetch(modelPath("/generate") || "/v1/generate", {method: "POST", headers: headers(),
    body: JSON.stringify({prompts: [document.getElementById("prompt").value], n: 3, temperature})});
  const body = await r.json();
  if (!r.ok) { out.textContent = body.error; return; }
  out.replaceChildren(...body.generations[0].texts.map((t) => { const li = document.createElement("li");
    li.textContent = t; return li; }));
  out.dataset.count = String(body.generations[0].texts.length);
  refreshGenerator();
});
