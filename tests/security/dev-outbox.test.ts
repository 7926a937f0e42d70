// The dev outbox shows every code the app "sent" to anyone who asks: it belongs to the dev
// server. A production build started without NODE_ENV and without SMTP_URL (a common mistake:
// `node build` straight from a shell) keeps its mail in the outbox table, but must never serve
// it, nor print a code on its console.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppServer, type AppServer } from '../../tools/app-server';
import { createMigratedDatabase, dialects, type TestDatabase } from '../../tools/databases';
import { seedUser, trpcMutation, trpcQuery, type SeededUser } from '../../tools/sign-in';

describe.each(dialects)('the dev outbox in a production build on %s', (dialect) => {
	let database: TestDatabase;
	let server: AppServer;
	let user: SeededUser;
	let code: string;

	beforeAll(async () => {
		database = await createMigratedDatabase(dialect);
		// No NODE_ENV (config reads an empty one as unset: development) and the outbox transport.
		server = await startAppServer({
			DATABASE_URL: database.url,
			NODE_ENV: '',
			MAIL_TRANSPORT: ''
		});
		user = await seedUser(database.db);
		const login = await trpcMutation(server.origin, 'auth.login', {
			input: { username: user.username, password: user.password, tokenType: 'bearer' }
		});
		expect(login.status).toBe(200);
		const mail = await database.db
			.selectFrom('mail_outbox')
			.select('text_body')
			.where('recipient', '=', user.email!)
			.executeTakeFirstOrThrow();
		code = /^\s*(\d{6,10})\s*$/m.exec(mail.text_body)![1]!;
	});
	afterAll(async () => {
		await server?.stop();
		await database?.drop();
	});

	it('GET /dev/outbox on a build with no NODE_ENV and no SMTP_URL [404; no code in the page]', async () => {
		const response = await fetch(`${server.origin}/dev/outbox`);
		expect(response.status).toBe(404);
		expect(await response.text()).not.toContain(code);
	});

	it('dev.outbox over tRPC on the same build [404 NOT_FOUND; no code in the answer]', async () => {
		const reply = await trpcQuery(server.origin, 'dev.outbox');
		expect(reply.status).toBe(404);
		expect(reply.error?.code).toBe('NOT_FOUND');
		expect(reply.body).not.toContain(code);
	});

	it('the code mail kept in the outbox by that build [the console shows the notice line without the code]', () => {
		expect(server.output()).toContain(`[mail] outbox: to ${user.email}`);
		expect(server.output()).not.toContain(code);
	});
});
