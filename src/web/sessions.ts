/**
 * Login sessions. In memory (a restart logs everyone out, which is the safe
 * failure); behind a small interface so a shared store (Redis) can hold them
 * when several dashboard processes serve one team.
 */
import { randomBytes } from 'node:crypto';
import type { Role } from './users.js';

export interface Session {
  id: string;
  username: string;
  role: Role;
  hr: boolean;
  createdMs: number;
  lastSeenMs: number;
}

export interface SessionStore {
  create(user: { username: string; role: Role; hr: boolean }): Session;
  /** The live session for this id (touching it), or null when unknown or expired. */
  get(id: string): Session | null;
  delete(id: string): void;
  /** Ends every session of a user (password change, removal). */
  deleteUser(username: string): void;
}

export interface SessionOptions {
  /** Idle time after which a session ends, ms (default 8 hours: one working day). */
  idleMs?: number;
  /** Longest life of a session whatever its use, ms (default 24 hours). */
  absoluteMs?: number;
  /** Most live sessions kept; the oldest go first (bounded memory). */
  maxSessions?: number;
  now?: () => number;
}

export function createMemorySessionStore(options: SessionOptions = {}): SessionStore {
  const idleMs = options.idleMs ?? 8 * 3_600_000;
  const absoluteMs = options.absoluteMs ?? 24 * 3_600_000;
  const max = options.maxSessions ?? 10_000;
  const now = options.now ?? Date.now;
  // Map keeps insertion order: the first entries are the oldest.
  const sessions = new Map<string, Session>();
  return {
    create(user) {
      while (sessions.size >= max) sessions.delete(sessions.keys().next().value!);
      const t = now();
      const s: Session = { id: randomBytes(32).toString('base64url'), ...user, createdMs: t, lastSeenMs: t };
      sessions.set(s.id, s);
      return s;
    },
    get(id) {
      const s = sessions.get(id);
      if (!s) return null;
      const t = now();
      if (t - s.lastSeenMs > idleMs || t - s.createdMs > absoluteMs) {
        sessions.delete(id);
        return null;
      }
      s.lastSeenMs = t;
      return s;
    },
    delete(id) {
      sessions.delete(id);
    },
    deleteUser(username) {
      for (const [id, s] of sessions) if (s.username === username) sessions.delete(id);
    },
  };
}
