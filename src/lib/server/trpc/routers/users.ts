import { z } from 'zod';
import { roleCan } from '../../../permissions';
import { newPasswordSchema } from '../../../schemas/auth';
import {
	createUserSchema,
	idSchema,
	inviteUserSchema,
	profileSchema,
	resetFactorsSchema,
	roleSchema,
	userListSchema
} from '../../../schemas/users';
import { listAudit } from '../../services/audit';
import { ForbiddenError } from '../../errors';
import {
	deleteUser,
	setActive,
	setPassword,
	setRole,
	unlockUser,
	updateProfile
} from '../../services/user-admin';
import { findUserByName, getUserDetail, listUsers } from '../../services/user-directory';
import { getUserFactors, resetUserFactors } from '../../services/user-factors';
import { createUser } from '../../services/users';
import { sendPasswordResetFor } from '../../services/password-reset';
import { cancelEmailChange } from '../../services/email-change';
import { actorOf, linkOriginOf, requireLinkOriginOf } from '../actor';
import {
	inviteUser,
	resendInvitation,
	revokeInvitation,
	roleOfUser
} from '../../services/invitations';
import { auditSubjects } from '../audit-subjects';
import {
	adminProcedure,
	adminStepUpProcedure,
	assertStepUp,
	humanAdminProcedure,
	router,
	verifiedProcedure
} from '../init';
import { requirePermission } from '../scopes';

const SELF_OR_USERS =
	"an API token needs `account.read` for its owner's own, `users.read` for anyone else's";

/** Someone else's user: admins only, and a token of theirs needs `users.read`. */
function requireOtherUser(ctx: Parameters<typeof requirePermission>[0]): void {
	if (ctx.user.role !== 'admin') throw new ForbiddenError();
	requirePermission(ctx, 'users.read');
}

/** The request's URL, whose origin a mailed link uses when ORIGIN is unset; none for scripts. */
function requestUrlOf(ctx: { event: { url: URL } | null }): URL | null {
	return ctx.event?.url ?? null;
}

/** What a client learns of a sent invitation: when its link ends (the mail queue delivers it). */
function invitationOf(invitation: { expiresAt: Date }) {
	return { expiresAt: invitation.expiresAt };
}

export const usersRouter = router({
	list: adminProcedure
		.meta({ description: 'Users, filtered, sorted and paged.', scope: 'users.read' })
		.input(userListSchema)
		.query(({ ctx, input }) => listUsers(ctx.deps, input)),

	find: adminProcedure
		.meta({
			description: 'The user whose username or email is exactly this (any case), or null.',
			scope: 'users.read'
		})
		.input(z.strictObject({ name: z.string().trim().min(1).max(254) }))
		.query(({ ctx, input }) => findUserByName(ctx.deps, input.name)),

	get: verifiedProcedure
		.meta({
			description: 'One user (members: only themselves).',
			permission: SELF_OR_USERS,
			scope: ['account.read', 'users.read']
		})
		.input(z.strictObject({ id: idSchema }))
		.query(({ ctx, input }) => {
			if (input.id !== ctx.user.id) requireOtherUser(ctx);
			return getUserDetail(ctx.deps, input.id);
		}),

	history: verifiedProcedure
		.meta({
			description:
				"A user's audit trail (members: their own, without the address or browser of admins).",
			permission: SELF_OR_USERS,
			scope: ['account.read', 'users.read']
		})
		.input(z.strictObject({ id: idSchema, page: z.number().int().min(1).max(100_000).default(1) }))
		.query(async ({ ctx, input }) => {
			const isAdmin = ctx.user.role === 'admin';
			if (input.id !== ctx.user.id) requireOtherUser(ctx);
			const history = await listAudit(
				ctx.deps,
				{ userId: input.id, page: input.page, pageSize: 50 },
				auditSubjects
			);
			if (isAdmin) return history;
			// Members see where their own actions and sign-ins came from, never the address or
			// browser of the administrator who acted on their account; and the titles of rows only
			// of resources their role may read (it may have lost the grant since).
			const role = ctx.user.role;
			const entries = history.entries
				.map((entry) =>
					entry.actorId === null || entry.actorId === ctx.user.id
						? entry
						: { ...entry, ip: null, userAgent: null }
				)
				.map((entry) =>
					entry.subjectResource && !roleCan(role, `${entry.subjectResource.name}.read`)
						? { ...entry, subject: null }
						: entry
				);
			return { ...history, entries };
		}),

	factors: adminProcedure
		.meta({
			description:
				"A user's second factors: where codes go, the authenticator app, security keys, remembered devices and backup tokens left (dates and counts, never a secret or key).",
			scope: 'users.read'
		})
		.input(z.strictObject({ id: idSchema }))
		.query(({ ctx, input }) => getUserFactors(ctx.deps, input.id)),

	// Takes away ways in, but also lets whoever holds the password and the mailbox sign in with
	// email alone: a stolen session must not do it, so step-up and never a token. Admins may reset
	// their own, on the same terms (as they may mint their own backup tokens).
	resetFactors: adminStepUpProcedure
		.meta({
			description:
				"Removes a user's authenticator app and security keys (or the `kinds` named) and ends their remembered devices; mails the owner (needs a fresh code)."
		})
		.input(resetFactorsSchema)
		.mutation(({ ctx, input }) => resetUserFactors(ctx.deps, actorOf(ctx), input.id, input.kinds)),

	create: adminProcedure
		.meta({
			description:
				"Creates a user. Without a password, invites them instead (as `users.invite`). An admin only from a person's session with a fresh code, as for a role change.",
			scope: 'users.create'
		})
		.input(createUserSchema)
		.mutation(async ({ ctx, input }) => {
			// Tokens cannot change roles, so they cannot create an admin either.
			if (input.role === 'admin') assertStepUp(ctx);
			const { password, ...invitee } = input;
			if (password === undefined) {
				const invitation = await inviteUser(ctx.deps, invitee, actorOf(ctx), requestUrlOf(ctx));
				return { id: invitation.id, invitation: invitationOf(invitation) };
			}
			const id = await createUser(ctx.deps, { ...invitee, password }, actorOf(ctx));
			return { id, invitation: null };
		}),

	// What users.create does without a password; the same rules (an admin: step-up, no token).
	invite: adminProcedure
		.meta({
			description:
				"Creates a user without a password and mails them a link (72 h, single use) to choose one. An admin only from a person's session with a fresh code.",
			scope: 'users.create'
		})
		.input(inviteUserSchema)
		.mutation(async ({ ctx, input }) => {
			if (input.role === 'admin') assertStepUp(ctx);
			const invitation = await inviteUser(ctx.deps, input, actorOf(ctx), requestUrlOf(ctx));
			return { id: invitation.id, invitation: invitationOf(invitation) };
		}),

	// A new link to the address the account already has, so no token gains anything it could not
	// do with users.invite; an admin's account, as there, needs a person with a fresh code.
	resendInvitation: adminProcedure
		.meta({
			description:
				'Mails a new invitation link to a user who has no password yet; the previous link stops working. At most one a minute and 10 a day per user and address.',
			scope: 'users.create'
		})
		.input(z.strictObject({ id: idSchema }))
		.mutation(async ({ ctx, input }) => {
			if ((await roleOfUser(ctx.deps, input.id)) === 'admin') assertStepUp(ctx);
			const invitation = await resendInvitation(
				ctx.deps,
				actorOf(ctx),
				input.id,
				requestUrlOf(ctx)
			);
			return invitationOf(invitation);
		}),

	revokeInvitation: adminProcedure
		.meta({
			description:
				"Ends a user's live invitation link; the account stays, and nobody can sign in to it until it is invited again or given a password.",
			scope: 'users.update'
		})
		.input(z.strictObject({ id: idSchema }))
		.mutation(async ({ ctx, input }) => {
			await revokeInvitation(ctx.deps, actorOf(ctx), input.id);
			return { ok: true as const };
		}),

	// The email is where codes go when no separate two-factor address is set, and where notices
	// go: changing it moves someone's second factor, so it is a step-up change. A new email waits
	// for the link mailed to it (`emailChange` names the pending change); the username is at once.
	updateProfile: adminStepUpProcedure
		.meta({
			description:
				"Changes a user's username at once; a new email takes effect when the link mailed to it is opened (`emailChange`: the pending change, or null). Needs a fresh code."
		})
		.input(profileSchema)
		.mutation(async ({ ctx, input }) => {
			const { emailChange } = await updateProfile(
				ctx.deps,
				actorOf(ctx),
				input.id,
				input,
				linkOriginOf(ctx)
			);
			return { ok: true as const, emailChange };
		}),

	// Only takes a pending change away; a person's session (tokens have no business with links).
	cancelEmailChange: humanAdminProcedure
		.meta({
			description:
				"Cancels a user's pending email change (its link stops working); `cancelled` is false when none was pending."
		})
		.input(z.strictObject({ id: idSchema }))
		.mutation(({ ctx, input }) => cancelEmailChange(ctx.deps, actorOf(ctx), input.id)),

	setRole: adminStepUpProcedure
		.meta({ description: "Changes a user's role (needs a fresh code)." })
		.input(z.strictObject({ id: idSchema, role: roleSchema }))
		.mutation(async ({ ctx, input }) => {
			await setRole(ctx.deps, actorOf(ctx), input.id, input.role);
			return { ok: true as const };
		}),

	// Ends sessions and tokens as deleting does, so it needs what deleting needs.
	setActive: adminStepUpProcedure
		.meta({
			description:
				'Deactivates (ending their sessions and API tokens) or reactivates users (needs a fresh code).'
		})
		.input(z.strictObject({ ids: z.array(idSchema).min(1).max(100), active: z.boolean() }))
		.mutation(async ({ ctx, input }) => {
			await setActive(ctx.deps, actorOf(ctx), input.ids, input.active);
			return { ok: true as const };
		}),

	setPassword: adminStepUpProcedure
		.meta({
			description:
				"Sets a user's password, ending their sessions and API tokens (needs a fresh code)."
		})
		.input(z.strictObject({ id: idSchema, password: newPasswordSchema }))
		.mutation(async ({ ctx, input }) => {
			await setPassword(ctx.deps, actorOf(ctx), input.id, input.password);
			return { ok: true as const };
		}),

	// A link the person opens instead of a password the admin types and passes on. It still lets
	// whoever reads that mailbox (and holds the second factor) in, so step-up and never a token.
	sendPasswordReset: adminStepUpProcedure
		.meta({
			description:
				"Mails a user a password reset link (valid 30 minutes) instead of setting their password; limited per account like the user's own requests (needs a fresh code)."
		})
		.input(z.strictObject({ id: idSchema }))
		.mutation(async ({ ctx, input }) => {
			const siteOrigin = requireLinkOriginOf(ctx);
			return sendPasswordResetFor(ctx.deps, actorOf(ctx), input.id, siteOrigin);
		}),

	unlock: adminProcedure
		.meta({
			description: 'Unlocks an account locked after too many wrong codes.',
			scope: 'users.update'
		})
		.input(z.strictObject({ id: idSchema }))
		.mutation(async ({ ctx, input }) => {
			await unlockUser(ctx.deps, actorOf(ctx), input.id);
			return { ok: true as const };
		}),

	delete: adminStepUpProcedure
		.meta({ description: 'Deletes a user (needs a fresh code).' })
		.input(z.strictObject({ id: idSchema }))
		.mutation(async ({ ctx, input }) => {
			await deleteUser(ctx.deps, actorOf(ctx), input.id);
			return { ok: true as const };
		})
});
