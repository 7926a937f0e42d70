import { createCallerFactory, router } from './init';
import { healthProcedure } from './routers/health';

export const appRouter = router({
	health: healthProcedure
});

export type AppRouter = typeof appRouter;

/** Server-side caller for `load` functions, form actions and tests: same middleware, no HTTP. */
export const createCaller = createCallerFactory(appRouter);
