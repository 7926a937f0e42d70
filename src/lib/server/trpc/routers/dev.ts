import { TRPCError } from '@trpc/server';
import { noInputSchema } from '../../../schemas/no-input';
import { getConfig } from '../../config';
import { isDevServer } from '../../dev-server';
import { listOutbox } from '../../mail';
import { publicProcedure, router } from '../init';

export const devRouter = router({
	outbox: publicProcedure
		.meta({
			description:
				'The latest 50 dev outbox messages, newest first (development with no SMTP only).'
		})
		.input(noInputSchema)
		.query(async ({ ctx }) => {
			// It shows sign-in codes to anyone: only on the dev server (never in a build, whatever
			// NODE_ENV says), never with real mail, never with NODE_ENV=production.
			if (!isDevServer() || ctx.mailer.transport !== 'outbox' || getConfig().env === 'production') {
				throw new TRPCError({ code: 'NOT_FOUND', message: 'Not found' });
			}
			// A bounded list by design (the page says "the latest 50"): old codes are useless.
			return listOutbox(ctx.db, 50);
		})
});
