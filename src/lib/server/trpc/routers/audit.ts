import { noInputSchema } from '../../../schemas/no-input';
import { auditListSchema } from '../../../schemas/users';
import { AUDIT_EVENTS, listAudit, type AuditEvent } from '../../services/audit';
import { getDashboard } from '../../services/dashboard';
import { InvalidRequestError } from '../../errors';
import { adminProcedure, router } from '../init';

export const auditRouter = router({
	list: adminProcedure
		.meta({
			description:
				'The audit log, newest first, by event, user and time; counts stop 10,000 past the page.'
		})
		.input(auditListSchema)
		.query(({ ctx, input }) => {
			if (input.event !== undefined && !AUDIT_EVENTS.includes(input.event as AuditEvent)) {
				throw new InvalidRequestError('Unknown event');
			}
			return listAudit(ctx.deps, { ...input, event: input.event as AuditEvent | undefined });
		}),

	events: adminProcedure
		.meta({ description: 'The kinds of audit events.' })
		.input(noInputSchema)
		.query(() => AUDIT_EVENTS),

	dashboard: adminProcedure
		.meta({ description: 'Counts, the 8 most recent events and sign-ins per day for two weeks.' })
		.input(noInputSchema)
		.query(({ ctx }) => getDashboard(ctx.deps))
});
