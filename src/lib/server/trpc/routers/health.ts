import { noInputSchema } from '../../../schemas/no-input';
import { checkHealth } from '../../services/health';
import { publicProcedure } from '../init';

export const healthProcedure = publicProcedure
	.meta({ description: 'Liveness and database round trip.' })
	.input(noInputSchema)
	.query(({ ctx }) => checkHealth(ctx.deps, ctx.dialect));
