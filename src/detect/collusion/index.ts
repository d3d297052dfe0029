/**
 * Collusion and Sybil extraction: one person querying through several
 * identities (borrowed service accounts, colleagues' leaked keys) so that no
 * single key looks busy.
 *
 * The tie between an identity and a person is the source address: each
 * principal's requests come from a few habitual addresses (workstation, VPN,
 * a pipeline's pods). The detector learns, per principal, the addresses they
 * used on at least `minOwnerDays` distinct days. A request from an address
 * that is habitually another principal's (its owner) and never the caller's
 * is foreign use of the caller's key. Foreign requests are attributed to the
 * owner -- the person behind the address -- so the alert lands on the actor,
 * not on the colleague whose key was used:
 * - low: one foreign identity on the owner's address in a day;
 * - medium: foreign requests interleaved with the owner's own requests from
 *   the same address (within `interleaveMinutes`), or a service account used
 *   from a person's address (a pipeline key driven interactively);
 * - high: at least `minSybilIdentities` foreign identities on the owner's
 *   address within `windowDays`, interleaved with the owner's own requests.
 * Addresses several principals share from the start (NAT, shared hosts) have
 * no single owner and never make foreign use. Foreign use never makes an
 * address habitual for the caller, so a borrowed key stays foreign.
 */
import { z } from 'zod';
import type { Severity } from '../alert.js';
import { makeAlert, MAX_EVIDENCE, severityRank } from '../alert.js';
import { DAY_MS, dayStart, fmt } from '../stats.js';
import type { Detector, DetectionContext, DetectorInstance } from '../types.js';

export const collusionOptions = z
  .object({
    /** Distinct days a principal must use an address before it counts as theirs. */
    minOwnerDays: z.number().int().min(1).default(3),
    /** Share of an address's habitual use-days one principal must hold to own it (shared addresses have no owner). */
    minOwnerShare: z.number().min(0.5).max(1).default(0.8),
    /** Foreign requests on an owner's addresses within `windowDays` before it alerts. */
    minForeignRequests: z.number().int().positive().default(5),
    /** Foreign requests within `windowDays` that make an identity count towards a ring. */
    minIdentityRequests: z.number().int().positive().default(2),
    /** A foreign request within this many minutes of the owner's own request from the address is interleaved. */
    interleaveMinutes: z.number().positive().default(30),
    /** Foreign identities on one owner's address within `windowDays` that make a Sybil ring (high). */
    minSybilIdentities: z.number().int().min(2).default(2),
    /** Days over which foreign identities on one owner's address are counted together. */
    windowDays: z.number().int().positive().default(7),
    /** Addresses remembered per principal (least recently used forgotten). */
    maxAddressesPerPrincipal: z.number().int().positive().default(16),
    /** Foreign identities remembered per owner. */
    maxForeignPerOwner: z.number().int().positive().default(16),
  })
  .strict();
export type CollusionOptions = z.infer<typeof collusionOptions>;

const TECHNIQUES = ['T1078', 'AML.T0024.002', 'AML.T0040'] as const;

interface AddressUse {
  days: number;
  lastDay: number;
  lastMs: number;
}

interface Foreign {
  identity: string;
  address: string;
  day: number;
  requests: number;
  interleaved: number;
  instances: number;
  lastMs: number;
  evidence: string[];
  models: Set<string>;
}

interface PrincipalState {
  /** Addresses the principal used on their own (not foreign) requests, LRU order. */
  addresses: Map<string, AddressUse>;
  activeDays: number;
  lastDay: number;
  /** As owner: foreign identities seen on their addresses, most recent last. */
  foreign: Foreign[];
  /** As owner: highest severity already raised per day. */
  raisedDay: number;
  raised: number;
}

/** Principals in a snapshot: maps and sets as arrays in insertion order, which is their eviction order. */
interface Snapshot {
  states: Array<[string, Omit<PrincipalState, 'addresses' | 'foreign'> & { addresses: Array<[string, AddressUse]>; foreign: Array<Omit<Foreign, 'models'> & { models: string[] }> }]>;
}

export const collusion: Detector<CollusionOptions> = {
  id: 'collusion',
  title: 'Collusion and Sybil extraction: keys and accounts used from another principal\'s address',
  accepts: ['inference'],
  options: collusionOptions,
  techniques: [...TECHNIQUES],
  stateBounds: (o) => ({
    maxEntriesPerPrincipal: o.maxAddressesPerPrincipal + o.maxForeignPerOwner * (1 + MAX_EVIDENCE + 8) + 1,
    maxBytesPerPrincipal: o.maxAddressesPerPrincipal * 96 + o.maxForeignPerOwner * (160 + MAX_EVIDENCE * 48 + 8 * 64),
  }),
  create(o, ctx: DetectionContext): DetectorInstance {
    const states = new Map<string, PrincipalState>();
    /** Address to the principals that used it on their own requests (bounded by principals x addresses each). */
    const users = new Map<string, Set<string>>();
    const interleaveMs = o.interleaveMinutes * 60_000;

    function state(p: string): PrincipalState {
      let s = states.get(p);
      if (!s) states.set(p, (s = { addresses: new Map(), activeDays: 0, lastDay: -1, foreign: [], raisedDay: -1, raised: -1 }));
      return s;
    }

    function isService(p: string): boolean {
      const role = ctx.directory.get(p)?.role ?? '';
      return /service/i.test(role) || p.startsWith('svc-');
    }

    /** The principal who habitually owns `address`, when one does and it is not `caller`. */
    function ownerOf(address: string, caller: string): string | null {
      const us = users.get(address);
      if (!us) return null;
      let total = 0;
      let best: string | null = null;
      let bestDays = 0;
      for (const u of us) {
        const days = states.get(u)?.addresses.get(address)?.days ?? 0;
        if (days < o.minOwnerDays) continue;
        total += days;
        if (days > bestDays || (days === bestDays && best !== null && u < best)) {
          best = u;
          bestDays = days;
        }
      }
      if (!best) return null;
      if (isService(best)) {
        // People are the actors: a pipeline key seen from a person's address (a borrowed key used
        // there for days) does not make the address the pipeline's.
        let person: string | null = null;
        let personDays = 0;
        for (const u of us) {
          const days = states.get(u)?.addresses.get(address)?.days ?? 0;
          if (!isService(u) && (days > personDays || (days === personDays && person !== null && u < person))) {
            person = u;
            personDays = days;
          }
        }
        if (person) return person === caller ? null : person;
      }
      if (best === caller || bestDays < o.minOwnerShare * total) return null;
      return best;
    }

    function use(p: string, s: PrincipalState, address: string, day: number, ms: number): void {
      let a = s.addresses.get(address);
      if (a) s.addresses.delete(address);
      else {
        a = { days: 0, lastDay: -1, lastMs: 0 };
        let set = users.get(address);
        if (!set) users.set(address, (set = new Set()));
        set.add(p);
      }
      if (a.lastDay !== day) {
        a.days++;
        a.lastDay = day;
      }
      a.lastMs = ms;
      s.addresses.set(address, a);
      if (s.addresses.size > o.maxAddressesPerPrincipal) {
        const oldest = s.addresses.keys().next().value!;
        s.addresses.delete(oldest);
        const set = users.get(oldest);
        set?.delete(p);
        if (set && set.size === 0) users.delete(oldest);
      }
    }

    return {
      onEvent(e, ms) {
        if (e.kind !== 'inference' || !e.sourceIp) return [];
        const p = e.principal.canonical;
        const address = e.sourceIp;
        const day = dayStart(ms);
        const s = state(p);
        if (s.lastDay !== day) {
          s.activeDays++;
          s.lastDay = day;
        }
        const own = s.addresses.get(address);
        const owner = own && own.days >= o.minOwnerDays ? null : ownerOf(address, p);
        // A caller without habits of their own yet (new key, first days of data) cannot be judged.
        const established = [...s.addresses.values()].some((a) => a.days >= o.minOwnerDays);
        if (!owner || !established) {
          use(p, s, address, day, ms);
          return [];
        }
        const os = state(owner);
        let f = os.foreign.find((x) => x.identity === p && x.address === address && x.day === day);
        if (!f) {
          f = { identity: p, address, day, requests: 0, interleaved: 0, instances: 0, lastMs: ms, evidence: [], models: new Set() };
          os.foreign.push(f);
          if (os.foreign.length > o.maxForeignPerOwner) os.foreign.shift();
        }
        f.requests++;
        f.instances += Math.max(e.batchSize, e.instances.length);
        f.lastMs = ms;
        const ownerUse = os.addresses.get(address);
        if (ownerUse && Math.abs(ms - ownerUse.lastMs) <= interleaveMs) f.interleaved++;
        if (f.evidence.length < MAX_EVIDENCE) f.evidence.push(e.id);
        if (f.models.size < 8) f.models.add(e.model);

        // Foreign identities on this owner's addresses in the window: a ring spreads its requests thin.
        const recent = os.foreign.filter((x) => x.day > day - o.windowDays * DAY_MS);
        const requests = recent.reduce((n, x) => n + x.requests, 0);
        if (requests < o.minForeignRequests) return [];
        const perIdentity = new Map<string, { requests: number; interleaved: number }>();
        for (const x of recent) {
          const v = perIdentity.get(x.identity) ?? { requests: 0, interleaved: 0 };
          v.requests += x.requests;
          v.interleaved += x.interleaved;
          perIdentity.set(x.identity, v);
        }
        const counted = [...perIdentity].filter(([, v]) => v.requests >= o.minIdentityRequests);
        const identities = counted.map(([k]) => k).sort();
        const interleavedIds = counted.filter(([, v]) => v.interleaved > 0).map(([k]) => k);
        if (identities.length === 0) return [];
        const service = identities.filter(isService);
        let severity: Severity = 'low';
        if (interleavedIds.length >= o.minSybilIdentities) severity = 'high';
        else if (interleavedIds.length > 0 || service.length > 0) severity = 'medium';
        const rank = severityRank(severity);
        if (os.raisedDay === day && os.raised >= rank) return [];
        os.raisedDay = day;
        os.raised = rank;
        const today = recent.filter((x) => x.day === day);
        const instances = recent.reduce((n, x) => n + x.instances, 0);
        const addresses = [...new Set(recent.map((x) => x.address))].sort();
        const evidence = [...today, ...recent.filter((x) => x.day !== day)].flatMap((x) => x.evidence);
        const models = recent.flatMap((x) => [...x.models]);
        return [
          makeAlert({
            detector: 'collusion',
            severity,
            principal: owner,
            models,
            atMs: ms,
            windowStartMs: Math.min(...recent.map((x) => x.day)),
            windowEndMs: day + DAY_MS,
            key: severity,
            techniques: [...TECHNIQUES],
            observed: identities.length,
            baseline: 0,
            threshold: severity === 'high' ? o.minSybilIdentities : 1,
            evidence,
            explanation: `The keys of ${identities.join(', ')}${service.length ? ` (service account ${service.join(', ')})` : ''} made ${fmt(requests)} requests (${fmt(instances)} instances) from ${addresses.join(', ')}, an address habitually used only by ${owner}${interleavedIds.length ? `, interleaved within ${o.interleaveMinutes} minutes with ${owner}'s own requests` : ''}, over ${Math.round((day + DAY_MS - Math.min(...recent.map((x) => x.day))) / DAY_MS)} day(s).`,
          }),
        ];
      },
      onWatermark() {
        return [];
      },
      snapshot(): Snapshot {
        return {
          states: [...states].map(([p, s]) => [
            p,
            {
              ...s,
              addresses: [...s.addresses].map(([a, u]) => [a, { ...u }]),
              foreign: s.foreign.map((f) => ({ ...f, evidence: [...f.evidence], models: [...f.models] })),
            },
          ]),
        };
      },
      restore(state) {
        for (const [p, s] of (state as Snapshot).states) {
          states.set(p, {
            ...s,
            addresses: new Map(s.addresses.map(([a, u]) => [a, { ...u }])),
            foreign: s.foreign.map((f) => ({ ...f, evidence: [...f.evidence], models: new Set(f.models) })),
          });
          // `users` is the inverse of the principals' own addresses; which order its sets are in does not
          // matter (ownerOf breaks ties by name), so it is rebuilt rather than stored twice.
          for (const a of s.addresses.map(([address]) => address)) {
            let set = users.get(a);
            if (!set) users.set(a, (set = new Set()));
            set.add(p);
          }
        }
      },
      stateSize() {
        let max = 0;
        for (const s of states.values()) {
          const n = s.addresses.size + s.foreign.reduce((k, f) => k + 1 + f.evidence.length + f.models.size, 0) + 1;
          if (n > max) max = n;
        }
        return { principals: states.size, maxEntriesPerPrincipal: max };
      },
    };
  },
};
