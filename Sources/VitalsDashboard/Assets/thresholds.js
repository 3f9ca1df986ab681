// The limits the colours follow, in one place: the operator's constraints
// (GET /api/v1/system/constraints, which health and the resource check read too) replace
// these defaults as soon as the page has them (see useConstraints), so a card turns yellow
// or red exactly where the daemon warns.

export const THRESHOLDS = {
  cpu: { warn: 90, crit: 98, unit: "%" },
  memory: { warn: 90, crit: 97, unit: "%" },
  disk: { warn: 90, crit: 97, unit: "%" },
  gpuTemp: { warn: 85, crit: 92, unit: "°C" },
  vram: { warn: 95, crit: null, unit: "%" },
};

/// "ok", "warn", "crit", or "none" when the value is unknown or the kind has no rule.
export function level(kind, value) {
  const t = THRESHOLDS[kind];
  if (!t || value === null || value === undefined || !Number.isFinite(value)) return "none";
  if (t.crit !== null && value >= t.crit) return "crit";
  if (t.warn !== null && value >= t.warn) return "warn";
  return "ok";
}

/// The worst of several levels (a disk card shows its fullest filesystem's colour).
export function worst(levels) {
  const order = ["none", "ok", "warn", "crit"];
  return levels.reduce((a, b) => (order.indexOf(b) > order.indexOf(a) ? b : a), "none");
}

/// Takes the daemon's constraints (warning and critical per resource) as the colours' limits.
export function useConstraints(c) {
  const pct = (l) => l && { warn: l.warning_percent, crit: l.critical_percent, unit: "%" };
  if (c.cpu) THRESHOLDS.cpu = pct(c.cpu);
  if (c.ram) THRESHOLDS.memory = pct(c.ram);
  if (c.disk) THRESHOLDS.disk = pct(c.disk);
  if (c.vram) THRESHOLDS.vram = pct(c.vram);
  if (c.gpu_temperature) THRESHOLDS.gpuTemp = { warn: c.gpu_temperature.warning_celsius, crit: c.gpu_temperature.critical_celsius, unit: "°C" };
}
