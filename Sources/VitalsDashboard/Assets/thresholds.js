// The limits the colours follow, in one place. Today they are the daemon's health rules
// (HealthRules: RAM 90/97 %, each filesystem 90/97 %, GPU temperature 85/92 °C, VRAM 95 %);
// when the advisor's constraints exist they replace this table and nothing else changes.
// CPU has no health rule: its 90/98 % are the dashboard's own until a constraint names one.

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
