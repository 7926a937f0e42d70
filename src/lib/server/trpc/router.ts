import { createCallerFactory, router } from './init';
import { accountRouter } from './routers/account';
import { apiTokensRouter } from './routers/api-tokens';
import { auditRouter } from './routers/audit';
import { backupTokensRouter } from './routers/backup-tokens';
import { securityKeysRouter } from './routers/security-keys';
import { sessionsRouter } from './routers/sessions';
import { totpRouter } from './routers/totp';
import { twoFactorRouter } from './routers/two-factor';
import { usersRouter } from './routers/users';
import { authRouter } from './routers/auth';
import { devRouter } from './routers/dev';
import { emailChangeRouter } from './routers/email-change';
import { healthProcedure } from './routers/health';
import { setupRouter } from './routers/setup';
import { invitationsRouter } from './routers/invitations';
import { resourceCatalogProcedure } from './routers/resource-catalog';
import { resourcesRouter } from './routers/resources';

export const appRouter = router({
	health: healthProcedure,
	auth: authRouter,
	account: accountRouter,
	users: usersRouter,
	twoFactor: twoFactorRouter,
	totp: totpRouter,
	backupTokens: backupTokensRouter,
	securityKeys: securityKeysRouter,
	apiTokens: apiTokensRouter,
	sessions: sessionsRouter,
	audit: auditRouter,
	resources: resourcesRouter,
	resourceCatalog: resourceCatalogProcedure,
	setup: setupRouter,
	emailChange: emailChangeRouter,
	invitations: invitationsRouter,
	dev: devRouter
});

export type AppRouter = typeof appRouter;

/** Server-side caller for `load` functions, form actions and tests: same middleware, no HTTP. */
export const createCaller = createCallerFactory(appRouter);
