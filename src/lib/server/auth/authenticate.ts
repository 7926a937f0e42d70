// Who a request is: a session (cookie or bearer) or a personal API token (bearer only). The
// session hook fills `locals` with it, and tests build their callers' context the same way.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { recordApiTokenUse, validateApiToken } from './api-token-use';
import { looksLikeApiToken } from './api-tokens';
import type { AuthPolicy } from './policy';
import type { PresentedToken } from './session-cookie';
import { touchSession, validateSessionToken } from './session';
import type { ApiTokenInfo, SessionInfo, SessionUser } from './types';

export interface Authentication {
	user: SessionUser;
	session: SessionInfo;
	/**
	 * The raw session token, for the procedures that end, promote or step up this session. Null
	 * for an API token: it must never be taken for a session id by anything downstream.
	 */
	sessionToken: string | null;
	sessionTransport: 'cookie' | 'bearer';
	apiToken: ApiTokenInfo | null;
	/** A session's sliding expiry moved: send the cookie again. */
	renewed: boolean;
}

export interface RequestClient {
	/** Read only when an API token's use is recorded. */
	ip: () => string;
	userAgent: string | null;
}

/**
 * Validates what the request presented; records activity (throttled: at most one write a minute
 * per session or token). Null when the credential is unknown, expired or its user inactive.
 */
export async function authenticate(
	db: Kysely<Database>,
	presented: PresentedToken,
	lifetimes: AuthPolicy['session'],
	client: RequestClient,
	now = Date.now()
): Promise<Authentication | null> {
	if (presented.transport === 'bearer' && looksLikeApiToken(presented.token)) {
		const valid = await validateApiToken(db, presented.token, now);
		if (!valid) return null;
		await recordApiTokenUse(db, valid, { ip: client.ip(), userAgent: client.userAgent }, now);
		return {
			user: valid.user,
			// Verified for the tiers, but with no verified code: step-up tiers always refuse it.
			session: {
				publicId: valid.token.id,
				state: 'verified',
				expiresAt: valid.token.expiresAt,
				verifiedAt: null,
				lastSeenAt: valid.token.lastUsedAt,
				// A token made before its owner's role came under FACTOR_POLICY keeps working (README).
				enrolmentRequired: false
			},
			sessionToken: null,
			sessionTransport: 'bearer',
			apiToken: { id: valid.token.id, scopes: valid.token.scopes },
			renewed: false
		};
	}
	const valid = await validateSessionToken(db, presented.token, lifetimes);
	if (!valid) return null;
	await touchSession(db, presented.token, valid.session.lastSeenAt, now);
	return {
		user: valid.user,
		session: valid.session,
		sessionToken: presented.token,
		sessionTransport: presented.transport,
		apiToken: null,
		renewed: valid.renewed
	};
}

/** What `locals` (and so the tRPC context) hold for an authentication, or for nobody. */
export function localsOf(
	auth: Authentication | null
): Pick<App.Locals, 'user' | 'session' | 'sessionToken' | 'sessionTransport' | 'apiToken'> {
	if (!auth) {
		return {
			user: null,
			session: null,
			sessionToken: null,
			sessionTransport: null,
			apiToken: null
		};
	}
	return {
		user: auth.user,
		session: auth.session,
		sessionToken: auth.sessionToken,
		sessionTransport: auth.sessionTransport,
		apiToken: auth.apiToken
	};
}
