import { noInputSchema } from '../../../schemas/no-input';
import { auditListSchema } from '../../../schemas/users';
import { InvalidFieldsError } from '../../errors';
import { resources } from '../../resources/registry';
import { AUDIT_EVENTS, listAudit } from '../../services/audit';
import { getDashboard } from '../../services/dashboard';
import { auditSubjects } from '../audit-subjects';
import { adminProcedure, router } from '../init';

export const auditRouter = router({
	list: adminProcedure
		.meta({
			description:
				'The audit log, newest first, by event, user, resource and time; counts stop 10,000 past the page.',
			scope: 'audit.read'
		})
		// The schema's event enum is AUDIT_EVENTS: an unknown event is a 400 before any query.
		.input(auditListSchema)
		.query(({ ctx, input }) => {
			if (input.resource !== undefined && !Object.hasOwn(resources, input.resource)) {
				throw new InvalidFieldsError({ resource: 'Unknown resource' });
			}
			return listAudit(ctx.deps, input, auditSubjects);
		}),

	events: adminProcedure
		.meta({ description: 'The kinds of audit events.', scope: 'audit.read' })
		.input(noInputSchema)
		.query(() => AUDIT_EVENTS),

	dashboard: adminProcedure
		.meta({
			description:
				'Counts, the 8 most recent events, sign-ins per day for two weeks, and the mail queue (waiting, failed, the newest failures).',
			scope: 'audit.read'
		})
		.input(noInputSchema)
		.query(({ ctx }) => getDashboard(ctx.deps, auditSubjects))
});
