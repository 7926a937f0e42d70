import { describe, expect, it } from 'vitest';
import {
	accountLockedMessage,
	emailChangeLinkMessage,
	emailChangeRequestedMessage,
	isSingleAddress,
	maskEmail,
	otpMessage,
	backupTokenUsedMessage,
	type RequestInfo
} from '$lib/server/mail';

const request: RequestInfo = {
	at: new Date('2026-11-29T13:00:00Z'),
	ip: '203.0.113.9',
	userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0'
};
const hostile: RequestInfo = {
	...request,
	ip: '<b>ip</b>',
	userAgent: '<script>alert("x")</script> & more'
};
const NOT_YOU = 'If this was not you, change your password and tell an administrator';

describe('the sign-in code email', () => {
	const mail = otpMessage({ code: '482913', expiresAt: new Date('2026-11-29T13:05:00Z'), request });

	it('carries the code in both bodies but never in the subject', () => {
		expect(mail.text).toContain('482913');
		expect(mail.html).toContain('482913');
		expect(mail.subject).not.toMatch(/\d{4,}/);
		expect(mail.subject).toBe('Your Admin sign-in code');
	});

	it('says when the code expires, in UTC and in minutes', () => {
		for (const body of [mail.text, mail.html]) {
			expect(body).toContain('2026-11-29 13:05:00 UTC');
			expect(body).toContain('in 5 minutes');
		}
		const soon = otpMessage({ code: '1', expiresAt: new Date('2026-11-29T13:01:00Z'), request });
		expect(soon.text).toContain('in 1 minute)');
	});

	it('says when and from where it was requested, and what to do if it was not you', () => {
		for (const body of [mail.text, mail.html]) {
			expect(body).toContain('2026-11-29 13:00:00 UTC');
			expect(body).toContain('203.0.113.9');
			expect(body).toContain('Firefox/140.0');
			expect(body).toContain(NOT_YOU);
		}
	});

	it('uses the app name when given', () => {
		const named = otpMessage({ code: '1', expiresAt: request.at, request, appName: 'Acme' });
		expect(named.subject).toBe('Your Acme sign-in code');
	});

	it('says "unknown" for a missing IP or user agent', () => {
		const bare = otpMessage({
			code: '1',
			expiresAt: request.at,
			request: { at: request.at, ip: null, userAgent: null }
		});
		expect(bare.text).toContain('IP address: unknown');
		expect(bare.text).toContain('Browser: unknown');
	});
});

describe('request details come from the requester, so', () => {
	const mails = {
		otp: otpMessage({ code: '482913', expiresAt: request.at, request: hostile }),
		backupToken: backupTokenUsedMessage({ request: hostile, remaining: 3 }),
		locked: accountLockedMessage({ request: hostile })
	};

	it.each(Object.entries(mails))('the %s email escapes them in its HTML', (_name, mail) => {
		expect(mail.html).not.toContain('<script>');
		expect(mail.html).not.toContain('<b>ip</b>');
		expect(mail.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more');
		expect(mail.html).toContain('&lt;b&gt;ip&lt;/b&gt;');
	});

	it('control characters cannot start new lines of text', () => {
		const mail = otpMessage({
			code: '1',
			expiresAt: request.at,
			request: { ...request, userAgent: 'UA\r\n\r\nYour new code is 000000' }
		});
		expect(mail.text).toContain('Browser: UA Your new code is 000000');
		expect(mail.text).not.toContain('\r');
	});

	it('a very long user agent is cut short', () => {
		const mail = otpMessage({
			code: '1',
			expiresAt: request.at,
			request: { ...request, userAgent: 'A'.repeat(5000) }
		});
		expect(mail.text).not.toContain('A'.repeat(201));
		expect(mail.text).toContain(`${'A'.repeat(200)}…`);
	});
});

describe('the backup-token email', () => {
	it('says a backup token was used, from where, and how many are left', () => {
		const mail = backupTokenUsedMessage({ request, remaining: 2 });
		expect(mail.subject).toBe('A backup token was used to sign in to Admin');
		for (const body of [mail.text, mail.html]) {
			expect(body).toContain('You have 2 backup tokens left.');
			expect(body).toContain('203.0.113.9');
			expect(body).toContain(NOT_YOU);
		}
		expect(backupTokenUsedMessage({ request, remaining: 1 }).text).toContain(
			'1 backup token left.'
		);
		expect(backupTokenUsedMessage({ request, remaining: 0 }).text).toContain(
			'You have no backup tokens left.'
		);
	});
});

describe('the account-locked email', () => {
	it('says the account is locked and that an administrator must unlock it', () => {
		const mail = accountLockedMessage({ request });
		expect(mail.subject).toBe('Your Admin account has been locked');
		for (const body of [mail.text, mail.html]) {
			expect(body).toContain('locked after too many wrong sign-in codes');
			expect(body).toContain('An administrator must unlock it');
			expect(body).toContain('203.0.113.9');
		}
	});
});

describe('maskEmail', () => {
	it.each([
		['alice@example.com', 'a***e@example.com'],
		['first.last@example.com', 'f***t@example.com'],
		['abc@x.io', 'a***c@x.io'],
		['ab@x.io', 'a*@x.io'],
		['a@x.io', '*@x.io'],
		['not-an-address', '***']
	])('%s -> %s', (address, masked) => {
		expect(maskEmail(address)).toBe(masked);
	});
});

describe('isSingleAddress', () => {
	const local64 = 'l'.repeat(64);
	// 64 + 1 + 189 = 254 characters, the longest address SMTP allows.
	const domain189 = `${'d'.repeat(63)}.${'d'.repeat(63)}.${'d'.repeat(57)}.com`;

	it.each([
		'alice@example.com',
		'First.Last+tag@mail.example.co.uk',
		"o'brien@example.ie",
		'admin@localhost',
		'x@xn--bcher-kva.example',
		`${local64}@${domain189}`
	])('accepts %j', (value) => {
		expect(isSingleAddress(value)).toBe(true);
	});

	it.each([
		['empty', ''],
		['no @', 'alice'],
		['no local part', '@example.com'],
		['no domain', 'alice@'],
		['two @', 'a@b@example.com'],
		['CR/LF header injection', 'a@x.io\r\nBcc: b@y.io'],
		['trailing LF', 'a@x.io\n'],
		['comma list', 'a@x.io, b@y.io'],
		['semicolon list', 'a@x.io;b@y.io'],
		['display name', 'A <a@x.io>'],
		['angle brackets', '<a@x.io>'],
		['quoted local part', '"a b"@x.io'],
		['space', 'a b@x.io'],
		['leading space', ' a@x.io'],
		['comment', 'a@x.io(comment)'],
		['leading dot', '.a@x.io'],
		['trailing dot in local part', 'a.@x.io'],
		['double dot', 'a..b@x.io'],
		['empty domain label', 'a@x..io'],
		['trailing dot in domain', 'a@x.io.'],
		['hyphen at label start', 'a@-x.io'],
		['hyphen at label end', 'a@x-.io'],
		['IP literal', 'a@[127.0.0.1]'],
		['bare IP', 'a@127.0.0.1'],
		['percent source route', 'user%other@x.io'],
		['bang path', 'host!user@x.io'],
		['non-ASCII', 'jürgen@x.io'],
		['local part over 64', `${local64}l@x.io`],
		['over 254 characters', `${local64}@d${domain189}`]
	])('rejects %s', (_why, value) => {
		expect(isSingleAddress(value)).toBe(false);
	});
});

describe('the email-change mails', () => {
	const url = 'https://admin.example.com/email/confirm?token=abc_DEF-123';
	const link = emailChangeLinkMessage({
		url,
		expiresAt: new Date('2026-11-30T13:00:00Z'),
		at: request.at
	});

	it('the link to the new address: absolute, in both bodies, with its expiry and no request details', () => {
		expect(link.text).toContain(url);
		expect(link.html).toContain(`<a href="${url}">`);
		expect(link.text).toContain('2026-11-30 13:00:00 UTC (in 24 hours)');
		expect(link.subject).toBe('Confirm the new email address of your Admin account');
		// The address has proven nothing: no browser string or IP of the requester reaches it.
		expect(link.text).not.toContain('IP address');
		expect(link.text).not.toContain('Browser');
	});

	it('the notice to the old address: the new one masked, the report link, who asked and from where', () => {
		const notice = emailChangeRequestedMessage({
			newAddress: maskEmail('someone.new@example.org'),
			expiresAt: new Date('2026-11-30T13:00:00Z'),
			reportUrl: 'https://admin.example.com/email/report?token=xyz',
			reportExpiresAt: new Date('2026-12-06T13:00:00Z'),
			byAdministrator: true,
			request: hostile
		});
		expect(notice.text).toContain(maskEmail('someone.new@example.org'));
		expect(notice.text).not.toContain('someone.new@example.org');
		expect(notice.text).toContain('by an administrator');
		expect(notice.text).toContain('https://admin.example.com/email/report?token=xyz');
		expect(notice.text).toContain('until 2026-12-06 13:00:00 UTC');
		expect(notice.html).not.toContain('<script>');
		expect(notice.html).toContain('&lt;script&gt;');
	});
});
