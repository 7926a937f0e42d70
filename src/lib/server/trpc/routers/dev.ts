import { noInputSchema } from '../../../schemas/no-input';
import { listDevOutbox } from '../../services/dev-outbox';
import { publicProcedure, router } from '../init';

export const devRouter = router({
	outbox: publicProcedure
		.meta({
			description:
				'The latest 50 dev outbox messages, newest first (development with no SMTP only).'
		})
		.input(noInputSchema)
		.query(({ ctx }) => listDevOutbox(ctx.deps))
});
