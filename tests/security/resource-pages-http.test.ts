// The resource pages' form actions (the page contract: `/resources/<path>/new?/create`,
// `/<id>?/update`, `/<id>?/action`, `/<id>/delete?/delete`, `?/bulk`) against the production
// build, for every registered resource with fields built from its definition: a cross-site POST
// with the admin's cookie is refused before anything runs, nobody signed in is sent to sign in,
// a role without the permission is refused, unknown action names are a 404; the resource's table
// is unchanged every time. An admin's same-origin POST of the same fields does change it (so the
// fields are ones the action would take).
import { beforeAll, describe, expect, it } from 'vitest';
import { roleCan } from '$lib/permissions';
import type { AnyResource } from '$lib/server/resources/define';
import { useAppStack } from '../helpers/app-stack';
import { snapshotDatabase } from '../helpers/database-contents';
import { postForm, SIMPLE_FORM_BODIES } from '../helpers/form-post';
import { signInOverHttp } from '../helpers/http-sign-in';
import {
	registeredResources,
	seedResourceRows,
	validValues,
	type CallTargets
} from '../helpers/resource-calls';
import { dialects } from '../../tools/databases';
import { seedUser, type CookieJar, type SeededUser } from '../../tools/sign-in';

const EVIL = 'https://evil.example';

interface PagePost {
	/** What it is, for titles: `featureFlags ?/update`. */
	label: string;
	resource: AnyResource;
	/** The permission the action needs; null when it depends on a field the post sets. */
	permission: string;
	/** The address, `?/action` included, and the fields, for the rows of `targets`. */
	path(targets: CallTargets): string;
	fields(targets: CallTargets): Record<string, string>;
}

/** A value as a form field carries it (the contract's form-input rules read it back). */
function formValue(value: unknown): string {
	if (value instanceof Date) return value.toISOString().slice(0, 16);
	return String(value);
}

function formFields(values: Record<string, unknown>): Record<string, string> {
	const fields: Record<string, string> = {};
	for (const [key, value] of Object.entries(values)) {
		// A checkbox is present when ticked, absent when not.
		if (value === false) continue;
		fields[key] = value === true ? 'on' : formValue(value);
	}
	return fields;
}

/** Every POST of the page contract, per registered resource. */
const POSTS: PagePost[] = registeredResources.flatMap((resource) => {
	const base = `/resources/${resource.path}`;
	const row = (t: CallTargets) => t.rows[resource.name]!;
	const posts: PagePost[] = [
		{
			label: `${resource.name} new?/create`,
			resource,
			permission: resource.permission('create'),
			path: () => `${base}/new?/create`,
			fields: (t) => formFields(validValues(resource, t))
		},
		{
			label: `${resource.name} [id]?/update`,
			resource,
			permission: resource.permission('update'),
			path: (t) => `${base}/${row(t).id}?/update`,
			fields: (t) => ({
				version: String(row(t).version),
				...formFields(validValues(resource, t))
			})
		},
		{
			label: `${resource.name} [id]/delete?/delete`,
			resource,
			permission: resource.permission('delete'),
			path: (t) => `${base}/${row(t).id}/delete?/delete`,
			fields: (t) => ({ version: String(row(t).version) })
		},
		{
			label: `${resource.name} ?/bulk delete`,
			resource,
			permission: resource.permission('delete'),
			path: () => `${base}?/bulk`,
			fields: (t) => ({ action: 'delete', row: `${row(t).id}:${row(t).version}`, confirm: 'yes' })
		}
	];
	for (const name of Object.keys(resource.actions)) {
		posts.push({
			label: `${resource.name} [id]?/action ${name}`,
			resource,
			permission: resource.permission(`action.${name}`),
			path: (t) => `${base}/${row(t).id}?/action`,
			fields: (t) => ({ action: name, version: String(row(t).version) })
		});
	}
	return posts;
});
const cases = POSTS.map((post) => [post.label, post] as const);

describe.each(dialects)('resource page actions on %s', (dialect) => {
	const stack = useAppStack(dialect);
	let admin: SeededUser;
	let adminJar: CookieJar;
	/** A role without some of the permissions (member: read only), by cookie. */
	let memberJar: CookieJar;

	beforeAll(async () => {
		admin = await seedUser(stack.database.db, { role: 'admin' });
		const member = await seedUser(stack.database.db, { role: 'member' });
		const sign = (user: SeededUser) =>
			signInOverHttp(stack.server.origin, stack.sink, user, { transport: 'cookie' });
		adminJar = (await sign(admin)).jar;
		memberJar = (await sign(member)).jar;
	});

	/** The resource's table: what a refused post must leave alone. */
	const tableOf = (post: PagePost) =>
		snapshotDatabase(stack.database.db, { tables: [post.resource.table] });

	/** Fresh rows, the post's address and fields for them, and the table before it is sent. */
	async function prepare(post: PagePost) {
		const targets = await seedResourceRows(stack.database.db, admin.id);
		return { path: post.path(targets), fields: post.fields(targets), before: await tableOf(post) };
	}

	it('every registered resource has its contract posts [create, update, delete, bulk, actions]', () => {
		for (const resource of registeredResources) {
			const own = POSTS.filter((post) => post.resource === resource);
			expect(own.length).toBe(4 + Object.keys(resource.actions).length);
		}
	});

	it.each(cases)(
		"cross-site POST of %s with the admin's cookie, as a form, multipart and text/plain [403; table unchanged]",
		async (_label, post) => {
			for (const [type, encode] of Object.entries(SIMPLE_FORM_BODIES)) {
				const { path, fields, before } = await prepare(post);
				const response = await fetch(stack.server.origin + path, {
					method: 'POST',
					redirect: 'manual',
					headers: { 'content-type': type, origin: EVIL, cookie: adminJar.header()! },
					body: new TextEncoder().encode(encode(fields))
				});
				expect(response.status, type).toBe(403);
				expect(response.headers.getSetCookie()).toEqual([]);
				expect(await tableOf(post), type).toBe(before);
			}
		}
	);

	it.each(cases)(
		'POST of %s by nobody signed in [303 to /login; table unchanged]',
		async (_label, post) => {
			const { path, fields, before } = await prepare(post);
			const response = await postForm(stack.server.origin, path, fields);
			expect(response.status).toBe(303);
			expect(response.headers.get('location')).toMatch(/^\/login(\?|$)/);
			expect(await tableOf(post)).toBe(before);
		}
	);

	it.each(cases)(
		'POST of %s by a member, whose role lacks the permission [403; table unchanged]',
		async (_label, post) => {
			if (roleCan('member', post.permission)) {
				// Nothing to refuse: the grants let members do this.
				expect(roleCan('member', post.permission)).toBe(true);
				return;
			}
			const { path, fields, before } = await prepare(post);
			const response = await postForm(stack.server.origin, path, fields, { jar: memberJar });
			expect(response.status).toBe(403);
			expect(await tableOf(post)).toBe(before);
		}
	);

	it.each(cases)(
		'POST of %s by the admin, same origin [the action takes these fields: the table changes]',
		async (_label, post) => {
			const { path, fields, before } = await prepare(post);
			const response = await postForm(stack.server.origin, path, fields, { jar: adminJar });
			expect(response.status, await response.text()).toBeLessThan(500);
			expect(await tableOf(post)).not.toBe(before);
		}
	);

	it.each(registeredResources.map((resource) => [resource.name, resource] as const))(
		'POST ?/constructor, ?/__proto__, ?/default and ?/nope to %s pages as the admin [404; nothing logged]',
		async (_name, resource) => {
			const targets = await seedResourceRows(stack.database.db, admin.id);
			const id = targets.rows[resource.name]!.id;
			const logged = stack.server.output().length;
			const base = `/resources/${resource.path}`;
			for (const page of [base, `${base}/new`, `${base}/${id}`, `${base}/${id}/delete`]) {
				for (const name of ['constructor', '__proto__', 'default', 'nope']) {
					const response = await postForm(
						stack.server.origin,
						`${page}?/${name}`,
						{},
						{
							jar: adminJar
						}
					);
					expect(response.status, `${page}?/${name}`).toBe(404);
				}
			}
			expect(stack.server.output().slice(logged)).toBe('');
		}
	);
});
