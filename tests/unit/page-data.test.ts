// The app's name (APP_NAME) and the step-up window (the policy) reach every page through the root
// layout's data. Both are set to values of this test's own, so a page or mail that still types
// "Admin" or "10 minutes" fails.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRawSnippet } from 'svelte';
import { render } from 'svelte/server';
import { afterAll, describe, expect, it, vi } from 'vitest';
import StepUp from '$lib/components/StepUp.svelte';
import PageHeader from '$lib/components/ui/PageHeader.svelte';
import { getConfig } from '$lib/server/config';
import { otpMessage } from '$lib/server/mail';
import BackupTokensCard from '../../src/routes/(app)/account/BackupTokensCard.svelte';
import AppLayout from '../../src/routes/(app)/+layout.svelte';
import AuthLayout from '../../src/routes/(auth)/+layout.svelte';
import LoginPage from '../../src/routes/(auth)/login/+page.svelte';
import ErrorPage from '../../src/routes/+error.svelte';
import { load } from '../../src/routes/+layout.server';

// Before anything reads the configuration (it is read once, on first use).
vi.hoisted(() => {
	vi.stubEnv('APP_NAME', 'Acme Ops');
	vi.stubEnv('AUTH_SECRET', 'x'.repeat(32));
	vi.stubEnv('MAIL_FROM', undefined);
});
afterAll(() => vi.unstubAllEnvs());

vi.mock('$lib/server/auth/policy', async (importOriginal) => {
	const real = await importOriginal<typeof import('$lib/server/auth/policy')>();
	return { ...real, getPolicy: () => ({ ...real.getPolicy(), stepUpWindowMs: 7 * 60_000 }) };
});

const event = { locals: { session: null, user: null }, cookies: { get: () => undefined } };
// `load` is typed as any layout load; this one's data is known.
const data = (await load(event as unknown as Parameters<typeof load>[0])) as {
	appName: string;
	stepUpMinutes: number;
	theme: 'system';
	user: null;
};

/** What SvelteKit's $app/state reads while a page renders on the server. */
function contextFor(extra: Record<string, unknown> = {}) {
	const page = { data, url: new URL('http://localhost/account'), form: null, ...extra };
	return new Map([['__request__', { page }]]);
}
const children = createRawSnippet(() => ({ render: () => '<p>page</p>' }));

describe('the root layout hands every page the facts it states', () => {
	it('the app name from APP_NAME and the step-up window from the policy', () => {
		expect(data.appName).toBe('Acme Ops');
		expect(data.stepUpMinutes).toBe(7);
	});
});

describe('APP_NAME names the app', () => {
	it('in the title of every page with a header', () => {
		const { head } = render(PageHeader, { props: { title: 'Users' }, context: contextFor() });
		expect(head).toContain('<title>Users · Acme Ops</title>');
	});

	it('in the titles of the sign-in and error pages', () => {
		const login = render(LoginPage, {
			props: { data: { ...data, setupDone: true, passwordReset: false }, form: null },
			context: contextFor()
		});
		expect(login.head).toContain('<title>Sign in · Acme Ops</title>');
		const error = render(ErrorPage, { context: contextFor({ status: 404, error: null }) });
		expect(error.head).toContain('<title>Page not found · Acme Ops</title>');
	});

	it('in the header of the signed-in and signed-out layouts', () => {
		const app = render(AppLayout, {
			props: {
				data: { ...data, isAdmin: false, devOutbox: false, resources: [], enrolment: false },
				children
			},
			context: contextFor()
		});
		const auth = render(AuthLayout, { props: { data, children }, context: contextFor() });
		for (const { body } of [app, auth]) {
			expect(body).toContain('Acme Ops');
			expect(body).not.toMatch(/\bAdmin\b/);
		}
	});

	it('beside one nav entry per resource the layout load gave (those the role may read)', () => {
		const { body } = render(AppLayout, {
			props: {
				data: {
					...data,
					isAdmin: false,
					devOutbox: false,
					resources: [{ label: 'Feature flags', path: 'feature-flags' }],
					enrolment: false
				},
				children
			},
			context: contextFor()
		});
		expect(body).toMatch(/<a href="\/resources\/feature-flags"[^>]*>[\s\S]*?Feature flags/);
	});

	it('in the saved backup-token file', () => {
		const form = { section: 'tokens' as const, tokens: ['aaaa-bbbb-cccc-dddd'] };
		const { body } = render(BackupTokensCard, {
			props: { remaining: 1, form },
			context: contextFor()
		});
		expect(body).toContain(encodeURIComponent('Acme Ops backup tokens'));
	});

	it('in the mail: subject, body and the default sender', () => {
		const at = new Date();
		const mail = otpMessage({
			code: '123456',
			expiresAt: at,
			request: { at, ip: null, userAgent: null }
		});
		expect(mail.subject).toBe('Your Acme Ops sign-in code');
		expect(mail.text).toContain('Your Acme Ops sign-in code is:');
		expect(getConfig().mail.from).toBe('Acme Ops <admin@localhost>');
	});

	it('through one component: no other file writes a <title>', () => {
		const files = svelteFiles('src').filter((file) =>
			readFileSync(file, 'utf8').includes('<title>')
		);
		expect(files).toEqual([join('src', 'lib', 'components', 'ui', 'PageTitle.svelte')]);
	});
});

describe('the step-up window the pages state is the policy', () => {
	it('when a fresh code is asked for', () => {
		const form = { stepUpRequired: true };
		const { body } = render(StepUp, { props: { form }, context: contextFor() });
		expect(body).toContain('a code verified in the last 7 minutes');
	});

	it('once it is confirmed', () => {
		const form = { stepUpDone: true };
		const { body } = render(StepUp, { props: { form }, context: contextFor() });
		expect(body).toContain('sensitive changes for the next 7 minutes');
	});
});

function svelteFiles(dir: string): string[] {
	return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
		const path = join(dir, entry.name);
		if (entry.isDirectory()) return svelteFiles(path);
		return entry.name.endsWith('.svelte') ? [path] : [];
	});
}
