// Optimization: the GPU memory advisor. The current settings and their estimate, the score,
// the six presets with their fit on each GPU (apply is an admin action: 409 says why a
// preset fits no GPU), the recommendations with the figures behind them, and an estimate
// calculator that asks the daemon (POST /api/v1/optimization/estimate changes nothing).

import { el, setText, bytes, num } from "./util.js";
import { getJSON, readRequest, adminButton, adminRequest, token } from "./api.js";

const MODELS = ["sd15", "sdxl", "sd3_medium", "flux_dev", "flux_schnell"];

function breakdown(e) {
  const b = e.breakdown;
  return `weights ${bytes(b.weights_bytes)} + working ${bytes(b.working_bytes)} + VAE ${bytes(b.vae_decode_bytes)} + reserve ${bytes(b.reserve_bytes)}`;
}

function fits(e) {
  if (!e.fits.length) return "no GPU detected";
  return e.fits.map((f) => `GPU ${f.gpu}: ${f.fits ? "fits" : "does not fit"} (${bytes(f.free_bytes)} free of ${bytes(f.total_bytes)})`).join("; ");
}

export function create(panel, app) {
  const status = el("p", { class: "note", role: "status", id: "optimization-status" });
  const summary = el("div", { class: "cards" });
  const presetList = el("div", { class: "presets" });
  const recList = el("ol", { class: "recommendations" });
  const result = el("p", { class: "note", id: "estimate-result" });

  const field = (label, input) => el("label", { class: "field" }, el("span", { text: label }), input);
  const model = el("select", { name: "model" }, ...MODELS.map((m) => el("option", { value: m, text: m })));
  const width = el("input", { name: "width", type: "number", min: 64, max: 8192, step: 64, value: 1024 });
  const height = el("input", { name: "height", type: "number", min: 64, max: 8192, step: 64, value: 1024 });
  const batch = el("input", { name: "batch", type: "number", min: 1, max: 64, value: 1 });
  const quant = el("select", { name: "quantization" }, ...["fp16", "bf16", "fp8", "int8", "nf4"].map((q) => el("option", { value: q, text: q })));
  const offload = el("select", { name: "offload" }, ...["none", "model", "sequential"].map((o) => el("option", { value: o, text: o })));
  const tiling = el("input", { name: "vae_tiling", type: "checkbox" });
  const form = el("form", { class: "estimate", id: "estimate-form" },
    field("Model", model), field("Width", width), field("Height", height), field("Batch", batch),
    field("Quantization", quant), field("Offload", offload), field("VAE tiling", tiling),
    el("button", { type: "submit", class: "primary", text: "Estimate" }));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const body = { model: model.value, width: +width.value, height: +height.value, batch: +batch.value,
                   quantization: quant.value, offload: offload.value, vae_tiling: tiling.checked };
    // A read (it changes nothing), so it carries the read token where one is needed.
    const r = await readRequest("/api/v1/optimization/estimate", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    const data = await r.json();
    result.textContent = r.ok
      ? `Peak ${bytes(data.peak_bytes)} (${breakdown(data)}), ${num(data.relative_time, 1)}× the time. ${fits(data)}.`
      : `Not estimated: ${data.error?.message ?? r.status}.`;
  });

  panel.append(
    el("h2", { text: "Current settings" }), status, summary,
    el("h2", { text: "Presets" }), presetList,
    el("h2", { text: "Recommendations" }), recList,
    el("h2", { text: "Estimate a run" }), form, result,
  );

  function card(title, value, sub) {
    return el("article", { class: "card" }, el("h3", { text: title }), el("div", { class: "value", text: value }), el("div", { class: "sub", text: sub }));
  }

  async function refresh(clearStatus = true) {
    try {
      const [opt, presets, recs, analysis] = await Promise.all([
        getJSON("/api/v1/system/optimization"), getJSON("/api/v1/optimization/presets"),
        getJSON("/api/v1/optimization/recommendations"), getJSON("/api/v1/optimization/analysis"),
      ]);
      const w = opt.workload;
      summary.replaceChildren(
        card("Workload", `${w.model} ${w.width}×${w.height}`, `batch ${w.batch}${w.frames > 1 ? `, ${w.frames} frames` : ""}`),
        card("Settings", `${opt.quantization}, offload ${opt.offload}`, `VAE tiling ${opt.vae_tiling ? `on (${opt.vae_tile_size} px)` : "off"}`),
        card("Peak VRAM", bytes(opt.estimate.peak_bytes), `saves ${bytes(opt.savings_bytes)} against fp16 resident`),
        card("Score", `${analysis.score} / 100`, `headroom ${analysis.parts.headroom}, efficiency ${analysis.parts.efficiency}, stability ${analysis.parts.stability}`),
      );
      presetList.replaceChildren(...presets.presets.map((p) => presetRow(p)));
      if (clearStatus) { setText(status, ""); delete status.dataset.result; }
      recList.replaceChildren(...(recs.recommendations.length
        ? recs.recommendations.map((r) => el("li", { "data-priority": r.priority },
            el("strong", { text: `${r.priority}: ${r.title}` }), ` ${r.detail}`,
            r.estimated_savings_bytes > 0 ? ` (saves about ${bytes(r.estimated_savings_bytes)})` : ""))
        : [el("li", { text: recs.message })]));
    } catch (e) {
      setText(status, `Advisor unavailable: ${e.message}`);
    }
  }

  function presetRow(p) {
    const note = el("span", { class: "note" });
    const apply = el("button", { type: "button", "data-preset": p.id, text: `Apply ${p.id}` });
    adminButton(apply, note);
    const gpus = p.gpus.length
      ? p.gpus.map((g) => `GPU ${g.gpu}: ${g.compatible ? "fits" : "no"} (${g.reason})`).join("; ")
      : "no GPU detected";
    apply.addEventListener("click", async () => {
      apply.disabled = true;
      const r = await adminRequest("POST", `/api/v1/optimization/apply-preset/${encodeURIComponent(p.id)}`);
      apply.disabled = !token.get();
      // Said in the tab's status line: the refresh below rebuilds the preset rows.
      status.dataset.result = r.ok ? "applied" : "refused";
      status.textContent = r.ok ? `Applied ${p.id}.` : `${p.id} not applied: ${r.message}.`;
      if (r.ok) refresh(false);
    });
    return el("article", { class: "preset", "data-id": p.id },
      el("h3", { text: p.id.replaceAll("_", " ") }),
      el("p", { text: `${p.description} Peak ${bytes(p.estimate.peak_bytes)}; ${p.performance_impact}; ${p.quality_impact}.` }),
      el("p", { class: "note", text: gpus }),
      el("div", { class: "toolbar" }, apply, note));
  }

  let timer = null;
  return {
    show() { refresh(); timer ??= setInterval(() => refresh(false), 15000); },
    hide() { clearInterval(timer); timer = null; },
  };
}
