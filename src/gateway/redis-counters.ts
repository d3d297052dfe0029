/**
 * Counters in Redis, for several gateway replicas sharing budgets and rate
 * limits. Each step that must be atomic (check every budget then add to
 * every budget; GCRA across every bucket) is one Lua script: Redis runs a
 * script to completion before any other command, so concurrent requests on
 * any number of replicas can never both see the same headroom.
 *
 * Same semantics as the journal store, including time: expiry of daily
 * budgets and GCRA use the `now` the gateway passes (its injected clock),
 * never the Redis server's clock, so replicas and tests agree. Keys also get
 * a Redis TTL past their expiry (relative, so clock skew between gateway and
 * Redis does not matter) so forgotten counters do not accumulate.
 * Durability is Redis's own (AOF with `appendfsync everysec` or `always`;
 * docs/gateway.md). Every key an operation touches is passed in KEYS, as Redis
 * requires; a Redis Cluster needs the keys of one request in one slot, so
 * this store targets a single Redis (or a Sentinel-managed primary).
 */
import { Redis } from 'ioredis';
import { CountersUnavailableError, type CounterStore, type RateItem, type RateResult, type Reservation, type ReserveItem, type ReserveResult } from './counters.js';

// KEYS: budget counters (hashes n = used, x = expiry epoch ms). ARGV: now, then per key amount, limit, expiresAt ('' = never), then the TTL grace.
const RESERVE = `
local now = tonumber(ARGV[1])
local grace = tonumber(ARGV[#ARGV])
for i, k in ipairs(KEYS) do
  local amount = tonumber(ARGV[3 * i - 1])
  local limit = tonumber(ARGV[3 * i])
  local v = redis.call('HMGET', k, 'n', 'x')
  local used = 0
  if v[1] and (not v[2] or tonumber(v[2]) >= now) then used = tonumber(v[1]) end
  if used + amount > limit then return {0, i, used} end
end
for i, k in ipairs(KEYS) do
  local amount = tonumber(ARGV[3 * i - 1])
  local x = ARGV[3 * i + 1]
  local old = redis.call('HGET', k, 'x')
  if old and tonumber(old) < now then redis.call('DEL', k) end
  redis.call('HINCRBY', k, 'n', amount)
  if x ~= '' then
    redis.call('HSET', k, 'x', x)
    redis.call('PEXPIRE', k, math.max(1, math.ceil(tonumber(x) - now)) + grace)
  end
end
return {1}
`;

// KEYS: counters to give back to; ARGV: amounts. A counter that expired meanwhile is not recreated.
const REFUND = `
for i, k in ipairs(KEYS) do
  if redis.call('EXISTS', k) == 1 then redis.call('HINCRBY', k, 'n', -tonumber(ARGV[i])) end
end
return 1
`;

// KEYS: GCRA buckets (theoretical arrival time, epoch ms). ARGV: now, then per key cost, emission ms, burst.
// Floats cross the Lua boundary as strings: Redis truncates Lua numbers in integer replies.
const RATE = `
local now = tonumber(ARGV[1])
local nexts = {}
for i, k in ipairs(KEYS) do
  local cost = tonumber(ARGV[3 * i - 1])
  local em = tonumber(ARGV[3 * i])
  local burst = tonumber(ARGV[3 * i + 1])
  local tat = tonumber(redis.call('GET', k) or now)
  if tat < now then tat = now end
  local newTat = tat + cost * em
  local allowAt = newTat - burst * em
  if allowAt > now then
    local retry = allowAt - now
    if cost > burst then retry = cost * em end
    return {0, i, string.format('%.17g', retry)}
  end
  nexts[i] = newTat
end
for i, k in ipairs(KEYS) do
  redis.call('SET', k, string.format('%.17g', nexts[i]), 'PX', math.ceil(nexts[i] - now) + 60000)
end
return {1}
`;

/** Daily counters live this long past their expiry in Redis (the scripts ignore them once expired). */
const EXPIRY_GRACE_MS = 3_600_000;

export interface RedisCounterStoreOptions {
  /** redis:// or rediss:// URL. */
  url: string;
  /** Prefix of every key (several gateways or tests can share one Redis). */
  keyPrefix?: string;
  /** A command not answered within this fails (the gateway then fails closed or open). */
  commandTimeoutMs?: number;
  now?: () => number;
}

type ScriptReply = Array<number | string>;

interface Scripted {
  mwReserve(numKeys: number, ...args: Array<string | number>): Promise<ScriptReply>;
  mwRefund(numKeys: number, ...args: Array<string | number>): Promise<number>;
  mwRate(numKeys: number, ...args: Array<string | number>): Promise<ScriptReply>;
}

export class RedisCounterStore implements CounterStore {
  private readonly redis: Redis;
  private readonly scripts: Scripted;
  private readonly prefix: string;
  private readonly now: () => number;
  private lastError: Error | null = null;

  constructor(opts: RedisCounterStoreOptions) {
    this.prefix = opts.keyPrefix ?? 'mirrorwatch:gw:';
    this.now = opts.now ?? Date.now;
    this.redis = new Redis(opts.url, {
      commandTimeout: opts.commandTimeoutMs ?? 1000,
      connectTimeout: opts.commandTimeoutMs ?? 1000,
      // One retry after a reconnect, then the request fails over to on_unavailable rather than hanging.
      maxRetriesPerRequest: 1,
      retryStrategy: (times) => Math.min(50 * times, 2000),
    });
    // Without a listener ioredis prints every connection error; the gateway reports failures per request.
    this.redis.on('error', (e: Error) => {
      this.lastError = e;
    });
    this.redis.defineCommand('mwReserve', { lua: RESERVE });
    this.redis.defineCommand('mwRefund', { lua: REFUND });
    this.redis.defineCommand('mwRate', { lua: RATE });
    this.scripts = this.redis as unknown as Scripted;
  }

  private async run<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      // The URL may carry a password: only the error's own message, never the options.
      const last = this.lastError ? ` (last connection error: ${this.lastError.message})` : '';
      throw new CountersUnavailableError(`redis counter store: ${what} failed: ${(e as Error).message || 'unknown error'}${last}`, { cause: e });
    }
  }

  /** Resolves once Redis answers; rejects with CountersUnavailableError otherwise. */
  async ready(): Promise<void> {
    await this.run('ping', () => this.redis.ping());
  }

  async reserve(items: readonly ReserveItem[]): Promise<ReserveResult> {
    if (items.length === 0) return { ok: true, reservation: { items: [] } };
    const args: Array<string | number> = [this.now()];
    for (const it of items) args.push(it.amount, it.limit, it.expiresAt ?? '');
    args.push(EXPIRY_GRACE_MS);
    const r = await this.run('reserve', () => this.scripts.mwReserve(items.length, ...items.map((it) => this.prefix + it.key), ...args));
    if (Number(r[0]) !== 1) {
      const it = items[Number(r[1]) - 1]!;
      return { ok: false, key: it.key, used: Number(r[2]), limit: it.limit };
    }
    return { ok: true, reservation: { items: items.map((it) => ({ key: it.key, amount: it.amount, expiresAt: it.expiresAt })) } };
  }

  async commit(_r: Reservation): Promise<void> {}

  async refund(r: Reservation): Promise<void> {
    if (r.items.length === 0) return;
    await this.run('refund', () => this.scripts.mwRefund(r.items.length, ...r.items.map((it) => this.prefix + it.key), ...r.items.map((it) => it.amount)));
  }

  async get(key: string): Promise<number> {
    const [n, x] = await this.run('get', () => this.redis.hmget(this.prefix + key, 'n', 'x'));
    if (n === null || n === undefined) return 0;
    return x !== null && x !== undefined && Number(x) < this.now() ? 0 : Number(n);
  }

  async rate(items: readonly RateItem[], now: number): Promise<RateResult> {
    if (items.length === 0) return { ok: true };
    const args: Array<string | number> = [now];
    for (const it of items) args.push(it.cost, it.emissionMs, it.burst);
    const r = await this.run('rate', () => this.scripts.mwRate(items.length, ...items.map((it) => this.prefix + it.key), ...args));
    if (Number(r[0]) === 1) return { ok: true };
    return { ok: false, key: items[Number(r[1]) - 1]!.key, retryAfterMs: Number(r[2]) };
  }

  async close(): Promise<void> {
    // QUIT waits for a connection; without one, stop reconnecting at once.
    if (this.redis.status !== 'ready') return this.redis.disconnect();
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }
}
