/**
 * True only under `vite dev`. Vite replaces `import.meta.env.DEV` with `false` when it builds the
 * app, so what this guards (the dev outbox, codes on the console) is not even in the production
 * build, whatever NODE_ENV or MAIL_TRANSPORT say. Scripts run by tsx have no `import.meta.env`.
 */
export function isDevServer(): boolean {
	return import.meta.env?.DEV === true;
}
