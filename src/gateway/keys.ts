/**
 * API keys. A key is `mwk_<id>_<secret>`: the id (public, 12 hex) finds the
 * record, the secret (32 random bytes, base64url) is checked against its
 * sha256 with a constant-time compare. Only hashes are stored. A fast hash is
 * enough because the secret has 256 bits of entropy: slow KDFs exist to
 * protect low-entropy passwords from guessing (OWASP Password Storage Cheat
 * Sheet), which does not apply to random tokens.
 *
 * The store is a JSON file written atomically (temp file + rename). The
 * gateway re-reads it when its mtime changes, so `mirrorwatch keys` works
 * while the gateway runs; the admin API writes through the same store.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { MwError } from '../errors/index.js';
import { sha256Bytes } from '../util/hash.js';

const keyRecordSchema = z.object({
  id: z.string().regex(/^[0-9a-f]{12}$/),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  principal: z.string().min(1),
  team: z.string().nullable(),
  role: z.string().min(1),
  createdAt: z.string(),
  expiresAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  /** The key this one replaced, when created by a rotation. */
  rotatedFrom: z.string().nullable(),
  note: z.string().nullable(),
});
export type KeyRecord = z.infer<typeof keyRecordSchema>;
const fileSchema = z.object({ version: z.literal(1), keys: z.array(keyRecordSchema) });

export type PublicKey = Omit<KeyRecord, 'hash'>;

export type AuthResult =
  | { ok: true; key: KeyRecord }
  | { ok: false; code: 'MW_ERR_GW_UNAUTHENTICATED' | 'MW_ERR_GW_KEY_REVOKED' | 'MW_ERR_GW_KEY_EXPIRED'; keyId: string | null };

const KEY_SHAPE = /^mwk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;
const DUMMY_HASH = Buffer.alloc(32);

function hashSecret(secret: string): Buffer {
  return sha256Bytes(secret);
}

export interface CreateKeyInput {
  principal: string;
  team?: string | null;
  role: string;
  /** Milliseconds from now until expiry; none = no expiry. */
  ttlMs?: number | null;
  note?: string | null;
}

export class KeyStore {
  private byId = new Map<string, KeyRecord>();
  /** Stored hashes as bytes, decoded once per record instead of per request. */
  private readonly hashBytes = new WeakMap<KeyRecord, Buffer>();
  private mtimeMs = -1;
  private lastCheck = 0;

  constructor(readonly file: string, private readonly now: () => number = Date.now) {
    this.reload();
  }

  /** Re-reads the file if it changed; checked at most once a second on the request path. */
  maybeReload(): void {
    const t = this.now();
    if (t - this.lastCheck < 1000) return;
    this.lastCheck = t;
    let m: number;
    try {
      m = statSync(this.file).mtimeMs;
    } catch {
      m = -1;
    }
    if (m !== this.mtimeMs) this.reload();
  }

  reload(): void {
    let text: string;
    try {
      const st = statSync(this.file);
      this.mtimeMs = st.mtimeMs;
      text = readFileSync(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        this.byId = new Map();
        this.mtimeMs = -1;
        return;
      }
      throw new MwError('MW_ERR_GW_KEYS_FILE', `${this.file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    let parsed: z.infer<typeof fileSchema>;
    try {
      parsed = fileSchema.parse(JSON.parse(text));
    } catch (e) {
      throw new MwError('MW_ERR_GW_KEYS_FILE', `${this.file}: not a MirrorWatch keys file (${(e as Error).message.split('\n')[0]})`);
    }
    this.byId = new Map(parsed.keys.map((k) => [k.id, k]));
  }

  private save(): void {
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      const tmp = `${this.file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify({ version: 1, keys: [...this.byId.values()] }, null, 2) + '\n', { mode: 0o600 });
      renameSync(tmp, this.file);
      this.mtimeMs = statSync(this.file).mtimeMs;
    } catch (e) {
      throw new MwError('MW_ERR_GW_KEYS_FILE', `${this.file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }

  /** Creates a key; the returned secret is shown once and never stored. */
  create(input: CreateKeyInput, rotatedFrom: string | null = null): { key: PublicKey; secret: string } {
    this.reload();
    let id: string;
    do id = randomBytes(6).toString('hex');
    while (this.byId.has(id));
    const secret = randomBytes(32).toString('base64url');
    const now = this.now();
    const rec: KeyRecord = {
      id,
      hash: hashSecret(secret).toString('hex'),
      principal: input.principal,
      team: input.team ?? null,
      role: input.role,
      createdAt: new Date(now).toISOString(),
      expiresAt: input.ttlMs != null ? new Date(now + input.ttlMs).toISOString() : null,
      revokedAt: null,
      rotatedFrom,
      note: input.note ?? null,
    };
    this.byId.set(id, rec);
    this.save();
    return { key: publicOf(rec), secret: `mwk_${id}_${secret}` };
  }

  list(): PublicKey[] {
    this.reload();
    return [...this.byId.values()].map(publicOf);
  }

  get(id: string): PublicKey | null {
    const k = this.byId.get(id);
    return k ? publicOf(k) : null;
  }

  revoke(id: string): PublicKey {
    this.reload();
    const k = this.byId.get(id);
    if (!k) throw new MwError('MW_ERR_GW_KEY_NOT_FOUND', `no key with id ${id}`);
    k.revokedAt ??= new Date(this.now()).toISOString();
    this.save();
    return publicOf(k);
  }

  /** New key for the same principal/team/role; the old one stops working now, or after `graceMs`. */
  rotate(id: string, graceMs = 0): { key: PublicKey; secret: string; old: PublicKey } {
    this.reload();
    const k = this.byId.get(id);
    if (!k) throw new MwError('MW_ERR_GW_KEY_NOT_FOUND', `no key with id ${id}`);
    const ttlMs = k.expiresAt ? Math.max(0, Date.parse(k.expiresAt) - Date.parse(k.createdAt)) : null;
    const created = this.create({ principal: k.principal, team: k.team, role: k.role, ttlMs, note: k.note }, k.id);
    const old = this.byId.get(id)!;
    if (graceMs > 0) {
      const until = this.now() + graceMs;
      if (!old.expiresAt || Date.parse(old.expiresAt) > until) old.expiresAt = new Date(until).toISOString();
    } else old.revokedAt ??= new Date(this.now()).toISOString();
    this.save();
    return { ...created, old: publicOf(old) };
  }

  /** Checks a presented key. Unknown ids still run a compare so timing does not tell ids apart. */
  authenticate(presented: string | null | undefined): AuthResult {
    const m = presented ? KEY_SHAPE.exec(presented) : null;
    if (!m) return { ok: false, code: 'MW_ERR_GW_UNAUTHENTICATED', keyId: null };
    const rec = this.byId.get(m[1]!);
    const given = hashSecret(m[2]!);
    let expected: Buffer = DUMMY_HASH;
    if (rec) {
      const b = this.hashBytes.get(rec);
      if (b) expected = b;
      else this.hashBytes.set(rec, (expected = Buffer.from(rec.hash, 'hex')));
    }
    const same = timingSafeEqual(given, expected);
    if (!rec || !same) return { ok: false, code: 'MW_ERR_GW_UNAUTHENTICATED', keyId: null };
    if (rec.revokedAt) return { ok: false, code: 'MW_ERR_GW_KEY_REVOKED', keyId: rec.id };
    if (rec.expiresAt && Date.parse(rec.expiresAt) <= this.now()) return { ok: false, code: 'MW_ERR_GW_KEY_EXPIRED', keyId: rec.id };
    return { ok: true, key: rec };
  }
}

function publicOf(k: KeyRecord): PublicKey {
  const { hash: _hash, ...rest } = k;
  return rest;
}

/** Parses `30d`, `12h`, `15m`, `45s` or plain milliseconds. */
export function parseDuration(s: string): number | null {
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(s.trim());
  if (!m) return null;
  const n = Number(m[1]);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 'ms') as 'ms'];
  return n * unit;
}

/** sha256 hex of an admin token, for `admin.token_sha256`. */
export function tokenSha256(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Constant-time check of a bearer token against a stored sha256 hex. */
export function tokenMatches(token: string | null, sha256HexValue: string): boolean {
  const given = token ? sha256Bytes(token) : DUMMY_HASH;
  const ok = timingSafeEqual(given, Buffer.from(sha256HexValue, 'hex'));
  return token !== null && ok;
}
