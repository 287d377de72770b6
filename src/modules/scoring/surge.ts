import type { SurgeMode } from '../../db/types.js';

export interface SurgeBand {
  min_events: number;
  multiplier: number;
}

export interface SurgePolicy {
  mode: SurgeMode;
  bands: SurgeBand[];
  idle_reset_seconds: number;
  multiplier_cap: number;
}

/** Preset bands and caps of semantics §3; `off` has no bands (multiplier 1). */
export const SURGE_PRESETS: Record<Exclude<SurgeMode, 'custom'>, { bands: SurgeBand[]; cap: number }> = {
  off: { bands: [], cap: 1 },
  standard: {
    bands: [
      { min_events: 1, multiplier: 1.0 },
      { min_events: 3, multiplier: 1.25 },
      { min_events: 5, multiplier: 1.5 },
    ],
    cap: 2,
  },
  gentle: {
    bands: [
      { min_events: 1, multiplier: 1.0 },
      { min_events: 3, multiplier: 1.1 },
      { min_events: 6, multiplier: 1.2 },
    ],
    cap: 1.5,
  },
};

export const DEFAULT_IDLE_RESET_SECONDS = 1800;

export const STANDARD_POLICY: SurgePolicy = {
  mode: 'standard',
  bands: SURGE_PRESETS.standard.bands,
  idle_reset_seconds: DEFAULT_IDLE_RESET_SECONDS,
  multiplier_cap: SURGE_PRESETS.standard.cap,
};

/** The multiplier of the n-th event (1-based) of a session: highest band with min_events ≤ n, capped. */
export function surgeMultiplier(policy: SurgePolicy, n: number): number {
  if (policy.mode === 'off') return 1;
  let multiplier = 1;
  for (const band of policy.bands) if (band.min_events <= n) multiplier = band.multiplier;
  return Math.min(multiplier, policy.multiplier_cap);
}

/** Half away from zero; the 1e-9 snap keeps 1.15 × 10 (11.4999…) at 11.5 → 12. */
export function roundHalfAwayFromZero(x: number): number {
  const snapped = Math.round(Math.abs(x) * 1e9) / 1e9;
  const rounded = Math.sign(x) * Math.round(snapped);
  return rounded === 0 ? 0 : rounded;
}
