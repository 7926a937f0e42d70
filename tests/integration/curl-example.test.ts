// docs/examples/toggle-flag.sh, the shell tool the README points to, run with curl and jq against
// the production build: a token scoped to reading flags and turning them on and off does exactly
// that, the same token gets FORBIDDEN (naming the permission) from anything else over the wire,
// and a token without the action's permission makes the script fail with tRPC's code and message.
import { execFileSync, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { useAppStack } from '../helpers/app-stack';
import { createFlag } from '../helpers/feature-flags';
import { signInOverHttp } from '../helpers/http-sign-in';
import { seedUser, trpcMutation, trpcQuery, type SeededUser } from '../../tools/sign-in';

const SCRIPT = resolve('docs/examples/toggle-flag.sh');

function hasTool(name: string): boolean {
	try {
		execFileSync(name, ['--version'], { stdio: 'ignore' });
		return true;
	} catch {
		return false;
	}
}

// .ci/run installs curl and jq, and `npm test` under CI=true fails when either is missing, so CI
// never skips this.
describe.runIf(hasTool('curl') && hasTool('jq'))('the curl example with a scoped token', () => {
	const stack = useAppStack('sqlite');
	let admin: SeededUser;
	let session: string;

	beforeAll(async () => {
		admin = await seedUser(stack.database.db, { role: 'admin' });
		session = (
			await signInOverHttp(stack.server.origin, stack.sink, admin, { transport: 'bearer' })
		).token;
	});

	async function newToken(scopes: string[]): Promise<string> {
		const created = await trpcMutation<{ token: string }>(stack.server.origin, 'apiTokens.create', {
			input: { name: 'toggle', scopes, expiresInDays: 1 },
			headers: { authorization: `Bearer ${session}` }
		});
		if (!created.data) throw new Error(`no token: ${created.error?.message}`);
		return created.data.token;
	}

	const run = (token: string, ...args: string[]) =>
		spawnSync(SCRIPT, args, {
			encoding: 'utf8',
			env: { PATH: process.env.PATH, ADMIN_URL: stack.server.origin, ADMIN_API_TOKEN: token }
		});
	const enabled = async (id: string) =>
		(
			(await stack.database.db
				.selectFrom('feature_flags' as never)
				.select('enabled' as never)
				.where('id' as never, '=', id as never)
				.executeTakeFirstOrThrow()) as { enabled: number }
		).enabled;

	it('turns a flag on and off, and the token reaches nothing else', async () => {
		const actor = { actorId: admin.id, ip: null, userAgent: null };
		const flag = await createFlag(stack.database.db, actor, 'curl-billing');
		const token = await newToken([
			'featureFlags.read',
			'featureFlags.action.enable',
			'featureFlags.action.disable'
		]);

		const on = run(token, 'curl-billing', 'on');
		expect(on.stderr).toBe('');
		expect(on.stdout).toBe('curl-billing: on\n');
		expect(await enabled(flag.id)).toBe(1);
		expect(run(token, 'curl-billing', 'off').status).toBe(0);
		expect(await enabled(flag.id)).toBe(0);

		const missing = run(token, 'no-such"flag', 'on');
		expect(missing.status).toBe(1);
		expect(missing.stderr).toBe('no flag no-such"flag\n');

		const users = await trpcQuery(stack.server.origin, 'users.list', {
			input: {},
			headers: { authorization: `Bearer ${token}` }
		});
		expect(users.status).toBe(403);
		expect(users.error?.message).toContain('users.read');
	});

	it('a token that may only read flags fails at the change, saying why', async () => {
		const actor = { actorId: admin.id, ip: null, userAgent: null };
		const flag = await createFlag(stack.database.db, actor, 'curl-read-only');
		const refused = run(await newToken(['featureFlags.read']), 'curl-read-only', 'on');
		expect(refused.status).not.toBe(0);
		expect(refused.stderr).toContain('FORBIDDEN');
		expect(refused.stderr).toContain('featureFlags.action.enable');
		expect(await enabled(flag.id)).toBe(0);
	});
});
