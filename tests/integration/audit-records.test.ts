// The audit log about rows that are not users: a `record.*` row names its resource and the row's
// title (one query per resource on a page, never one per row) and links to the row's page; a row
// deleted since keeps its resource but no title; the log filters by resource; users' own rows and
// their history read as before. And the filter's user lookup by exact name (users.find), which a
// search's first page could miss. Server-side callers on each dialect.
import { randomBytes } from 'node:crypto';
import type { KyselyPlugin } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { roleCan } from '$lib/permissions';
import type { AnyResource } from '$lib/server/resources/define';
import { resources } from '$lib/server/resources/registry';
import { dialects } from '../../tools/databases';
import { seedUser, type SeededUser } from '../../tools/sign-in';
import { errorOf, useApiHarness, type Caller } from '../helpers/api-harness';

const featureFlags = resources.featureFlags as unknown as AnyResource;

/** Counts the statements that name `table` (built or raw), passing everything through. */
function countingReads(table: string): { plugin: KyselyPlugin; count: () => number } {
	let reads = 0;
	const plugin: KyselyPlugin = {
		transformQuery({ node }) {
			if (JSON.stringify(node).includes(`"name":"${table}"`)) {
				reads += 1;
			}
			return node;
		},
		transformResult: async ({ result }) => result
	};
	return { plugin, count: () => reads };
}

describe.each(dialects)('audit log rows about resource rows on %s', (dialect) => {
	const api = useApiHarness(dialect);
	let adminUser: SeededUser;
	let admin: Caller;
	let token: string;
	const tag = () => `a${randomBytes(4).toString('hex')}`;

	beforeAll(async () => {
		adminUser = await seedUser(api.db, { role: 'admin' });
		token = await api.signIn(adminUser);
		admin = await api.callerFor(token);
	});

	it("names the resource and the row's title, links to the row's page; a deleted row keeps its resource, without a title", async () => {
		const kept = await admin.resources.featureFlags.create({ key: tag() });
		const gone = await admin.resources.featureFlags.create({ key: tag() });
		await admin.resources.featureFlags.delete({ id: gone.id, version: gone.version });
		const { entries } = await admin.audit.list({ resource: 'featureFlags', pageSize: 10 });

		const keptEntry = entries.find((entry) => entry.subjectId === kept.id)!;
		expect(keptEntry).toMatchObject({
			event: 'record.created',
			actor: adminUser.username,
			subject: kept.key,
			subjectResource: {
				name: 'featureFlags',
				labelOne: featureFlags.labelOne,
				href: `/resources/${featureFlags.path}`
			}
		});
		const goneEntries = entries.filter((entry) => entry.subjectId === gone.id);
		expect(goneEntries.map((entry) => entry.event).sort()).toEqual([
			'record.created',
			'record.deleted'
		]);
		for (const entry of goneEntries) {
			expect(entry.subject).toBeNull();
			expect(entry.subjectResource?.name).toBe('featureFlags');
		}
	});

	it("reads the titles of a page's rows with one query per resource, however many rows", async () => {
		for (let i = 0; i < 12; i++) await admin.resources.featureFlags.create({ key: tag() });
		const reads = countingReads(featureFlags.table);
		const caller = await api.callerFor(token, { db: api.db.withPlugin(reads.plugin) });
		const { entries } = await caller.audit.list({ resource: 'featureFlags', pageSize: 50 });
		expect(entries.length).toBeGreaterThanOrEqual(12);
		expect(entries.every((entry) => entry.subjectResource !== null)).toBe(true);
		expect(reads.count()).toBe(1);
	});

	it('filters by resource: only rows about its rows; an unknown resource is a 400 naming the field', async () => {
		const member = await seedUser(api.db);
		await admin.users.setRole({ id: member.id, role: 'admin' });
		const { entries } = await admin.audit.list({ resource: 'featureFlags', pageSize: 100 });
		expect(entries.length).toBeGreaterThan(0);
		expect(new Set(entries.map((entry) => entry.subjectResource?.name))).toEqual(
			new Set(['featureFlags'])
		);
		const everything = await admin.audit.list({ pageSize: 100 });
		expect(everything.entries.some((entry) => entry.subjectId === member.id)).toBe(true);

		const error = await errorOf(admin.audit.list({ resource: 'noSuchResource' }));
		expect(error.code).toBe('BAD_REQUEST');
		expect(error.cause).toMatchObject({ fields: { resource: 'Unknown resource' } });
	});

	it('rows about users still name and link the user; their history still lists what they did to records', async () => {
		const member = await seedUser(api.db);
		await admin.users.setRole({ id: member.id, role: 'admin' });
		const { entries } = await admin.audit.list({ userId: member.id, pageSize: 10 });
		expect(entries[0]).toMatchObject({
			event: 'user.role_changed',
			subject: member.username,
			subjectId: member.id,
			subjectResource: null
		});
		const flag = await admin.resources.featureFlags.create({ key: tag() });
		const history = await admin.users.history({ id: adminUser.id });
		expect(history.entries.find((entry) => entry.subjectId === flag.id)).toMatchObject({
			event: 'record.created',
			subject: flag.key
		});
	});

	it("a member's own history keeps the titles of rows only of resources the role may read", async () => {
		const memberUser = await seedUser(api.db);
		const flag = await admin.resources.featureFlags.create({ key: tag(), owner: memberUser.id });
		// A row the member acted on: written as the member would have, with a grant since lost.
		await api.db
			.insertInto('audit_log')
			.values({
				id: `m${randomBytes(8).toString('hex')}`,
				event: 'record.updated',
				actor_id: memberUser.id,
				subject_id: flag.id,
				subject_type: 'featureFlags',
				created_at: Date.now()
			})
			.execute();
		const memberToken = await api.signIn(memberUser);
		const own = (
			await (await api.callerFor(memberToken)).users.history({ id: memberUser.id })
		).entries.find((entry) => entry.subjectId === flag.id);
		// member holds featureFlags.read in ROLE_GRANTS: the title shows; an undefined role's would not.
		expect(own?.subject).toBe(roleCan('member', 'featureFlags.read') ? flag.key : null);
		await api.db
			.updateTable('users')
			.set({ role: 'no-such-role' as never })
			.where('id', '=', memberUser.id)
			.execute();
		const stripped = (
			await (await api.callerFor(memberToken)).users.history({ id: memberUser.id })
		).entries.find((entry) => entry.subjectId === flag.id);
		expect(stripped).toMatchObject({ subject: null, subjectResource: { name: 'featureFlags' } });
	});

	it('users.find names the user whose username or email is exactly the one typed, among many longer ones', async () => {
		const base = `ann${randomBytes(3).toString('hex')}`;
		// Longer names that contain it, created first and sorting before it: a 10-row search misses it.
		for (let i = 0; i < 12; i++) await seedUser(api.db, { username: `a${i}${base}` });
		const exact = await seedUser(api.db, { username: base });
		expect(await admin.users.find({ name: base.toUpperCase() })).toEqual({
			id: exact.id,
			username: base
		});
		expect(await admin.users.find({ name: exact.email! })).toMatchObject({ id: exact.id });
		expect(await admin.users.find({ name: `${base}-` })).toBeNull();
	});
});
