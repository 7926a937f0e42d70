import { listUserSessions } from '../../auth/session';
import { verifiedProcedure, router } from '../init';

export const accountRouter = router({
	sessions: verifiedProcedure
		.meta({ description: 'Your live sessions, newest first.' })
		.query(({ ctx }) =>
			listUserSessions(ctx.db, ctx.user.id, ctx.session.publicId, ctx.policy.session)
		)
});
