// A server loads what its configuration uses, and the rest when it is first needed: a package held
// by a process costs its heap for as long as the process runs (README "Where the memory goes").
// The production build on SQLite with SMTP mail, started with a hook that names every package it
// loads (tests/fixtures/package-trace.mjs).
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useAppStack } from '../helpers/app-stack';
import { seedUser, trpcMutation, waitForCode } from '../../tools/sign-in';

const TRACE = resolve('tests/fixtures/package-trace.mjs');

describe('packages the production server loads on demand', () => {
	const stack = useAppStack('sqlite', {}, { nodeArgs: ['--import', TRACE] });
	const loaded = () =>
		[...stack.server.output().matchAll(/^\[package\] (\S+)$/gm)].map((match) => match[1]);

	it('starts on SQLite without the MySQL driver, the mailer or the WebAuthn library', () => {
		// The trace works: the driver in use and the framework's own packages are there.
		expect(loaded()).toEqual(expect.arrayContaining(['better-sqlite3', 'kysely', '@trpc/server']));
		expect(loaded()).not.toContain('mysql2');
		expect(loaded()).not.toContain('nodemailer');
		expect(loaded()).not.toContain('@simplewebauthn/server');
	});

	it('loads the mailer with the first message, and the message goes out', async () => {
		const user = await seedUser(stack.database.db);
		const login = await trpcMutation(stack.server.origin, 'auth.login', {
			input: { username: user.username, password: user.password, tokenType: 'bearer' }
		});
		expect(login.error).toBeUndefined();
		await waitForCode(stack.sink, user.email!);
		expect(loaded()).toContain('nodemailer');
		expect(loaded()).not.toContain('mysql2');
	});
});
