// The README.md of the client package (`npm run client:pack`): how to install it, sign in and
// name the types, and the router's namespaces listed from the router itself, so that the list
// changes with the procedures.
import { format, resolveConfig } from 'prettier';
import type { ProcedureDoc } from './api-reference';

export interface ClientReadme {
	/** The package's name and version. */
	name: string;
	version: string;
	/** The app's package name, which the client belongs to. */
	appName: string;
	procedures: ProcedureDoc[];
}

export async function renderClientReadme({
	name,
	version,
	appName,
	procedures
}: ClientReadme): Promise<string> {
	const namespaces = new Map<string, ProcedureDoc[]>();
	for (const procedure of procedures) {
		const [namespace = procedure.path] = procedure.path.split('.');
		namespaces.set(namespace, [...(namespaces.get(namespace) ?? []), procedure]);
	}
	const tarball = `${name}-${version}.tgz`;
	const lines = [
		`# ${name}`,
		'',
		`The typed client for the API of **${appName}** ${version}: tRPC 10 over HTTP at \`/trpc\`,`,
		'with superjson. It was built by `npm run client:pack` from the router of that version, so its',
		'types are what that server takes and answers.',
		'',
		'## Install',
		'',
		'```sh',
		`npm install ../path/to/${tarball}`,
		`# or, once published to your private registry: npm install ${name}`,
		'```',
		'',
		'It brings `@trpc/client`, `@trpc/server` (for its types) and `superjson`. It runs on Node 18 or',
		'newer (it uses the global `fetch`), Deno, Bun or a browser. Its declarations name `fetch`',
		'types (`RequestInit`, `Response`): TypeScript finds them in `@types/node` or the `dom` lib.',
		'',
		'## With an API token',
		'',
		'Create a personal API token in the app (_My account -> API tokens_; it is shown once) and give',
		'it to the tool through its environment, never in code:',
		'',
		'```ts',
		`import { createAdminClient } from '${name}';`,
		'',
		'const api = createAdminClient({',
		"\turl: 'https://admin.example.com',",
		'\ttoken: process.env.ADMIN_API_TOKEN!',
		'});',
		"const { users, total } = await api.users.list.query({ search: 'ali' });",
		'```',
		'',
		'The token travels as `Authorization: Bearer <token>`. Its scopes decide what it may call (a',
		'`read` token runs queries only); no token reaches `apiTokens.*`, password, two-factor or',
		"step-up procedures, which need a person. `url` is the app's origin (`/trpc` is added), and",
		'`fetch` takes your own fetch (a proxy, extra headers). Calls made in the same tick travel in',
		'one batch.',
		'',
		'## A person signing in',
		'',
		'`signInInteractively` runs the password step, then asks `readCode` for the emailed code (or a',
		"backup token), and returns a client of the person's verified session:",
		'',
		'```ts',
		"import { createInterface } from 'node:readline/promises';",
		`import { signInInteractively } from '${name}';`,
		'',
		'const terminal = createInterface({ input: process.stdin, output: process.stderr });',
		"const api = await signInInteractively('https://admin.example.com', {",
		'\tusername,',
		'\tpassword,',
		"\treadCode: (login) => terminal.question(`Code sent to ${login.email ?? 'your address'}: `)",
		'});',
		'await api.auth.me.query();',
		'await api.auth.logout.mutate(); // ends the session when the tool is done',
		'```',
		'',
		'`trpcUrl(origin)` gives the endpoint, for other HTTP clients.',
		'',
		'## Types',
		'',
		'`RouterInputs` and `RouterOutputs` name what every procedure takes and answers, by path;',
		'`AdminClient` is the client type, `AppRouter` the router type (for `@trpc/client` directly).',
		'',
		'```ts',
		`import type { AdminClient, RouterInputs, RouterOutputs } from '${name}';`,
		'',
		"type UserQuery = RouterInputs['users']['list'];",
		"type UserSummary = RouterOutputs['users']['list']['users'][number];",
		'',
		'async function admins(api: AdminClient): Promise<UserSummary[]> {',
		"\tconst query: UserQuery = { role: 'admin', sort: 'username' };",
		'\treturn (await api.users.list.query(query)).users;',
		'}',
		'```',
		'',
		'## Errors',
		'',
		'A refused or failed call throws `TRPCClientError` (from `@trpc/client`): `error.data?.code` is',
		"tRPC's code (`UNAUTHORIZED`, `FORBIDDEN`, `NOT_FOUND`, `CONFLICT`, `TOO_MANY_REQUESTS`, ...),",
		'`error.data?.fieldErrors` the invalid fields, `error.data?.stepUpRequired` a request for a',
		'fresh code, and `error.data?.current` the row as it is now after a stale edit (`CONFLICT`).',
		'',
		'## Namespaces',
		'',
		"The router's top-level namespaces and their procedures (q: query, m: mutation). The app's",
		'`docs/API.md` describes each one: who may call it and its input.',
		'',
		...[...namespaces].map(
			([namespace, members]) =>
				`- \`${namespace}\`: ${members.map((p) => procedureItem(namespace, p)).join(', ')}`
		),
		''
	];
	const config = await resolveConfig('README.md');
	return format(lines.join('\n'), { ...config, parser: 'markdown' });
}

/** `users.list` in the `users` row: `list` (q); a lone procedure is its namespace. */
function procedureItem(namespace: string, procedure: ProcedureDoc): string {
	const name =
		procedure.path === namespace ? namespace : procedure.path.slice(namespace.length + 1);
	return `\`${name}\` (${procedure.kind === 'query' ? 'q' : procedure.kind === 'mutation' ? 'm' : 's'})`;
}
