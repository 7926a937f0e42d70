// A code its method can never accept is refused as input, before it spends a try: each wrong try
// counts on the account and the session, and the session's last try ends it.
import { describe, expect, it } from 'vitest';
import { verifySchema, verifySignInSchema } from '../../src/lib/schemas/auth';
import { completeResetSchema } from '../../src/lib/schemas/password-reset';

const messageOf = (input: unknown) => {
	const result = verifySchema.safeParse(input);
	return result.success ? null : result.error.issues.map((issue) => issue.message).join('; ');
};

describe('the shape of a second-step code', () => {
	it('accepts what each method can match', () => {
		for (const input of [
			{ code: '12345678' },
			{ code: 'ABCD-efgh-2345-7777' },
			{ code: 'abcd efgh ijkl mnop', method: 'backup_token' },
			{ code: '123 456', method: 'totp' },
			{ code: '123456', method: 'email' }
		]) {
			expect(messageOf(input), JSON.stringify(input)).toBeNull();
		}
	});

	it('refuses what it never could: a short or foreign token, letters as an emailed code, not 6 digits from an app', () => {
		expect(messageOf({ code: 'a' })).toBe('A backup token: xxxx-xxxx-xxxx-xxxx');
		expect(messageOf({ code: 'abcd-efgh-ijkl-mno1' })).toBe('A backup token: xxxx-xxxx-xxxx-xxxx');
		expect(messageOf({ code: '12ab', method: 'email' })).toBe('An emailed code is digits');
		expect(messageOf({ code: '12345', method: 'totp' })).toBe(
			'The 6 digits your authenticator app shows'
		);
		expect(messageOf({ code: '1234567', method: 'totp' })).toBe(
			'The 6 digits your authenticator app shows'
		);
	});

	it('holds for the sign-in step and the reset as well', () => {
		expect(verifySignInSchema.safeParse({ code: 'a', rememberDevice: true }).success).toBe(false);
		expect(verifySignInSchema.safeParse({ code: '123456', rememberDevice: true }).success).toBe(
			true
		);
		const reset = { token: 'a'.repeat(43), password: 'a long enough new password 1' };
		expect(completeResetSchema.safeParse({ ...reset, code: 'a' }).success).toBe(false);
		expect(completeResetSchema.safeParse({ ...reset, code: '123456' }).success).toBe(true);
	});
});
