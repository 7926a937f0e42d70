// Authenticator apps (TOTP, RFC 6238): SHA-1, 6 digits, 30-second steps, one step either side,
// as every authenticator app expects by default. The algorithm is otpauth's (HMAC and the
// constant-time comparison are node:crypto's); the secret is sealed at rest (secret-box.ts).
// A step is accepted once per factor: `claimStep` is ONE conditional UPDATE whose affected-row
// count decides, so two requests with the same code cannot both win.
import type { Kysely } from 'kysely';
import { Secret, TOTP } from 'otpauth';
import type { Database } from '../db/schema';
import { affectedRows } from '../db/errors';
import { newId } from '../ids';
import { open, seal } from './secret-box';

export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** Steps accepted either side of the current one: clocks drift, people type slowly. */
const WINDOW = 1;
/** 160 bits, RFC 4226's recommendation for HMAC-SHA-1. */
const SECRET_BYTES = 20;

const PARAMETERS = { algorithm: 'SHA1', digits: TOTP_DIGITS, period: TOTP_PERIOD_SECONDS } as const;

/** A new random secret, base32 (what authenticator apps take). */
export function newTotpSecret(): string {
	return new Secret({ size: SECRET_BYTES }).base32;
}

/** The `otpauth://` URI an authenticator app reads from the QR code. */
export function totpUri(secret: string, issuer: string, account: string): string {
	return new TOTP({
		...PARAMETERS,
		issuer,
		label: account,
		secret: Secret.fromBase32(secret)
	}).toString();
}

/** The time step `at` falls in. */
export function stepAt(at: number): number {
	return Math.floor(at / 1000 / TOTP_PERIOD_SECONDS);
}

/** The code for a step (tests, and nothing else, need to make codes). */
export function codeForStep(secret: string, step: number): string {
	return TOTP.generate({
		...PARAMETERS,
		secret: Secret.fromBase32(secret),
		timestamp: step * TOTP_PERIOD_SECONDS * 1000
	});
}

/**
 * The step whose code `code` is, within one step of `at`'s; null when it is none of them. Says
 * nothing about whether the step was used before: that is `claimStep`'s.
 */
export function matchStep(secret: string, code: string, at: number): number | null {
	if (!/^\d+$/.test(code) || code.length !== TOTP_DIGITS) return null;
	const delta = TOTP.validate({
		...PARAMETERS,
		token: code,
		secret: Secret.fromBase32(secret),
		timestamp: at,
		window: WINDOW
	});
	return delta === null ? null : stepAt(at) + delta;
}

function sealFor(userId: string, secret: string): string {
	return seal('totp-secret', secret, userId);
}

/** The secret of a row, or null when it cannot be opened (AUTH_SECRET rotated, or tampered). */
export function openFor(userId: string, box: string): string | null {
	return open('totp-secret', box, userId);
}

export interface TotpFactor {
	id: string;
	secretBox: string;
	createdAt: number;
}

/** The account's confirmed authenticator, if any (one per account). */
export async function findConfirmedFactor(
	db: Kysely<Database>,
	userId: string
): Promise<(TotpFactor & { confirmedAt: number }) | undefined> {
	const row = await db
		.selectFrom('totp_factors')
		.select(['id', 'secret_box', 'created_at', 'confirmed_at'])
		.where('user_id', '=', userId)
		.where('confirmed_at', 'is not', null)
		.orderBy('confirmed_at', 'desc')
		.executeTakeFirst();
	return row
		? {
				id: row.id,
				secretBox: row.secret_box,
				createdAt: Number(row.created_at),
				confirmedAt: Number(row.confirmed_at)
			}
		: undefined;
}

/** The confirmed factor with its secret opened; none when there is none or it cannot be read. */
export async function findUsableFactor(
	db: Kysely<Database>,
	userId: string
): Promise<{ id: string; secret: string } | undefined> {
	const factor = await findConfirmedFactor(db, userId);
	const secret = factor ? openFor(userId, factor.secretBox) : null;
	return factor && secret !== null ? { id: factor.id, secret } : undefined;
}

/** A pending enrolment of the user by id, if it is still the current one and not too old. */
export async function findPendingFactor(
	db: Kysely<Database>,
	userId: string,
	id: string | null,
	notBefore: number
): Promise<TotpFactor | undefined> {
	let query = db
		.selectFrom('totp_factors')
		.select(['id', 'secret_box', 'created_at'])
		.where('user_id', '=', userId)
		.where('confirmed_at', 'is', null)
		.where('created_at', '>', notBefore);
	if (id !== null) query = query.where('id', '=', id);
	const row = await query.orderBy('created_at', 'desc').executeTakeFirst();
	return row
		? { id: row.id, secretBox: row.secret_box, createdAt: Number(row.created_at) }
		: undefined;
}

/** A new pending enrolment; any earlier pending one is gone (its secret can never be confirmed). */
export async function insertPendingFactor(
	trx: Kysely<Database>,
	userId: string,
	secret: string,
	now: number
): Promise<string> {
	await trx
		.deleteFrom('totp_factors')
		.where('user_id', '=', userId)
		.where('confirmed_at', 'is', null)
		.execute();
	const id = newId();
	await trx
		.insertInto('totp_factors')
		.values({ id, user_id: userId, secret_box: sealFor(userId, secret), created_at: now })
		.execute();
	return id;
}

/**
 * Confirms the pending enrolment `id` with the step of its first good code (which is then spent):
 * true for exactly one caller, false when it is no longer pending (replaced, removed, confirmed).
 */
export async function confirmPendingFactor(
	trx: Kysely<Database>,
	userId: string,
	id: string,
	step: number,
	now: number
): Promise<boolean> {
	const result = await trx
		.updateTable('totp_factors')
		.set({ confirmed_at: now, last_step: step })
		.where('id', '=', id)
		.where('user_id', '=', userId)
		.where('confirmed_at', 'is', null)
		.executeTakeFirst();
	return affectedRows(result) === 1;
}

/** Deletes the user's other factors (the one a new enrolment replaces); how many were confirmed. */
export async function deleteOtherFactors(
	trx: Kysely<Database>,
	userId: string,
	keepId: string
): Promise<number> {
	const result = await trx
		.deleteFrom('totp_factors')
		.where('user_id', '=', userId)
		.where('id', '!=', keepId)
		.where('confirmed_at', 'is not', null)
		.executeTakeFirst();
	return affectedRows(result);
}

/** Deletes every factor of the user, pending ones too; how many confirmed ones there were. */
export async function deleteAllFactors(trx: Kysely<Database>, userId: string): Promise<number> {
	const confirmed = await trx
		.deleteFrom('totp_factors')
		.where('user_id', '=', userId)
		.where('confirmed_at', 'is not', null)
		.executeTakeFirst();
	await trx.deleteFrom('totp_factors').where('user_id', '=', userId).execute();
	return affectedRows(confirmed);
}

/**
 * Spends `step` of the account's confirmed factor: ONE conditional UPDATE, true for exactly one
 * caller, and only when no later (or equal) step was accepted before. Runs inside the transaction
 * that promotes the session or refreshes step-up, so a rollback gives the step back.
 */
export async function claimStep(
	trx: Kysely<Database>,
	userId: string,
	factorId: string,
	step: number
): Promise<boolean> {
	const result = await trx
		.updateTable('totp_factors')
		.set({ last_step: step })
		.where('id', '=', factorId)
		.where('user_id', '=', userId)
		.where('confirmed_at', 'is not', null)
		.where((eb) => eb.or([eb('last_step', 'is', null), eb('last_step', '<', step)]))
		.executeTakeFirst();
	return affectedRows(result) === 1;
}

/** What an admin sees of an account's authenticator: dates only, never the secret. */
export interface TotpFactorSummary {
	confirmedAt: number;
	/**
	 * When the last accepted code's time step began (sign-in, step-up, or the code that confirmed
	 * the setup): each step is spent once, so it is the last use, to within a step.
	 */
	lastUsedAt: number | null;
	/** False when the sealed secret cannot be opened (AUTH_SECRET rotated): its codes fail. */
	usable: boolean;
}

/** The confirmed authenticator's dates and whether it still works, or null when there is none. */
export async function summarizeConfirmedFactor(
	db: Kysely<Database>,
	userId: string
): Promise<TotpFactorSummary | null> {
	const row = await db
		.selectFrom('totp_factors')
		.select(['confirmed_at', 'last_step', 'secret_box'])
		.where('user_id', '=', userId)
		.where('confirmed_at', 'is not', null)
		.orderBy('confirmed_at', 'desc')
		.executeTakeFirst();
	if (!row) return null;
	return {
		confirmedAt: Number(row.confirmed_at),
		lastUsedAt: row.last_step === null ? null : Number(row.last_step) * TOTP_PERIOD_SECONDS * 1000,
		// Opened only to learn whether it can be; the secret goes no further than this line.
		usable: openFor(userId, row.secret_box) !== null
	};
}
