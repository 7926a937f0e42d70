// npm run static-token -- <username> [--count N]: django-otp's addstatictoken. Prints the new
// backup tokens one a line and nothing else on stdout, so the output can be piped or saved;
// notices go to stderr. The database keeps only keyed hashes: this is the one time they show.
import './load-env';
import { parseArgs } from 'node:util';
import { usernameSchema } from '../src/lib/schemas/auth';
import { getPolicy } from '../src/lib/server/auth/policy';
import { getConfigOrExit } from '../src/lib/server/config';
import { SYSTEM_ACTOR } from '../src/lib/server/services/actor';
import { addBackupTokens, countBackupTokens } from '../src/lib/server/services/backup-tokens';
import { findUserIdByUsername } from '../src/lib/server/services/users';
import { openScriptDeps } from './service-deps';

const USAGE =
	'usage: npm run static-token -- <username> [--count N]   (mints backup tokens for the user)';

interface Options {
	username: string;
	count: string | undefined;
}

/** The command line, or null after printing why it is not one we accept. */
function parseOptions(args: string[]): Options | null {
	try {
		const { values, positionals } = parseArgs({
			args,
			strict: true,
			allowPositionals: true,
			options: { count: { type: 'string' } }
		});
		const [username, ...extra] = positionals;
		if (username === undefined || extra.length > 0) return null;
		return { username, count: values.count };
	} catch (error) {
		// parseArgs throws only for arguments it does not accept (unknown flag, missing value).
		console.error(error instanceof Error ? error.message : error);
		return null;
	}
}

/** Plain digits only: `Number()` would also take ' 3', '3.0', '0x3' and '1e1'. */
function parseCount(
	value: string | undefined,
	defaultCount: number,
	maxCount: number
): number | null {
	if (value === undefined) return defaultCount;
	const count = /^\d{1,3}$/.test(value) ? Number(value) : 0;
	return count >= 1 && count <= maxCount ? count : null;
}

async function main(args: string[]): Promise<number> {
	const options = parseOptions(args);
	if (!options) {
		console.error(USAGE);
		return 2;
	}
	const config = getConfigOrExit();
	const { defaultCount, maxCount } = getPolicy().backupTokens;
	const count = parseCount(options.count, defaultCount, maxCount);
	if (count === null) {
		console.error(`--count: expected a whole number from 1 to ${maxCount}`);
		console.error(USAGE);
		return 2;
	}
	const parsed = usernameSchema.safeParse(options.username);
	if (!parsed.success) {
		console.error(`username: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
		return 1;
	}
	const username = parsed.data;

	const { deps, close } = openScriptDeps(config);
	try {
		const userId = await findUserIdByUsername(deps, username);
		if (!userId) {
			console.error(`no user named ${username}`);
			return 1;
		}
		// The owner is told by email, as for tokens minted in the app.
		const tokens = await addBackupTokens(deps, SYSTEM_ACTOR, userId, count);
		for (const token of tokens) console.log(token);
		const unused = await countBackupTokens(deps, userId);
		console.error(`${username} has ${unused} unused backup token(s); each works once`);
		return 0;
	} catch (error) {
		console.error(error instanceof Error ? error.message : error);
		return 1;
	} finally {
		await close();
	}
}

process.exitCode = await main(process.argv.slice(2));
