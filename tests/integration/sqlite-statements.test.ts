// How the app's statements reach SQLite: a LIMIT is written into the SQL, so a page statement is
// prepared once and then reused (src/lib/server/db/sqlite-dialect.ts says why). Whether SQLite
// prepared a statement again is seen where better-sqlite3 reacts to it: it builds a new row
// constructor with `Function` each time, and only then.
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '$lib/server/db/create-db';
import type { Database } from '$lib/server/db/schema';

/** Runs `run` and counts the row constructors better-sqlite3 made meanwhile. */
async function rowConstructorsMadeBy(run: () => Promise<unknown>): Promise<number> {
	const real = globalThis.Function;
	let made = 0;
	globalThis.Function = new Proxy(real, {
		apply(target, self, args: string[]) {
			made++;
			return Reflect.apply(target, self, args);
		}
	});
	try {
		await run();
	} finally {
		globalThis.Function = real;
	}
	return made;
}

describe('statements on SQLite', () => {
	let db: Kysely<Database>;

	beforeAll(async () => {
		db = createDb('file::memory:').db;
		await sql`create table items (id integer primary key, name text not null)`.execute(db);
		await sql`create index items_name on items (name, id)`.execute(db);
		for (let id = 1; id <= 300; id++) {
			await sql`insert into items (id, name) values (${id}, ${`item ${id}`})`.execute(db);
		}
	});
	afterAll(() => db?.destroy());

	const items = () =>
		(db as unknown as Kysely<{ items: { id: number; name: string } }>).selectFrom('items');

	it('write an integer LIMIT into the SQL and bind the OFFSET', () => {
		const page = items().select(['id', 'name']).orderBy('name').limit(100).offset(200).compile();
		expect(page.sql).toMatch(/ limit 100 offset \?$/);
		expect(page.parameters).toEqual([200]);
	});

	it('bind a LIMIT that is not a whole number, as Kysely does', () => {
		const page = items().select('id').limit(2.5).compile();
		expect(page.sql).toMatch(/ limit \?$/);
		expect(page.parameters).toEqual([2.5]);
	});

	it('run a page statement without preparing it again, page after page', async () => {
		const page = (offset: number) =>
			items().select(['id', 'name']).orderBy('name').orderBy('id').limit(100).offset(offset);
		await page(0).execute(); // prepared (and cached) here
		const made = await rowConstructorsMadeBy(async () => {
			for (const offset of [0, 100, 200, 0, 100, 200]) {
				expect(await page(offset).execute()).toHaveLength(100);
			}
		});
		expect(made).toBe(0);
	});

	it('(the probe sees it when SQLite does prepare again: a bound LIMIT, once per run)', async () => {
		const bound = (limit: number) =>
			sql`select id, name from items order by name, id limit ${limit}`.execute(db);
		await bound(100);
		expect(
			await rowConstructorsMadeBy(async () => {
				for (let run = 0; run < 3; run++) await bound(100);
			})
		).toBe(3);
	});
});

describe('statements on MySQL', () => {
	it('keep the LIMIT a parameter (mysql2 sends the values with the text; no plan is cached)', async () => {
		// No connection is made: the pool opens with the first statement.
		const { db } = createDb('mysql://root@127.0.0.1:1/none');
		const page = db.selectFrom('users').select('id').limit(100).offset(200).compile();
		expect(page.sql).toMatch(/ limit \? offset \?$/);
		expect(page.parameters).toEqual([100, 200]);
		await db.destroy();
	});
});
