// The example resource's derived API (resources.featureFlags.*) through server-side callers on
// each dialect: every procedure, the stale-edit rule, permissions by role, step-up, references,
// the audit trail with old and new values, and input the data refuses.
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../../tools/databases';
import { seedUser, type SeededUser } from '../../tools/sign-in';
import { advanceClock, errorOf, useApiHarness, type Caller } from '../helpers/api-harness';

const NO_SUCH_ID = 'a'.repeat(24);

describe.each(dialects)('resources.featureFlags on %s', (dialect) => {
	const api = useApiHarness(dialect);
	let admin: Caller;
	let adminUser: SeededUser;
	let member: Caller;
	const tag = () => `f${randomBytes(4).toString('hex')}`;

	beforeAll(async () => {
		adminUser = await seedUser(api.db, { role: 'admin' });
		admin = await api.callerFor(await api.signIn(adminUser));
		member = await api.callerFor(await api.signIn(await seedUser(api.db, { role: 'member' })));
	});

	it('describes the catalog once per role and shares it, frozen', async () => {
		const [first, again, members] = [
			await admin.resourceCatalog(),
			await admin.resourceCatalog(),
			await member.resourceCatalog()
		];
		expect(again, 'the same answer, not described again').toBe(first);
		expect(Object.isFrozen(first) && Object.isFrozen(first[0]!.fields[0])).toBe(true);
		expect(members, "a member's catalog is their own").not.toBe(first);
		expect(members.find((entry) => entry.name === 'featureFlags')?.can.update).toBe(false);
		expect(first.find((entry) => entry.name === 'featureFlags')?.can.update).toBe(true);
	});

	it('creates with defaults, reads back every field kind and fills the owner title', async () => {
		const key = tag();
		const created = await admin.resources.featureFlags.create({
			key,
			owner: adminUser.id,
			minBuild: 120,
			rollout: '12.5',
			reviewBy: '2027-01-31',
			expiresAt: new Date('2027-02-01T10:00:00Z'),
			description: 'line one\r\nline two'
		});
		expect(created).toMatchObject({
			key,
			enabled: false,
			rollout: '12.5',
			environment: 'dev',
			owner: { id: adminUser.id, title: adminUser.username },
			minBuild: 120,
			description: 'line one\nline two',
			reviewBy: '2027-01-31',
			evaluations: 0,
			status: 'off',
			version: 1
		});
		expect(created.expiresAt).toEqual(new Date('2027-02-01T10:00:00Z'));
		expect(await admin.resources.featureFlags.get({ id: created.id })).toEqual(created);
	});

	it('lists with search (wildcards literal), filters, sort and a total; a page past the end is an error', async () => {
		const prefix = tag();
		for (const [suffix, environment, enabled] of [
			['a', 'dev', true],
			['b', 'staging', false],
			['c_d', 'production', true]
		] as const) {
			await admin.resources.featureFlags.create({
				key: `${prefix}-${suffix}`,
				environment,
				enabled
			});
		}
		const all = await admin.resources.featureFlags.list({ search: prefix, sort: 'key' });
		expect(all.rows.map((row) => row.key)).toEqual([`${prefix}-a`, `${prefix}-b`, `${prefix}-c_d`]);
		expect(all.total).toBe(3);
		const literal = await admin.resources.featureFlags.list({ search: `${prefix}-c_` });
		expect(literal.rows.map((row) => row.key)).toEqual([`${prefix}-c_d`]);
		expect((await admin.resources.featureFlags.list({ search: `${prefix} %` })).total).toBe(0);
		const on = await admin.resources.featureFlags.list({
			search: prefix,
			filter: { enabled: 'true' },
			sort: '-key'
		});
		expect(on.rows.map((row) => row.key)).toEqual([`${prefix}-c_d`, `${prefix}-a`]);
		const staging = await admin.resources.featureFlags.list({
			search: prefix,
			filter: { environment: 'staging' }
		});
		expect(staging.rows.map((row) => row.key)).toEqual([`${prefix}-b`]);
		const past = await errorOf(
			admin.resources.featureFlags.list({ search: prefix, page: 2, pageSize: 10 })
		);
		expect(past.code).toBe('BAD_REQUEST');
		expect(past.cause).toMatchObject({ fields: { page: 'There are 1 pages' } });
	});

	it('refuses unknown sorts, filters and fields, out-of-range values and missing references, writing nothing', async () => {
		const before = await admin.resources.featureFlags.list({});
		for (const input of [
			{ sort: 'description' },
			{ filter: { key: 'x' } },
			{ filter: { environment: 'moon' } },
			{ pageSize: 1000 },
			{ extra: 1 }
		]) {
			expect((await errorOf(admin.resources.featureFlags.list(input as never))).code).toBe(
				'BAD_REQUEST'
			);
		}
		for (const input of [
			{ key: tag(), rollout: '100.1' },
			{ key: tag(), rollout: '1.25' },
			{ key: 'x'.repeat(65) },
			{ key: tag(), environment: 'moon' },
			{ key: tag(), unknown: true },
			{ key: tag(), evaluations: 5 },
			{ key: tag(), status: 'on' },
			{ key: tag(), reviewBy: '2027-02-30' },
			{ key: 'line\nbreak' }
		]) {
			expect((await errorOf(admin.resources.featureFlags.create(input as never))).code).toBe(
				'BAD_REQUEST'
			);
		}
		const missing = await errorOf(
			admin.resources.featureFlags.create({ key: tag(), owner: NO_SUCH_ID })
		);
		expect(missing.cause).toMatchObject({ fields: { owner: 'No such user' } });
		const key = tag();
		await admin.resources.featureFlags.create({ key });
		const taken = await errorOf(admin.resources.featureFlags.create({ key }));
		expect(taken.code).toBe('BAD_REQUEST');
		expect(taken.cause).toMatchObject({
			fields: { key: expect.stringContaining('Another feature flag') }
		});
		expect((await admin.resources.featureFlags.list({})).total).toBe(before.total + 1);
	});

	it('updates only at the version read: a stale edit is CONFLICT with the current row and changes nothing', async () => {
		const flag = await admin.resources.featureFlags.create({ key: tag() });
		const first = await admin.resources.featureFlags.update({
			id: flag.id,
			version: 1,
			values: { enabled: true, rollout: '50' }
		});
		expect(first).toMatchObject({ version: 2, enabled: true, rollout: '50.0' });
		const stale = await errorOf(
			admin.resources.featureFlags.update({ id: flag.id, version: 1, values: { rollout: '10' } })
		);
		expect(stale.code).toBe('CONFLICT');
		expect(stale.cause).toMatchObject({ current: { version: 2, rollout: '50.0' } });
		expect(await admin.resources.featureFlags.get({ id: flag.id })).toMatchObject({
			version: 2,
			rollout: '50.0'
		});
		// The current row is the row as the API shows it: references carry their titles.
		const owned = await admin.resources.featureFlags.create({ key: tag(), owner: adminUser.id });
		await admin.resources.featureFlags.update({
			id: owned.id,
			version: 1,
			values: { rollout: '1' }
		});
		const staleOwned = await errorOf(
			admin.resources.featureFlags.update({ id: owned.id, version: 1, values: { rollout: '2' } })
		);
		expect(staleOwned.cause).toMatchObject({
			current: { version: 2, owner: { id: adminUser.id, title: adminUser.username } }
		});
		const gone = await errorOf(
			admin.resources.featureFlags.update({ id: NO_SUCH_ID, version: 1, values: {} })
		);
		expect(gone.code).toBe('CONFLICT');
	});

	it('two concurrent edits at the same version: exactly one wins', async () => {
		const flag = await admin.resources.featureFlags.create({ key: tag() });
		const results = await Promise.allSettled([
			admin.resources.featureFlags.update({ id: flag.id, version: 1, values: { rollout: '10' } }),
			admin.resources.featureFlags.update({ id: flag.id, version: 1, values: { rollout: '20' } })
		]);
		expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
		expect((await admin.resources.featureFlags.get({ id: flag.id })).version).toBe(2);
	});

	it('records create, changed fields only (old and new) and delete in the history', async () => {
		const flag = await admin.resources.featureFlags.create({ key: tag(), rollout: '5' });
		await admin.resources.featureFlags.update({
			id: flag.id,
			version: 1,
			values: { rollout: '7.5', key: flag.key }
		});
		const history = await admin.resources.featureFlags.history({ id: flag.id });
		expect(history.entries.map((entry) => entry.event)).toEqual([
			'record.updated',
			'record.created'
		]);
		expect(history.entries[0]).toMatchObject({
			actorId: adminUser.id,
			actor: adminUser.username,
			changes: { rollout: { from: '5.0', to: '7.5' } }
		});
		expect(Object.keys(history.entries[0]!.changes)).toEqual(['rollout']);
	});

	it('deletes at the version read (a fresh code: delete is listed under stepUp)', async () => {
		const flag = await admin.resources.featureFlags.create({ key: tag() });
		expect(
			(await errorOf(admin.resources.featureFlags.delete({ id: flag.id, version: 2 }))).code
		).toBe('CONFLICT');
		await admin.resources.featureFlags.delete({ id: flag.id, version: 1 });
		expect((await errorOf(admin.resources.featureFlags.get({ id: flag.id }))).code).toBe(
			'NOT_FOUND'
		);
		const history = await admin.resources.featureFlags.history({ id: flag.id });
		expect(history.entries[0]).toMatchObject({
			event: 'record.deleted',
			changes: { key: { from: flag.key, to: null } }
		});
	});

	it('asks for a fresh code before a delete once the step-up window has passed', async () => {
		const flag = await admin.resources.featureFlags.create({ key: tag() });
		advanceClock(60 * 60 * 1000);
		const refused = await errorOf(admin.resources.featureFlags.delete({ id: flag.id, version: 1 }));
		expect(refused.code).toBe('FORBIDDEN');
		expect(refused.message).toContain('fresh code');
	});

	it('runs bulk actions all or none, and bulk delete', async () => {
		const a = await admin.resources.featureFlags.create({ key: tag(), enabled: true });
		const b = await admin.resources.featureFlags.create({ key: tag(), enabled: true });
		const stale = await errorOf(
			admin.resources.featureFlags.bulk({
				action: 'disable',
				rows: [
					{ id: a.id, version: 1 },
					{ id: b.id, version: 9 }
				]
			})
		);
		expect(stale.code).toBe('CONFLICT');
		expect((await admin.resources.featureFlags.get({ id: a.id })).enabled).toBe(true);
		expect(
			await admin.resources.featureFlags.bulk({
				action: 'disable',
				rows: [
					{ id: a.id, version: 1 },
					{ id: b.id, version: 1 }
				]
			})
		).toEqual({ count: 2 });
		expect(await admin.resources.featureFlags.get({ id: b.id })).toMatchObject({
			enabled: false,
			version: 2
		});
		const history = await admin.resources.featureFlags.history({ id: a.id });
		expect(history.entries[0]).toMatchObject({
			event: 'record.action',
			action: 'disable',
			changes: { enabled: { from: true, to: false } }
		});
		await admin.resources.featureFlags.action({ action: 'enable', id: a.id, version: 2 });
		await admin.resources.featureFlags.bulk({
			action: 'delete',
			rows: [
				{ id: a.id, version: 3 },
				{ id: b.id, version: 2 }
			]
		});
		expect((await errorOf(admin.resources.featureFlags.get({ id: b.id }))).code).toBe('NOT_FOUND');
	});

	it('a member reads but changes nothing, and the refusal names the permission', async () => {
		const flag = await admin.resources.featureFlags.create({ key: tag() });
		expect((await member.resources.featureFlags.get({ id: flag.id })).key).toBe(flag.key);
		const refused = await errorOf(
			member.resources.featureFlags.update({ id: flag.id, version: 1, values: { enabled: true } })
		);
		expect(refused.code).toBe('FORBIDDEN');
		expect(refused.message).toContain('featureFlags.update');
		expect(
			(
				await errorOf(
					member.resources.featureFlags.bulk({
						action: 'disable',
						rows: [{ id: flag.id, version: 1 }]
					})
				)
			).message
		).toContain('featureFlags.action.disable');
		expect((await errorOf(member.resources.featureFlags.options({ field: 'owner' }))).code).toBe(
			'FORBIDDEN'
		);
		expect((await errorOf((await api.callerFor(null)).resources.featureFlags.list({}))).code).toBe(
			'UNAUTHORIZED'
		);
	});

	it('offers owners by search, at most 20, and deleting the owner leaves the flag without one', async () => {
		const owner = await seedUser(api.db, { role: 'member' });
		const options = await admin.resources.featureFlags.options({
			field: 'owner',
			search: owner.username
		});
		expect(options).toEqual([{ id: owner.id, title: owner.username }]);
		expect(
			(await admin.resources.featureFlags.options({ field: 'owner' })).length
		).toBeLessThanOrEqual(20);
		const flag = await admin.resources.featureFlags.create({ key: tag(), owner: owner.id });
		await admin.users.delete({ id: owner.id });
		expect((await admin.resources.featureFlags.get({ id: flag.id })).owner).toBeNull();
	});

	it('exports every matching row in list order, page by page', async () => {
		const prefix = tag();
		for (const suffix of ['b', 'a', 'c'])
			await admin.resources.featureFlags.create({ key: `${prefix}${suffix}` });
		const page = await admin.resources.featureFlags.exportPage({
			query: { search: prefix, sort: 'key' }
		});
		expect(page.rows.map((row) => row.key)).toEqual([`${prefix}a`, `${prefix}b`, `${prefix}c`]);
		expect(page.next).toBeNull();
	});
});
