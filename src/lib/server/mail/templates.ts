// Security emails: each says what happened, when, and from where, so the owner can tell a
// request of their own from someone else's. Every interpolated value is escaped in the HTML:
// the user agent and IP come from whoever sent the request. The app's name is APP_NAME (config).
import { getConfig } from '../config';

export interface RequestInfo {
	at: Date;
	ip: string | null;
	userAgent: string | null;
}

export interface MailContent {
	subject: string;
	text: string;
	html: string;
}

const NOT_YOU = 'If this was not you, change your password and tell an administrator.';

/** The sign-in code email. The code stays out of the subject, which previews and logs show. */
export function otpMessage(p: {
	code: string;
	expiresAt: Date;
	request: RequestInfo;
	appName?: string;
}): MailContent {
	const app = p.appName ?? getConfig().appName;
	const minutes = Math.max(
		1,
		Math.round((p.expiresAt.getTime() - p.request.at.getTime()) / 60_000)
	);
	const expiry = `It expires at ${formatUtc(p.expiresAt)} (in ${minutes} minute${minutes === 1 ? '' : 's'}).`;
	return compose({
		subject: `Your ${app} sign-in code`,
		intro: [`Your ${app} sign-in code is:`],
		code: p.code,
		outro: [expiry, 'Do not share this code with anyone.'],
		request: p.request,
		closing: NOT_YOU
	});
}

/**
 * The code that proves a new two-factor address. That address has not proven anything yet, so the
 * message carries nothing the requester chose (no browser string, no address, no name): it cannot
 * be used to mail words of one's own from the app's sender to a stranger.
 */
export function newAddressCodeMessage(p: {
	code: string;
	expiresAt: Date;
	at: Date;
	appName?: string;
}): MailContent {
	const app = p.appName ?? getConfig().appName;
	const minutes = Math.max(1, Math.round((p.expiresAt.getTime() - p.at.getTime()) / 60_000));
	return compose({
		subject: `Confirm this address for ${app} sign-in codes`,
		intro: [
			`This address was entered to receive ${app} sign-in codes. To confirm it, enter this code where it was asked for:`
		],
		code: p.code,
		outro: [
			`It expires at ${formatUtc(p.expiresAt)} (in ${minutes} minute${minutes === 1 ? '' : 's'}).`
		],
		closing: 'If you did not expect this, ignore it: nothing changes unless the code is entered.'
	});
}

/** Sent to the address codes (or account mail) went to before it changed. */
export function addressChangedMessage(p: {
	what: 'two-factor' | 'account';
	newAddress: string;
	request: RequestInfo;
	appName?: string;
}): MailContent {
	const app = p.appName ?? getConfig().appName;
	const intro =
		p.what === 'two-factor'
			? `The address your ${app} sign-in codes go to was changed to ${p.newAddress}. Codes no longer come to this address.`
			: `The email address of your ${app} account was changed to ${p.newAddress}. Security notices, and sign-in codes unless a separate two-factor address is set, go there now.`;
	return compose({
		subject: `The address of your ${app} account changed`,
		intro: [intro],
		request: p.request,
		closing: NOT_YOU
	});
}

/** Sent when backup tokens were minted for an account: a stolen session must not do it quietly. */
export function backupTokensMintedMessage(p: {
	count: number;
	replaced: boolean;
	request: RequestInfo;
	appName?: string;
}): MailContent {
	const app = p.appName ?? getConfig().appName;
	const what = `${p.count} new backup token${p.count === 1 ? ' was' : 's were'} created for your ${app} account.`;
	return compose({
		subject: `New backup tokens for ${app}`,
		intro: p.replaced ? [what, 'Any backup tokens you had before no longer work.'] : [what],
		request: p.request,
		closing: NOT_YOU
	});
}

/** Sent after a backup (static) token signed someone in, with how many tokens are left. */
export function backupTokenUsedMessage(p: {
	request: RequestInfo;
	remaining: number;
	appName?: string;
}): MailContent {
	const app = p.appName ?? getConfig().appName;
	const left =
		p.remaining === 0
			? 'You have no backup tokens left.'
			: `You have ${p.remaining} backup token${p.remaining === 1 ? '' : 's'} left.`;
	return compose({
		subject: `A backup token was used to sign in to ${app}`,
		intro: [`A backup token was used to sign in to your ${app} account.`, left],
		request: p.request,
		closing: NOT_YOU
	});
}

/**
 * Sent after a browser was remembered ("Don't ask again on this device"): until it expires, a
 * password alone signs in from it.
 */
export function deviceRememberedMessage(p: {
	expiresAt: Date;
	request: RequestInfo;
	appName?: string;
}): MailContent {
	const app = p.appName ?? getConfig().appName;
	return compose({
		subject: `A device was remembered for your ${app} account`,
		intro: [
			`A browser was remembered for your ${app} account: signing in there asks only for your password until ${formatUtc(p.expiresAt)}.`,
			'You can forget it on your account page, under "Remembered devices".'
		],
		request: p.request,
		closing: NOT_YOU
	});
}

/**
 * Sent when an authenticator app was added to the account (or replaced the one it had) or removed:
 * either changes how the account can be signed in to, so a stolen session must not do it quietly.
 */
export function authenticatorChangedMessage(p: {
	change: 'added' | 'replaced' | 'removed';
	request: RequestInfo;
	appName?: string;
}): MailContent {
	const app = p.appName ?? getConfig().appName;
	const intro = {
		added: [
			`An authenticator app was set up for your ${app} account. Its codes now work for signing in and for confirming changes.`
		],
		replaced: [
			`A new authenticator app was set up for your ${app} account. Codes from the one you used before no longer work.`
		],
		removed: [
			`The authenticator app was removed from your ${app} account. Its codes no longer work; sign-in codes come by email again.`
		]
	}[p.change];
	return compose({
		subject:
			p.change === 'removed'
				? `Authenticator app removed from ${app}`
				: `Authenticator app set up for ${app}`,
		intro,
		request: p.request,
		closing: NOT_YOU
	});
}

/**
 * Sent when a security key was added to or removed from an account. The key's name is the
 * owner's own words (typed in a verified session), shown so they can tell their keys apart.
 */
export function securityKeyChangedMessage(p: {
	change: 'added' | 'removed';
	name: string;
	request: RequestInfo;
	appName?: string;
}): MailContent {
	const app = p.appName ?? getConfig().appName;
	const name = `“${printable(p.name, 64)}”`;
	return compose({
		subject:
			p.change === 'added'
				? `A security key was added to your ${app} account`
				: `A security key was removed from your ${app} account`,
		intro:
			p.change === 'added'
				? [`The security key ${name} was added to your ${app} account: it can now sign you in.`]
				: [
						`The security key ${name} was removed from your ${app} account: it no longer signs you in.`
					],
		request: p.request,
		closing: NOT_YOU
	});
}

/**
 * Sent after an administrator reset the account's second factors: the owner must know why their
 * app or key stopped working, and learn of it if they did not ask for it.
 */
export function factorsResetMessage(p: {
	removed: { totp: boolean; securityKeys: number; devices: number };
	request: RequestInfo;
	appName?: string;
}): MailContent {
	const app = p.appName ?? getConfig().appName;
	const { totp, securityKeys, devices } = p.removed;
	const keys =
		securityKeys === 1 ? 'Your security key was' : `Your ${securityKeys} security keys were`;
	const browsers = devices === 1 ? 'The browser' : `The ${devices} browsers`;
	const lines = [
		`An administrator reset the sign-in factors of your ${app} account.`,
		...(totp ? ['Your authenticator app was removed: its codes no longer work.'] : []),
		...(securityKeys > 0 ? [`${keys} removed: no longer a way to sign in.`] : []),
		...(devices > 0
			? [`${browsers} remembered for your account will ask for the second step again.`]
			: []),
		'You can set up a new authenticator app or security key on your account page.'
	];
	return compose({
		subject: `The sign-in factors of your ${app} account were reset`,
		intro: lines,
		request: p.request,
		closing: 'If you did not ask for this, tell an administrator.'
	});
}

/** Sent when too many wrong codes locked the account; only an administrator can unlock it. */
export function accountLockedMessage(p: { request: RequestInfo; appName?: string }): MailContent {
	const app = p.appName ?? getConfig().appName;
	return compose({
		subject: `Your ${app} account has been locked`,
		intro: [
			`Your ${app} account was locked after too many wrong sign-in codes.`,
			'An administrator must unlock it before you can sign in again.'
		],
		request: p.request,
		// The password was right (the code step comes after it), so it is worth changing.
		closing:
			'If this was not you, someone knows your password: tell an administrator, and change your password once the account is unlocked.'
	});
}

interface Parts {
	subject: string;
	intro: string[];
	code?: string;
	/** An absolute link of ours, on a line of its own (never anything the requester typed). */
	link?: string;
	outro?: string[];
	/** When and from where: left out of mail to an address that has not proven itself. */
	request?: RequestInfo;
	closing: string;
}

function compose(parts: Parts): MailContent {
	const details = parts.request ? requestDetails(parts.request) : [];
	const outro = parts.outro ?? [];
	const text = [
		...parts.intro,
		...(parts.code === undefined ? [] : [`    ${parts.code}`]),
		...(parts.link === undefined ? [] : [parts.link]),
		...outro,
		...(details.length > 0
			? [details.map(([label, value]) => `${label}: ${value}`).join('\n')]
			: []),
		parts.closing
	].join('\n\n');
	const html = [
		'<!doctype html><html><body style="font-family:sans-serif;line-height:1.5">',
		...parts.intro.map(paragraph),
		...(parts.code === undefined
			? []
			: [
					`<p style="font-size:24px;font-weight:bold;letter-spacing:4px">${escapeHtml(parts.code)}</p>`
				]),
		...(parts.link === undefined
			? []
			: [`<p><a href="${escapeHtml(parts.link)}">${escapeHtml(parts.link)}</a></p>`]),
		...outro.map(paragraph),
		...(details.length > 0
			? [
					'<table>',
					...details.map(
						([label, value]) =>
							`<tr><td>${escapeHtml(label)}:</td><td>${escapeHtml(value)}</td></tr>`
					),
					'</table>'
				]
			: []),
		paragraph(parts.closing),
		'</body></html>'
	].join('\n');
	return { subject: parts.subject, text, html };
}

function requestDetails(request: RequestInfo): [string, string][] {
	return [
		['Time', formatUtc(request.at)],
		['IP address', printable(request.ip, 64)],
		['Browser', printable(request.userAgent, 200)]
	];
}

function paragraph(value: string): string {
	return `<p>${escapeHtml(value)}</p>`;
}

/** `2026-11-29 13:05:00 UTC`: unambiguous for readers in any time zone. */
function formatUtc(date: Date): string {
	return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

// Request headers are attacker-chosen: no control characters, and short enough that a
// crafted user agent cannot fill the email with text of its own.
function printable(value: string | null, max: number): string {
	if (!value) return 'unknown';
	// eslint-disable-next-line no-control-regex
	const clean = value.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
	if (!clean) return 'unknown';
	return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

function escapeHtml(value: string): string {
	return value
		.replaceAll('&', '&amp;')
		.replaceAll('<', '&lt;')
		.replaceAll('>', '&gt;')
		.replaceAll('"', '&quot;')
		.replaceAll("'", '&#39;');
}

/**
 * The "forgot password" link. Anyone can ask for one for any account, so the mail carries nothing
 * the asker chose but their IP address (no browser string, no name they typed): it cannot be used
 * to mail words of one's own to the owner. Asked by an administrator, it says so.
 */
export function passwordResetLinkMessage(p: {
	url: string;
	expiresAt: Date;
	at: Date;
	ip: string | null;
	byAdministrator: boolean;
	appName?: string;
}): MailContent {
	const app = p.appName ?? getConfig().appName;
	const minutes = Math.max(1, Math.round((p.expiresAt.getTime() - p.at.getTime()) / 60_000));
	const asked = p.byAdministrator
		? `An administrator sent you this link to set a new password for your ${app} account.`
		: `Someone (from IP address ${printable(p.ip, 64)}, at ${formatUtc(p.at)}) asked to reset the password of your ${app} account.`;
	return compose({
		subject: `Reset your ${app} password`,
		intro: [asked, 'To choose a new password, open this link:'],
		link: p.url,
		outro: [
			`It works once, until ${formatUtc(p.expiresAt)} (${minutes} minute${minutes === 1 ? '' : 's'}). You will also be asked for your authenticator app, security key or a backup token if you have one.`,
			'Resetting your password signs you out everywhere.'
		],
		closing:
			'If you did not ask for this, ignore this email: your password stays as it is unless the link is used.'
	});
}

/** Sent after a reset link set a new password: every session and remembered device has ended. */
export function passwordResetDoneMessage(p: {
	request: RequestInfo;
	appName?: string;
}): MailContent {
	const app = p.appName ?? getConfig().appName;
	return compose({
		subject: `Your ${app} password was reset`,
		intro: [
			`The password of your ${app} account was reset with a link sent to your email address.`,
			'Every session and remembered browser of the account was signed out.'
		],
		request: p.request,
		closing:
			'If this was not you, someone can read your email and passed your second factor: tell an administrator now.'
	});
}

/** `in 24 hours`, `in 7 days`: a link's lifetime as people say it. */
function lifetime(from: Date, to: Date): string {
	const hours = Math.max(1, Math.round((to.getTime() - from.getTime()) / 3_600_000));
	if (hours % 24 === 0 && hours >= 48) return `in ${hours / 24} days`;
	return `in ${hours} hour${hours === 1 ? '' : 's'}`;
}

/**
 * The link that proves a new account email, sent to that address. Like the new two-factor
 * address's code, it carries nothing the requester chose: the address has proven nothing yet.
 */
export function emailChangeLinkMessage(p: {
	url: string;
	expiresAt: Date;
	at: Date;
	appName?: string;
}): MailContent {
	const app = p.appName ?? getConfig().appName;
	return compose({
		subject: `Confirm the new email address of your ${app} account`,
		intro: [
			`This address was entered as the new email of a ${app} account. To confirm it, open this link and press “Confirm”:`
		],
		link: p.url,
		outro: [
			`The link works once and expires at ${formatUtc(p.expiresAt)} (${lifetime(p.at, p.expiresAt)}). Until then the account keeps its current address.`
		],
		closing:
			'If you did not expect this, ignore it: nothing changes unless the link is opened and confirmed.'
	});
}

/**
 * Sent to the current address when a new one is asked for: the change waits for the new address's
 * link, and the owner can stop it (and sign the account out everywhere) with the link in here.
 */
export function emailChangeRequestedMessage(p: {
	newAddress: string;
	expiresAt: Date;
	reportUrl: string;
	reportExpiresAt: Date;
	byAdministrator: boolean;
	request: RequestInfo;
	appName?: string;
}): MailContent {
	const app = p.appName ?? getConfig().appName;
	const who = p.byAdministrator ? ' by an administrator' : '';
	return compose({
		subject: `A new email address was requested for your ${app} account`,
		intro: [
			`A change of your ${app} account's email to ${p.newAddress} was requested${who}. It takes effect only if the link sent to that address is opened before ${formatUtc(p.expiresAt)}.`,
			'If this was not you, open this link: it cancels the change, signs your account out everywhere and tells the administrators.'
		],
		link: p.reportUrl,
		outro: [
			`That link works once, until ${formatUtc(p.reportExpiresAt)}; after the change it still signs the account out and tells the administrators.`
		],
		request: p.request,
		closing: 'If this was you, there is nothing to do. If not, also change your password.'
	});
}

/**
 * The invitation: a link to choose a password. The address has proven nothing yet, so the mail
 * carries nothing free-form the inviter chose: only the username (letters, digits, `.`, `_`, `-`)
 * the person will sign in with. No request details either: they are the inviter's, not theirs.
 * The link is the only secret; it stays out of the subject, which previews and logs show.
 */
export function invitationMessage(p: {
	username: string;
	url: string;
	expiresAt: Date;
	appName?: string;
}): MailContent {
	const app = p.appName ?? getConfig().appName;
	return compose({
		subject: `You are invited to ${app}`,
		intro: [
			`An administrator created a ${app} account for you. Your username is ${p.username}.`,
			'To choose your password, open this link:'
		],
		link: p.url,
		outro: [
			`The link works once and expires at ${formatUtc(p.expiresAt)}. After choosing your password you sign in with it and a code sent to this address.`
		],
		closing:
			'If you did not expect this, ignore it: no account can be used until the link is opened.'
	});
}
