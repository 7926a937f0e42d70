// The sign-in, code and setup pages share one card (AuthCard) and one "waiting" enhance helper
// (whileSubmitting): the header each page used to write out, and the flag each form used to flip.
import type { ActionResult, SubmitFunction } from '@sveltejs/kit';
import { createRawSnippet } from 'svelte';
import { render } from 'svelte/server';
import { describe, expect, it } from 'vitest';
import AuthCard from '$lib/components/AuthCard.svelte';
import { whileSubmitting } from '$lib/components/forms';
import LoginPage from '../../src/routes/(auth)/login/+page.svelte';
import VerifyPage from '../../src/routes/(auth)/login/verify/+page.svelte';
import SetupPage from '../../src/routes/(auth)/setup/+page.svelte';

const context = new Map([
	['__request__', { page: { data: { appName: 'Admin' }, url: new URL('http://localhost/login') } }]
]);
const text = (html: string) => createRawSnippet(() => ({ render: () => html }));
/** What the root and (auth) layouts give every page. */
const layoutData = { appName: 'Admin', stepUpMinutes: 10, theme: 'system', user: null } as const;
const HEADING = /<h1 class="text-xl font-semibold tracking-tight">([^<]*)<\/h1>/g;

/** Runs the helper's submit function the way `use:enhance` does, with `update` as given. */
async function submit(handler: SubmitFunction, update: () => Promise<void>): Promise<void> {
	const after = await handler({} as Parameters<SubmitFunction>[0]);
	if (typeof after !== 'function') throw new Error('expected an after-submit callback');
	await after({
		update,
		result: { type: 'success', status: 200 } as ActionResult
	} as Parameters<typeof after>[0]);
}

describe('whileSubmitting', () => {
	it('says the form is waiting when it is sent, and not once SvelteKit applied the answer', async () => {
		const seen: Array<boolean | 'updated'> = [];
		await submit(
			whileSubmitting((busy) => seen.push(busy)),
			async () => void seen.push('updated')
		);
		expect(seen).toEqual([true, 'updated', false]);
	});

	it('stops waiting when applying the answer fails, and lets the failure through', async () => {
		const seen: boolean[] = [];
		const failing = submit(
			whileSubmitting((busy) => seen.push(busy)),
			() => Promise.reject(new Error('navigation failed'))
		);
		await expect(failing).rejects.toThrow('navigation failed');
		expect(seen).toEqual([true, false]);
	});
});

describe('AuthCard', () => {
	it('renders the title, the line under it, the page and what comes after the card', () => {
		const { head, body } = render(AuthCard, {
			props: {
				documentTitle: 'Set up',
				title: 'Create the first admin',
				icon: 'log-in',
				subtitle: 'This link works once.',
				children: text('<form id="the-form"></form>'),
				after: text('<p id="after">below</p>')
			},
			context
		});
		expect(head).toContain('<title>Set up · Admin</title>');
		expect([...body.matchAll(HEADING)].map((match) => match[1])).toEqual([
			'Create the first admin'
		]);
		expect(body).toContain('This link works once.');
		expect(body.indexOf('id="the-form"')).toBeLessThan(body.indexOf('id="after"'));
		expect(body).toContain('aria-hidden="true"');
	});

	it('takes a snippet for a line with markup, and the heading as the document title by default', () => {
		const { head, body } = render(AuthCard, {
			props: {
				title: 'Sign in',
				icon: 'log-in',
				subtitle: text('<span>We sent a code to <strong>a@example.com</strong>.</span>'),
				children: text('<form></form>')
			},
			context
		});
		expect(head).toContain('<title>Sign in · Admin</title>');
		expect(body).toContain('<strong>a@example.com</strong>');
	});
});

describe('the three pages use it, one heading each', () => {
	it.each([
		[
			'login',
			() =>
				render(LoginPage, {
					props: { data: { ...layoutData, setupDone: false, passwordReset: false }, form: null },
					context
				}),
			'Sign in'
		],
		[
			'setup',
			() => render(SetupPage, { props: { form: null }, context }),
			'Create the first admin'
		],
		[
			'the code step',
			() =>
				render(VerifyPage, {
					props: {
						data: {
							...layoutData,
							method: 'email',
							factors: ['email'],
							email: 'a***@example.com',
							now: 0,
							expiresAt: 300_000,
							resendAt: null,
							query: '',
							queryFor: {
								webauthn: 'method=webauthn',
								totp: 'method=totp',
								email: 'method=email',
								backup_token: 'method=backup_token'
							},
							unsent: false,
							resent: false,
							rememberDeviceDays: 30,
							toEnrol: []
						},
						form: null
					},
					context
				}),
			'Check your email'
		]
	] as const)('%s', (_name, page, heading) => {
		const { body } = page();
		expect([...body.matchAll(HEADING)].map((match) => match[1])).toEqual([heading]);
	});
});
