/**
 * `mirrorwatch users ...`: dashboard accounts and API tokens, kept in the
 * store. Passwords come from standard input (`--password-stdin`) or are
 * generated and printed once; they never appear on the command line, where
 * other local users could read them in the process list.
 */
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { MwError } from '../../errors/index.js';
import { createUserStore, ROLES, type Role } from '../../web/users.js';
import { addDbOption, printJson, withStore } from '../shared.js';

async function readStdinLine(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  const line = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  if (!line) throw new MwError('MW_ERR_USAGE', '--password-stdin: standard input is empty');
  return line;
}

export function generatedPassword(): string {
  // 18 random bytes: 24 base64url characters, 144 bits.
  return randomBytes(18).toString('base64url');
}

function role(s: string | undefined, fallback: Role): Role {
  const r = (s ?? fallback) as Role;
  if (!ROLES.includes(r)) throw new MwError('MW_ERR_USAGE', `--role must be one of ${ROLES.join(', ')} (got "${s}")`);
  return r;
}

export function register(program: Command): void {
  const users = program.command('users').description('Manage dashboard users and API tokens (roles: viewer, analyst, responder, admin)');

  addDbOption(
    users
      .command('add <name>')
      .description('Create a user; prints a generated password once unless --password-stdin')
      .option('--role <role>', `one of ${ROLES.join(', ')}`, 'viewer')
      .option('--hr', 'may see HR data (resignations, notice periods)')
      .option('--password-stdin', 'read the password from standard input'),
  ).action(async (name: string, opts: { db: string; role: string; hr?: boolean; passwordStdin?: boolean }) => {
    const password = opts.passwordStdin ? await readStdinLine() : generatedPassword();
    const u = await withStore(opts.db, (s) => createUserStore(s).add({ username: name, password, role: role(opts.role, 'viewer'), hr: opts.hr ?? false }));
    process.stdout.write(`created user ${u.username} (role ${u.role}${u.hr ? ', HR access' : ''})\n`);
    if (!opts.passwordStdin) process.stdout.write(`password (shown once): ${password}\n`);
  });

  addDbOption(users.command('list').description('List users (never password hashes)').option('--json', 'print as JSON')).action(
    async (opts: { db: string; json?: boolean }) => {
      const list = await withStore(opts.db, (s) => createUserStore(s).list());
      if (opts.json) return printJson(list);
      if (!list.length) process.stdout.write('no users (serve creates an admin on first run)\n');
      for (const u of list) process.stdout.write(`${u.username.padEnd(20)} ${u.role.padEnd(10)} ${u.hr ? 'hr' : '  '}  created ${u.createdAt}\n`);
    },
  );

  addDbOption(users.command('remove <name>').description('Remove a user and their API tokens')).action(async (name: string, opts: { db: string }) => {
    const ok = await withStore(opts.db, (s) => createUserStore(s).remove(name));
    if (!ok) throw new MwError('MW_ERR_WEB_NOT_FOUND', `no user ${name}`);
    process.stdout.write(`removed ${name}\n`);
  });

  addDbOption(
    users.command('passwd <name>').description('Set a new password (generated and printed once unless --password-stdin)').option('--password-stdin', 'read the password from standard input'),
  ).action(async (name: string, opts: { db: string; passwordStdin?: boolean }) => {
    const password = opts.passwordStdin ? await readStdinLine() : generatedPassword();
    await withStore(opts.db, (s) => createUserStore(s).setPassword(name, password));
    process.stdout.write(`password of ${name} changed\n`);
    if (!opts.passwordStdin) process.stdout.write(`password (shown once): ${password}\n`);
  });

  addDbOption(
    users
      .command('token <name>')
      .description('Create an API token for automation (Authorization: Bearer ...); printed once')
      .option('--role <role>', 'a role no higher than the user\'s (default: the user\'s)')
      .option('--label <text>', 'what the token is for'),
  ).action(async (name: string, opts: { db: string; role?: string; label?: string }) => {
    const r = await withStore(opts.db, (s) =>
      createUserStore(s).createToken({ username: name, ...(opts.role ? { role: role(opts.role, 'viewer') } : {}), ...(opts.label ? { label: opts.label } : {}) }),
    );
    process.stdout.write(`token ${r.record.id} for ${name} (role ${r.record.role})\n${r.token}\n`);
  });

  addDbOption(users.command('tokens').description('List API tokens (ids, users, roles; never secrets)').option('--json', 'print as JSON')).action(
    async (opts: { db: string; json?: boolean }) => {
      const list = await withStore(opts.db, (s) => createUserStore(s).listTokens());
      if (opts.json) return printJson(list);
      for (const t of list) process.stdout.write(`${t.id}  ${t.username.padEnd(20)} ${t.role.padEnd(10)} ${t.createdAt}  ${t.label}\n`);
    },
  );

  addDbOption(users.command('revoke-token <id>').description('Revoke an API token')).action(async (id: string, opts: { db: string }) => {
    const ok = await withStore(opts.db, (s) => createUserStore(s).revokeToken(id));
    if (!ok) throw new MwError('MW_ERR_WEB_NOT_FOUND', `no token ${id}`);
    process.stdout.write(`revoked token ${id}\n`);
  });
}
