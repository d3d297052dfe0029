/** The dashboard's API client: same-origin cookie session, CSRF header on state changes, typed errors. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let csrf: string | null = null;

export interface Me {
  user: { username: string; role: 'viewer' | 'analyst' | 'responder' | 'admin'; hr: boolean };
  csrfToken: string;
}

export async function api<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrf) headers['x-csrf-token'] = csrf;
  const res = await fetch(`/api/v1${path}`, { method, headers, credentials: 'same-origin', ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  if (res.status === 401 && !path.startsWith('/auth/login')) {
    window.location.assign('/login');
    throw new ApiError(401, 'MW_ERR_WEB_UNAUTHENTICATED', 'not logged in');
  }
  const data = (await res.json().catch(() => null)) as unknown;
  if (!res.ok) {
    const e = (data as { error?: { code?: string; message?: string } } | null)?.error;
    throw new ApiError(res.status, e?.code ?? 'MW_ERR_INTERNAL', e?.message ?? res.statusText);
  }
  return data as T;
}

export async function me(): Promise<Me> {
  const m = await api<Me>('GET', '/auth/me');
  csrf = m.csrfToken;
  return m;
}

export function qs(params: Record<string, string | number | undefined | null>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v != null && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}
