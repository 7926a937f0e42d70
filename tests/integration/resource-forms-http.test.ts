// The generic resource forms posted the way a browser without JavaScript posts them, against the
// production build, on both dialects: create (with field errors from zod and from the service),
// update, a stale update (409 with the current values beside the kept input), single-row actions,
// the reference search, and delete (stale first, then for real).
import { beforeAll, describe, expect, it } from 'vitest';
import featureFlags from '$lib/server/resources/feature-flags';
import { resources } from '$lib/server/resources/registry';
import { updateRow } from '$lib/server/resources/write';
import type { Actor } from '$lib/server/services/actor';
import { useAppStack } from '../helpers/app-stack';
import { createFlag } from '../helpers/feature-flags';
import { postForm } from '../helpers/form-post';
import { signInOverHttp } from '../helpers/http-sign-in';
import { dialects } from '../../tools/databases';
import { testDeps } from '../../tools/service-deps';
import { seedUser, type CookieJar, type SeededUser } from '../../tools/sign-in';

const BASE = '/resources/feature-flags';

describe.each(dialects)('resource form posts without JavaScript on %s', (dialect) => {
	const stack = useAppStack(dialect);
	let jar: CookieJar;
	let admin: SeededUser;
	/** Someone else, changing rows behind the form's back (through the service). */
	let other: Actor;

	beforeAll(async () => {
		admin = await seedUser(stack.database.db, { role: 'admin' });
		other = { actorId: (await seedUser(stack.database.db)).id, ip: null, userAgent: null };
		jar = (await signInOverHttp(stack.server.origin, stack.sink, admin, { transport: 'cookie' }))
			.jar;
	});

	const post = (path: string, fields: Record<string, string>) =>
		postForm(stack.server.origin, path, fields, { jar });
	const seed = (key: string) => createFlag(stack.database.db, other, key);
	const stored = (id: string) =>
		stack.database.db
			.selectFrom('feature_flags' as never)
			.selectAll()
			.where('id' as never, '=', id as never)
			.executeTakeFirst() as Promise<Record<string, unknown> | undefined>;

	const complete = {
		key: 'http-create',
		enabled: 'on',
		rollout: '12.5',
		environment: 'staging',
		owner: '',
		minBuild: '',
		description: '',
		reviewBy: '2027-01-31',
		expiresAt: '2027-02-01T13:45'
	};

	it('the create form marks required fields and only those', async () => {
		const page = await fetch(`${stack.server.origin}${BASE}/new`, {
			headers: { cookie: jar.header()! }
		});
		const html = await page.text();
		const mark = /<label[^>]*>([^<>]+)(?:<!--[^>]*-->)?<span[^>]*aria-hidden="true">\s*\*<\/span>/g;
		const marked = [...html.matchAll(mark)].map((match) => match[1]);
		// Every field that may not be empty, defaults or not (a default can be cleared); a checkbox
		// is never empty.
		expect(marked).toEqual(['Key', 'Rollout', 'Environment']);
	});

	it('create: a 303 to the new row, with every field read by the form rules', async () => {
		const response = await post(`${BASE}/new?/create`, { ...complete, owner: admin.id });
		expect(response.status).toBe(303);
		const location = response.headers.get('location')!;
		expect(location).toMatch(/^\/resources\/feature-flags\/[a-z2-7]+\?created$/);
		const row = await stored(location.split('/')[3]!.split('?')[0]!);
		expect(row).toMatchObject({
			key: 'http-create',
			enabled: 1,
			environment: 'staging',
			owner_id: admin.id,
			review_by: '2027-01-31',
			min_build: null,
			description: null
		});
		expect(Number(row!.rollout)).toBe(125);
		expect(Number(row!.expires_at)).toBe(Date.parse('2027-02-01T13:45:00Z'));
	});

	it('create: zod’s and the service’s field errors show under their fields, input kept', async () => {
		await seed('http-taken');
		const response = await post(`${BASE}/new?/create`, {
			...complete,
			key: 'http-taken',
			rollout: '1,5',
			description: 'kept paragraph'
		});
		expect(response.status).toBe(400);
		const html = await response.text();
		// zod said the rollout is no number; the unique key was never checked (nothing written).
		expect(html).toContain('A number with at most 1 decimal places');
		expect(html).toMatch(/id="rollout-error"[^>]*>A number with at most 1 decimal places/);
		expect(html).toMatch(/value="1,5"/);
		expect(html).toMatch(/<textarea[^>]*name="description"[^>]*>kept paragraph<\/textarea>/);

		const taken = await post(`${BASE}/new?/create`, { ...complete, key: 'http-taken' });
		expect(taken.status).toBe(400);
		expect(await taken.text()).toMatch(/id="key-error"[^>]*>Another feature flag has this key/);
	});

	it('update: saves with the version, and a stale version answers 409 with both values', async () => {
		const row = await seed('http-update');
		const saved = await post(`${BASE}/${row.id}?/update`, {
			...complete,
			key: 'http-update',
			version: '1',
			rollout: '30.0'
		});
		expect(saved.status).toBe(200);
		expect(await saved.text()).toContain('Saved');
		expect(Number((await stored(row.id))!.version)).toBe(2);

		// zod sees an update's fields under `values.`; the page shows the error under the field.
		const invalid = await post(`${BASE}/${row.id}?/update`, {
			...complete,
			key: 'http-update',
			version: '2',
			rollout: 'lots'
		});
		expect(invalid.status).toBe(400);
		expect(await invalid.text()).toMatch(
			/id="rollout-error"[^>]*>A number with at most 1 decimal places/
		);

		// Someone else changes it (version 3); our form still says 2.
		await updateRow(
			testDeps(stack.database.db),
			featureFlags,
			resources,
			other,
			{ id: row.id, version: 2 },
			{ rollout: '5.0' }
		);
		const stale = await post(`${BASE}/${row.id}?/update`, {
			...complete,
			key: 'http-update',
			version: '2',
			rollout: '77.0'
		});
		expect(stale.status).toBe(409);
		const html = await stale.text();
		expect(html).toContain('Someone changed this row since you opened it');
		expect(html).toMatch(/name="rollout"[^>]*value="77.0"|value="77.0"[^>]*name="rollout"/);
		expect(html).toMatch(/Saved meanwhile: <span[^>]*>5.0</);
		// The form now carries the version whose values it showed: saving again goes through.
		expect(html).toMatch(/name="version" value="3"/);
		expect(Number((await stored(row.id))!.rollout)).toBe(50);

		const again = await post(`${BASE}/${row.id}?/update`, {
			...complete,
			key: 'http-update',
			version: '3',
			rollout: '77.0'
		});
		expect(again.status).toBe(200);
		expect(Number((await stored(row.id))!.rollout)).toBe(770);
	});

	it('action: runs a row action at its version', async () => {
		const row = await seed('http-action');
		const response = await post(`${BASE}/${row.id}?/action`, { action: 'enable', version: '1' });
		expect(response.status).toBe(200);
		expect(Number((await stored(row.id))!.enabled)).toBe(1);
		const stale = await post(`${BASE}/${row.id}?/action`, { action: 'disable', version: '1' });
		expect(stale.status).toBe(409);
	});

	it('choices: "Find" sends the form back with the reference select narrowed', async () => {
		const other = await seedUser(stack.database.db, { username: 'zebra-keeper' });
		const response = await post(`${BASE}/new?/choices`, {
			...complete,
			key: 'kept-while-searching',
			'owner.search': 'zebra'
		});
		expect(response.status).toBe(200);
		const html = await response.text();
		expect(html).toContain(`<option value="${other.id}">zebra-keeper</option>`);
		expect(html).not.toContain(`<option value="${admin.id}">`);
		expect(html).toContain('value="kept-while-searching"');
	});

	it('options.json: up to 20 matches for the combobox; a bad field is 400, a member 403', async () => {
		const other = await seedUser(stack.database.db, { username: 'quokka-keeper' });
		const get = (query: string, cookie = jar.header()!) =>
			fetch(`${stack.server.origin}${BASE}/options.json?${query}`, { headers: { cookie } });
		const found = await get('field=owner&search=quokka');
		expect(found.status).toBe(200);
		expect(found.headers.get('cache-control')).toContain('no-store');
		expect(await found.json()).toEqual([{ id: other.id, title: 'quokka-keeper' }]);

		expect((await get('field=owner')).status).toBe(200);
		expect(((await (await get('field=owner')).json()) as unknown[]).length).toBeLessThanOrEqual(20);
		expect((await get('field=key&search=a')).status).toBe(400);

		// A member may read flags but neither create nor change them: no choices to pick from.
		const member = await seedUser(stack.database.db, { role: 'member' });
		const memberJar = (
			await signInOverHttp(stack.server.origin, stack.sink, member, { transport: 'cookie' })
		).jar;
		expect((await get('field=owner&search=quokka', memberJar.header()!)).status).toBe(403);
	});

	it('delete: a stale version is refused, the current one deletes and goes to the list', async () => {
		const row = await seed('http-delete');
		const page = await fetch(`${stack.server.origin}${BASE}/${row.id}/delete`, {
			headers: { cookie: jar.header()! }
		});
		expect(page.status).toBe(200);
		expect(await page.text()).toContain('Nothing else refers to it');

		const stale = await post(`${BASE}/${row.id}/delete?/delete`, { version: '7' });
		expect(stale.status).toBe(409);
		expect(await stored(row.id)).toBeDefined();

		const done = await post(`${BASE}/${row.id}/delete?/delete`, { version: '1' });
		expect(done.status).toBe(303);
		expect(done.headers.get('location')).toBe(BASE);
		expect(await stored(row.id)).toBeUndefined();
	});
});
