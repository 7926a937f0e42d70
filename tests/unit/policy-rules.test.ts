// Password length and backup-token counts are written once, in $lib/policy-rules. Here that module
// holds numbers of its own, so any schema, policy or page that kept a number of its own fails.
import type { Component } from 'svelte';
import { render } from 'svelte/server';
import { describe, expect, it, vi } from 'vitest';
import { loginSchema, newPasswordSchema } from '$lib/schemas/auth';
import { backupTokenCountSchema, changePasswordSchema } from '$lib/schemas/users';
import { getPolicy } from '$lib/server/auth/policy';
import type { UserDetail } from '$lib/server/services/user-directory';
import PasswordCard from '../../src/routes/(app)/account/PasswordCard.svelte';
import BackupTokensCard from '../../src/routes/(app)/account/BackupTokensCard.svelte';
import BackupTokensTab from '../../src/routes/(app)/users/[id]/BackupTokensTab.svelte';
import ProfileTab from '../../src/routes/(app)/users/[id]/ProfileTab.svelte';
import NewUserPage from '../../src/routes/(app)/users/new/+page.svelte';
import LoginPage from '../../src/routes/(auth)/login/+page.svelte';
import SetupPage from '../../src/routes/(auth)/setup/+page.svelte';
import InvitationPage from '../../src/routes/(auth)/login/invite/+page.svelte';

vi.mock('$lib/policy-rules', () => ({
	PASSWORD_RULES: { minLength: 12, maxLength: 99 },
	PASSWORD_LENGTH_HINT: '12 to 99 characters',
	NEW_PASSWORD_HINT: '12 to 99 characters. A few unrelated words make a good one.',
	BACKUP_TOKEN_RULES: { defaultCount: 7, maxCount: 13 },
	BACKUP_TOKEN_COUNT_CHOICES: [5, 7, 13]
}));

/** What SvelteKit's $app/state reads while a page renders on the server. */
const context = new Map([
	[
		'__request__',
		{
			page: {
				data: { appName: 'Admin', stepUpMinutes: 10 },
				url: new URL('http://localhost/account'),
				form: null
			}
		}
	]
]);
const user: UserDetail = {
	id: 'u1',
	username: 'alice',
	email: null,
	emailConfirmed: false,
	otpEmail: null,
	pendingOtpEmail: null,
	pendingEmail: null,
	role: 'member',
	active: true,
	locked: false,
	lockedAt: null,
	otpFailures: 0,
	backupTokens: 0,
	sessions: 0,
	createdAt: new Date(0),
	updatedAt: new Date(0),
	invitation: null
};

function bodyOf<Props extends Record<string, unknown>>(
	component: Component<Props>,
	props: Props
): string {
	return render(component, { props, context }).body;
}

const layoutData = {
	appName: 'Admin',
	stepUpMinutes: 10,
	theme: 'system' as const,
	user: null
};

describe('the password length is the policy', () => {
	it('in policy.ts', () => {
		expect(getPolicy().password).toEqual({ minLength: 12, maxLength: 99 });
	});

	it('in the new-password schema', () => {
		expect(newPasswordSchema.safeParse('x'.repeat(11)).success).toBe(false);
		expect(newPasswordSchema.safeParse('x'.repeat(12)).success).toBe(true);
		expect(newPasswordSchema.safeParse('x'.repeat(99)).success).toBe(true);
		expect(newPasswordSchema.safeParse('x'.repeat(100)).error?.issues[0]?.message).toBe(
			'At most 99 characters'
		);
	});

	it('in the schemas that take a current password', () => {
		const login = { username: 'alice', password: 'x'.repeat(100) };
		expect(loginSchema.safeParse(login).success).toBe(false);
		expect(loginSchema.safeParse({ ...login, password: 'x'.repeat(99) }).success).toBe(true);
		const change = { current: 'x'.repeat(100), next: 'y'.repeat(12) };
		expect(changePasswordSchema.safeParse(change).success).toBe(false);
	});

	it.each([
		['the account page', () => bodyOf(PasswordCard, { username: 'alice', form: null })],
		['the setup page', () => bodyOf(SetupPage, { form: null })],
		[
			'the invitation page',
			() =>
				bodyOf(InvitationPage, {
					data: { ...layoutData, invitation: { username: 'alice', expiresAt: new Date(0) } },
					form: null
				})
		],
		['the new-user page', () => bodyOf(NewUserPage, { form: null })],
		['a user profile', () => bodyOf(ProfileTab, { user, isSelf: false, form: null })]
	])('in the hint and the input limits of %s', (_, html) => {
		const body = html();
		expect(body).toContain('12 to 99 characters');
		expect(body).toContain('minlength="12"');
		expect(body).toContain('maxlength="99"');
		expect(body).not.toMatch(/8 to 256|length="(8|256)"/);
	});

	it('in the login form', () => {
		const body = bodyOf(LoginPage, {
			data: {
				appName: 'Admin',
				stepUpMinutes: 10,
				theme: 'system',
				user: null,
				setupDone: true,
				passwordReset: false
			},
			form: null
		});
		expect(body).toMatch(/type="password"[^>]*maxlength="99"/);
	});
});

describe('backup tokens: one default count and one maximum', () => {
	it('in policy.ts, which the CLI and the service read', () => {
		expect(getPolicy().backupTokens).toMatchObject({ defaultCount: 7, maxCount: 13 });
	});

	it('in the API schema', () => {
		expect(backupTokenCountSchema.parse(undefined)).toBe(7);
		expect(backupTokenCountSchema.safeParse(13).success).toBe(true);
		expect(backupTokenCountSchema.safeParse(14).success).toBe(false);
	});

	it.each([
		['the account card', () => bodyOf(BackupTokensCard, { remaining: 0, form: null })],
		['the admin tab', () => bodyOf(BackupTokensTab, { user, remaining: 0, form: null })]
	])('preselected in %s', (_, html) => {
		const options = [...html().matchAll(/<option value="(\d+)"( selected)?/g)];
		expect(options.map(([, value]) => value)).toEqual(['5', '7', '13']);
		expect(options.filter(([, , selected]) => selected).map(([, value]) => value)).toEqual(['7']);
	});
});
