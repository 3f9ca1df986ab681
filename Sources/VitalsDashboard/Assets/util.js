// Small helpers shared by the tabs: element building (no innerHTML, so no markup from data)
// and number formatting.

export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

/// Sets text only when it changed: no layout work for figures that stayed the same.
export function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

export function num(v, digits = 1) {
  return v === null || v === undefined || !Number.isFinite(v) ? "–" : v.toFixed(digits);
}

export function pct(v) { return v === null || v === undefined ? "–" : `${num(v)} %`; }

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
export function bytes(v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  let i = 0;
  while (Math.abs(v) >= 1024 && i < UNITS.length - 1) { v /= 1024; i++; }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${UNITS[i]}`;
}

export function rate(v) { return v === null || v === undefined ? "–" : `${bytes(v)}/s`; }

export function clock(ms, withSeconds = true) {
  const d = new Date(ms);
  const p = (n) => String(n).padStart(2, "0");
  return withSeconds ? `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}` : `${p(d.getHours())}:${p(d.getMinutes())}`;
}

export function dayClock(ms) {
  const d = new Date(ms);
  return `${d.getMonth() + 1}/${d.getDate()} ${clock(ms, false)}`;
}
