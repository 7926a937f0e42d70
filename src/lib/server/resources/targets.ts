// What a reference field points at, as the generic code needs it: the table, the column that
// names a row (its title) and the columns a picker searches. Users are a target like any
// resource: the users table with the username as title.
import type { AnyResource } from './define';
import { columnOf } from './define';

export interface ReferenceTarget {
	/** `users` or the resource's name. */
	name: string;
	table: string;
	titleColumn: string;
	searchColumns: string[];
	/** The permission that lets a person see the target's rows, for links. */
	readPermission: string;
	/** Where a row's page is, for links: `${path}/${id}`. */
	path: string;
}

const USERS: ReferenceTarget = {
	name: 'users',
	table: 'users',
	titleColumn: 'username',
	searchColumns: ['username'],
	readPermission: 'admin',
	path: '/users'
};

export function referenceTarget(
	name: string,
	resources: Record<string, AnyResource>
): ReferenceTarget {
	if (name === 'users') return USERS;
	const resource = resources[name];
	if (!resource) throw new Error(`No resource ${name} to refer to`);
	return {
		name,
		table: resource.table,
		titleColumn: columnOf(resource, resource.title),
		searchColumns: resource.list.search.map((key) => columnOf(resource, key)),
		readPermission: resource.permission('read'),
		path: `/resources/${resource.path}`
	};
}
