/**
 * Dashboard users and API tokens, kept as documents in the store (so they
 * travel with the investigation they protect). Passwords are hashed with
 * scrypt (node:crypto; RFC 7914) at N=2^15, r=8, p=1, the parameters OWASP's
 * Password Storage Cheat Sheet lists for scrypt; tokens are random 32-byte
 * secrets stored only as SHA-256 hashes (they carry full entropy, so a slow
 * hash adds nothing). Every comparison is constant-time.
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual, createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { z } from 'zod';
import { MwError } from '../errors/index.js';
import type { RecordStore } from '../store/index.js';

const scrypt = promisify(scryptCb) as (pw: string, salt: Buffer, keylen: number, opts: { N: number; r: number; p: number; maxmem: number }) => Promise<Buffer>;

export const ROLES = ['viewer', 'analyst', 'responder', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** A role may do everything the roles before it may. */
export function roleAtLeast(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}

export const usernameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{1,63}$/, 'user names are 2-64 characters: lower-case letters, digits, dot, dash, underscore');

/** NIST SP 800-63B 5.1.1.2: at least 8 characters, no composition rules; we ask for 12 since these accounts see HR data. */
export const MIN_PASSWORD_LENGTH = 12;

export interface UserRecord {
  username: string;
  role: Role;
  /** May see HR fields (resignations, last working days). */
  hr: boolean;
  passwordHash: string;
  createdAt: string;
}

export interface TokenRecord {
  id: string;
  username: string;
  /** A token can have a lower role than its user (automation reading only). */
  role: Role;
  hr: boolean;
  hash: string;
  label: string;
  createdAt: string;
}

export interface Identity {
  username: string;
  role: Role;
  hr: boolean;
  via: 'session' | 'token';
}

const PARAMS = { N: 1 << 15, r: 8, p: 1, keylen: 32 };

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password.normalize('NFKC'), salt, PARAMS.keylen, { N: PARAMS.N, r: PARAMS.r, p: PARAMS.p, maxmem: 64 * 1024 * 1024 });
  return `scrypt$${PARAMS.N}$${PARAMS.r}$${PARAMS.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  const salt = Buffer.from(parts[4]!, 'base64url');
  const want = Buffer.from(parts[5]!, 'base64url');
  const got = await scrypt(password.normalize('NFKC'), salt, want.length, { N, r, p, maxmem: 64 * 1024 * 1024 });
  return got.length === want.length && timingSafeEqual(got, want);
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

const USERS = 'web-users';
const TOKENS = 'web-tokens';

/** A dummy hash so that an unknown user costs the same time as a wrong password. */
let dummyHash: Promise<string> | null = null;

export interface UserStore {
  add(input: { username: string; password: string; role: Role; hr?: boolean }): Promise<UserRecord>;
  setPassword(username: string, password: string): Promise<void>;
  remove(username: string): Promise<boolean>;
  list(): Promise<Array<Omit<UserRecord, 'passwordHash'>>>;
  count(): Promise<number>;
  /** The user when the password is right, else null (same cost either way). */
  login(username: string, password: string): Promise<UserRecord | null>;
  createToken(input: { username: string; role?: Role; label?: string }): Promise<{ token: string; record: Omit<TokenRecord, 'hash'> }>;
  revokeToken(id: string): Promise<boolean>;
  listTokens(): Promise<Array<Omit<TokenRecord, 'hash'>>>;
  /** The identity of a bearer token, or null. */
  verifyToken(token: string): Promise<Identity | null>;
}

export function createUserStore(store: RecordStore, now: () => number = Date.now): UserStore {
  const iso = (): string => new Date(now()).toISOString();

  async function get(username: string): Promise<UserRecord | null> {
    return (await store.getDocument<UserRecord>(USERS, username))?.body ?? null;
  }

  function checkPassword(password: string): void {
    if ([...password].length < MIN_PASSWORD_LENGTH)
      throw new MwError('MW_ERR_WEB_BAD_REQUEST', `passwords need at least ${MIN_PASSWORD_LENGTH} characters`);
  }

  return {
    async add({ username, password, role, hr = false }) {
      const name = usernameSchema.safeParse(username);
      if (!name.success) throw new MwError('MW_ERR_WEB_BAD_REQUEST', name.error.issues[0]!.message);
      if (!ROLES.includes(role)) throw new MwError('MW_ERR_WEB_BAD_REQUEST', `role must be one of ${ROLES.join(', ')}`);
      checkPassword(password);
      if (await get(username)) throw new MwError('MW_ERR_WEB_CONFLICT', `user ${username} already exists`);
      const rec: UserRecord = { username, role, hr, passwordHash: await hashPassword(password), createdAt: iso() };
      await store.putDocument(USERS, username, rec);
      return rec;
    },
    async setPassword(username, password) {
      const u = await get(username);
      if (!u) throw new MwError('MW_ERR_WEB_NOT_FOUND', `no user ${username}`);
      checkPassword(password);
      await store.putDocument(USERS, username, { ...u, passwordHash: await hashPassword(password) });
    },
    async remove(username) {
      for (const t of await store.listDocuments<TokenRecord>(TOKENS)) if (t.body.username === username) await store.deleteDocument(TOKENS, t.id);
      return store.deleteDocument(USERS, username);
    },
    async list() {
      return (await store.listDocuments<UserRecord>(USERS)).map(({ body: { passwordHash: _h, ...rest } }) => rest);
    },
    async count() {
      return (await store.listDocuments(USERS)).length;
    },
    async login(username, password) {
      const u = usernameSchema.safeParse(username).success ? await get(username) : null;
      if (!u) {
        dummyHash ??= hashPassword('not-a-real-password');
        await verifyPassword(password, await dummyHash);
        return null;
      }
      return (await verifyPassword(password, u.passwordHash)) ? u : null;
    },
    async createToken({ username, role, label = '' }) {
      const u = await get(username);
      if (!u) throw new MwError('MW_ERR_WEB_NOT_FOUND', `no user ${username}`);
      const r = role ?? u.role;
      if (!roleAtLeast(u.role, r)) throw new MwError('MW_ERR_WEB_FORBIDDEN', `a token cannot have a higher role (${r}) than its user (${u.role})`);
      const id = randomBytes(6).toString('hex');
      const secret = randomBytes(32).toString('base64url');
      // The id is part of the token so verification is one lookup, not a scan.
      const token = `mwt_${id}_${secret}`;
      const record: TokenRecord = { id, username, role: r, hr: u.hr, hash: sha256(token).toString('hex'), label, createdAt: iso() };
      await store.putDocument(TOKENS, id, record);
      const { hash: _h, ...pub } = record;
      return { token, record: pub };
    },
    revokeToken: (id) => store.deleteDocument(TOKENS, id),
    async listTokens() {
      return (await store.listDocuments<TokenRecord>(TOKENS)).map(({ body: { hash: _h, ...rest } }) => rest);
    },
    async verifyToken(token) {
      const m = /^mwt_([0-9a-f]{12})_[A-Za-z0-9_-]{43}$/.exec(token);
      if (!m) return null;
      const rec = (await store.getDocument<TokenRecord>(TOKENS, m[1]!))?.body;
      if (!rec) return null;
      const want = Buffer.from(rec.hash, 'hex');
      const got = sha256(token);
      if (!timingSafeEqual(got, want)) return null;
      // The user may have been removed or demoted since the token was made.
      const u = await get(rec.username);
      if (!u) return null;
      const role = roleAtLeast(u.role, rec.role) ? rec.role : u.role;
      return { username: rec.username, role, hr: u.hr && rec.hr, via: 'token' };
    },
  };
}
