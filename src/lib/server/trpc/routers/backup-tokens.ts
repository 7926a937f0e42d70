import { z } from 'zod';
import { noInputSchema } from '../../../schemas/no-input';
import { backupTokenCountSchema, idSchema } from '../../../schemas/users';
import {
	countBackupTokens,
	mintBackupTokens,
	revokeBackupTokens
} from '../../services/backup-tokens';
import { actorOf } from '../actor';
import {
	adminProcedure,
	adminStepUpProcedure,
	humanAdminProcedure,
	humanProcedure,
	router,
	stepUpProcedure,
	verifiedProcedure
} from '../init';

export const backupTokensRouter = router({
	countMine: verifiedProcedure
		.meta({ description: 'How many unused backup tokens you have.', scope: 'account.read' })
		.input(noInputSchema)
		.query(async ({ ctx }) => ({ remaining: await countBackupTokens(ctx.deps, ctx.user.id) })),

	// Step-up: a stolen session must not mint itself a way in (and tokens minted now never
	// refresh this session's step-up: see verifyStepUp).
	generateMine: stepUpProcedure
		.meta({
			description:
				'A new set of backup tokens for yourself, replacing unused ones; shown once (needs a fresh code).'
		})
		.input(z.strictObject({ count: backupTokenCountSchema }))
		.mutation(async ({ ctx, input }) => ({
			tokens: await mintBackupTokens(ctx.deps, actorOf(ctx), ctx.user.id, input.count)
		})),

	revokeMine: humanProcedure
		.meta({ description: 'Revokes all your unused backup tokens.' })
		.input(noInputSchema)
		.mutation(async ({ ctx }) => {
			await revokeBackupTokens(ctx.deps, actorOf(ctx), ctx.user.id);
			return { ok: true as const };
		}),

	countFor: adminProcedure
		.meta({
			description: 'How many unused backup tokens a user has.',
			scope: 'backupTokens.read'
		})
		.input(z.strictObject({ userId: idSchema }))
		.query(async ({ ctx, input }) => ({
			remaining: await countBackupTokens(ctx.deps, input.userId)
		})),

	generateFor: adminStepUpProcedure
		.meta({
			description:
				'A new set of backup tokens for a user, replacing their unused ones; shown once (needs a fresh code).'
		})
		.input(z.strictObject({ userId: idSchema, count: backupTokenCountSchema }))
		.mutation(async ({ ctx, input }) => ({
			tokens: await mintBackupTokens(ctx.deps, actorOf(ctx), input.userId, input.count)
		})),

	revokeFor: humanAdminProcedure
		.meta({ description: "Revokes all of a user's backup tokens." })
		.input(z.strictObject({ userId: idSchema }))
		.mutation(async ({ ctx, input }) => {
			await revokeBackupTokens(ctx.deps, actorOf(ctx), input.userId);
			return { ok: true as const };
		})
});
