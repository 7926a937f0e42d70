import { TRPCError } from '@trpc/server';
import { noInputSchema } from '../../../schemas/no-input';
import { getConfig } from '../../config';
import { listOutbox } from '../../mail';
import { publicProcedure, router } from '../init';

export const devRouter = router({
	outbox: publicProcedure
		.meta({ description: 'Dev outbox messages, newest first (development with no SMTP only).' })
		.input(noInputSchema)
		.query(async ({ ctx }) => {
			// It shows sign-in codes to anyone: never with real mail, never in production.
			if (ctx.mailer.transport !== 'outbox' || getConfig().env === 'production') {
				throw new TRPCError({ code: 'NOT_FOUND', message: 'Not found' });
			}
			return listOutbox(ctx.db, 50);
		})
});
