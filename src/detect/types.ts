/**
 * The detector contract. A detector is a small component with one public
 * face; the engine owns ordering, watermarks and routing, the detector owns
 * per-principal state and the statistics. The shared conformance test
 * (conformance.test.ts) holds every registered detector to this contract.
 */
import type { z } from 'zod';
import type { CompoundEntry, DirectoryEntry, EventKind, ModelEntry, MwEvent } from '../events/index.js';
import type { Alert } from './alert.js';
import type { TechniqueId } from './techniques.js';

/** Reference data a detector may read; never mutated during a run. */
export interface DetectionContext {
  /** Directory entries by canonical principal. */
  readonly directory: ReadonlyMap<string, DirectoryEntry>;
  /** Model inventory by model name. */
  readonly models: ReadonlyMap<string, ModelEntry>;
  /** Sensitive compound sets: set name to canonical SMILES. */
  readonly compounds: ReadonlyMap<string, ReadonlySet<string>>;
  /**
   * Organisation labels (first label of the directory's email domains, e.g.
   * `halcyontx` for `halcyontx.example`): destinations carrying one are the
   * organisation's own, the default notion of a sanctioned destination.
   */
  readonly orgLabels: readonly string[];
  /**
   * Fingerprint of a canonical SMILES (Morgan radius 2, 2048 bits, packed) for
   * chemistry-aware detectors; absent when RDKit is not loaded, and those
   * detectors then ignore molecular inputs.
   */
  readonly fingerprint?: (canonicalSmiles: string) => Uint8Array | null;
  teamOf(principal: string): string | null;
  projectsOf(principal: string): readonly string[];
}

export interface StateBounds {
  /** Most state entries (ring-buffer slots, pending items, history days) one principal can hold. */
  maxEntriesPerPrincipal: number;
  /** Rough ceiling of bytes of state per principal, for capacity planning (docs/detect.md). */
  maxBytesPerPrincipal: number;
}

export interface StateSize {
  principals: number;
  /** Entries held by the fullest principal. */
  maxEntriesPerPrincipal: number;
}

export interface DetectorInstance {
  /**
   * Called in event-time order for every event whose kind the detector
   * accepts; `ms` is the event time in epoch milliseconds (parsed once by the engine).
   */
  onEvent(event: MwEvent, ms: number): Alert[];
  /**
   * Event time has reached `ms`: every event before it has been delivered.
   * Windows ending at or before `ms` close here. Alerts from closes must not
   * depend on `ms` itself (only on the window), so replay and live agree.
   */
  onWatermark(ms: number): Alert[];
  stateSize(): StateSize;
}

export interface Detector<O = unknown> {
  id: string;
  title: string;
  accepts: readonly EventKind[];
  /** Validates options; every field has a documented default, units in names. */
  options: z.ZodType<O>;
  /** Every technique id the detector's alerts can carry. */
  techniques: readonly TechniqueId[];
  stateBounds(options: O): StateBounds;
  /**
   * True when the detector already weighs the departing-user watch window
   * itself; the engine then does not raise its alerts' severity again.
   */
  departureAware?: boolean;
  /** Context the detector needs beyond the directory and inventory: `fingerprints` makes `detect` load RDKit. */
  needs?: readonly 'fingerprints'[];
  create(options: O, ctx: DetectionContext): DetectorInstance;
}

/** A detector with its options type erased, as the registry holds it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyDetector = Detector<any>;

export function buildContext(input: {
  directory?: readonly DirectoryEntry[];
  models?: readonly ModelEntry[];
  compounds?: ReadonlyArray<CompoundEntry & { set: string }>;
  orgLabels?: readonly string[];
  fingerprint?: (canonicalSmiles: string) => Uint8Array | null;
}): DetectionContext {
  const directory = new Map<string, DirectoryEntry>();
  const labels = new Set<string>(input.orgLabels ?? []);
  for (const d of input.directory ?? []) {
    directory.set(d.principal.trim().toLowerCase(), d);
    const domain = d.email?.split('@')[1]?.toLowerCase();
    const label = domain?.split('.')[0];
    if (label) labels.add(label);
  }
  const models = new Map<string, ModelEntry>();
  for (const m of input.models ?? []) models.set(m.name, m);
  const compounds = new Map<string, Set<string>>();
  for (const c of input.compounds ?? []) {
    let s = compounds.get(c.set);
    if (!s) compounds.set(c.set, (s = new Set()));
    s.add(c.canonical ?? c.smiles);
  }
  return {
    directory,
    models,
    compounds,
    orgLabels: [...labels].sort(),
    ...(input.fingerprint ? { fingerprint: input.fingerprint } : {}),
    teamOf: (p) => directory.get(p)?.team ?? null,
    projectsOf: (p) => directory.get(p)?.projects ?? [],
  };
}
