/**
 * `mirrorwatch keys create|list|revoke|rotate`: API keys of the inference
 * gateway. Secrets are printed once, at creation, and never stored (the keys
 * file holds sha256 hashes). The running gateway re-reads the file when it
 * changes; the admin API does the same operations over HTTP.
 */
import type { Command } from 'commander';
import { MwError } from '../../errors/index.js';
import { KeyStore, keysFileOf, loadConfig, parseDuration, type PublicKey } from '../../gateway/index.js';
import { printJson } from '../shared.js';

interface StoreOpts {
  config?: string;
  keysFile?: string;
}

function storeOf(opts: StoreOpts): KeyStore {
  if (opts.keysFile) return new KeyStore(opts.keysFile);
  if (opts.config) return new KeyStore(keysFileOf(loadConfig(opts.config)));
  throw new MwError('MW_ERR_USAGE', 'give --config <gateway.yaml> or --keys-file <file>');
}

function duration(s: string | undefined, name: string): number | null {
  if (s === undefined) return null;
  const ms = parseDuration(s);
  if (ms === null) throw new MwError('MW_ERR_USAGE', `${name} must be a duration like 30m, 12h, 90d (got "${s}")`);
  return ms;
}

function status(k: PublicKey, now = Date.now()): string {
  if (k.revokedAt) return 'revoked';
  if (k.expiresAt && Date.parse(k.expiresAt) <= now) return 'expired';
  return 'active';
}

function withStoreOptions(cmd: Command): Command {
  return cmd.option('--config <file>', 'gateway config (its keys_file, or <data_dir>/keys.json)').option('--keys-file <file>', 'keys file, instead of --config');
}

export function register(program: Command): void {
  const keys = program.command('keys').description('Create, list, revoke and rotate inference gateway API keys');

  withStoreOptions(
    keys
      .command('create')
      .description('Create a key bound to a principal, team and role; prints the secret once')
      .requiredOption('--principal <name>', 'who the key belongs to (one principal may hold several keys)')
      .requiredOption('--role <role>', 'role in the gateway config (selects output policy and batch cap)')
      .option('--team <team>', 'team of the principal')
      .option('--expires <duration>', 'lifetime, e.g. 90d')
      .option('--note <text>', 'free text (ticket, purpose)')
      .option('--json', 'print as JSON'),
  ).action((opts: StoreOpts & { principal: string; role: string; team?: string; expires?: string; note?: string; json?: boolean }) => {
    const r = storeOf(opts).create({ principal: opts.principal, role: opts.role, team: opts.team ?? null, ttlMs: duration(opts.expires, '--expires'), note: opts.note ?? null });
    if (opts.json) return printJson(r);
    process.stdout.write(`created key ${r.key.id} for ${r.key.principal} (role ${r.key.role}${r.key.expiresAt ? `, expires ${r.key.expiresAt}` : ''})\n`);
    process.stdout.write(`secret (shown once, store it now): ${r.secret}\n`);
  });

  withStoreOptions(keys.command('list').description('List keys (ids, principals, roles, status; never secrets)').option('--json', 'print as JSON')).action(
    (opts: StoreOpts & { json?: boolean }) => {
      const list = storeOf(opts).list();
      if (opts.json) return printJson({ keys: list });
      if (list.length === 0) return void process.stdout.write('no keys\n');
      process.stdout.write(`${'ID'.padEnd(13)} ${'STATUS'.padEnd(8)} ${'ROLE'.padEnd(12)} ${'PRINCIPAL'.padEnd(24)} EXPIRES\n`);
      for (const k of list) process.stdout.write(`${k.id.padEnd(13)} ${status(k).padEnd(8)} ${k.role.padEnd(12)} ${k.principal.padEnd(24)} ${k.expiresAt ?? '-'}\n`);
    },
  );

  withStoreOptions(keys.command('revoke').description('Revoke a key now (callers get MW_ERR_GW_KEY_REVOKED)').argument('<id>', 'key id').option('--json', 'print as JSON')).action(
    (id: string, opts: StoreOpts & { json?: boolean }) => {
      const k = storeOf(opts).revoke(id);
      if (opts.json) return printJson({ key: k });
      process.stdout.write(`revoked key ${k.id} of ${k.principal}\n`);
    },
  );

  withStoreOptions(
    keys
      .command('rotate')
      .description('Replace a key with a new one for the same principal and role; prints the new secret once')
      .argument('<id>', 'key id')
      .option('--grace <duration>', 'keep the old key working this long (default: revoke it now)')
      .option('--json', 'print as JSON'),
  ).action((id: string, opts: StoreOpts & { grace?: string; json?: boolean }) => {
    const r = storeOf(opts).rotate(id, duration(opts.grace, '--grace') ?? 0);
    if (opts.json) return printJson(r);
    process.stdout.write(`rotated key ${r.old.id} -> ${r.key.id} for ${r.key.principal}${opts.grace ? ` (old key valid until ${r.old.expiresAt})` : ' (old key revoked)'}\n`);
    process.stdout.write(`secret (shown once, store it now): ${r.secret}\n`);
  });
}
