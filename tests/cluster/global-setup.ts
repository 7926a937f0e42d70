// The cluster tier's two-node Galera cluster (scripts/galera.sh), started once for the tier and
// stopped after it. GALERA_URLS (two comma-separated MySQL URLs, one per node) points the tier at
// a cluster that is already running instead. Under CI a cluster that cannot start fails the tier;
// elsewhere the tier says loudly that it did not run.
import { execFileSync } from 'node:child_process';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
	export interface ProvidedContext {
		/** One MySQL URL per Galera node; empty when the tier does not run. */
		galeraUrls: string[];
	}
}

const isCI = process.env.CI === 'true' || process.env.CI === '1';

export default function setup(project: TestProject): (() => void) | undefined {
	const given = process.env.GALERA_URLS?.split(',').map((url) => url.trim());
	if (given) {
		project.provide('galeraUrls', given);
		return undefined;
	}
	let urls: string[];
	try {
		urls = execFileSync('bash', ['scripts/galera.sh', 'start'], {
			encoding: 'utf8',
			stdio: ['ignore', 'pipe', 'pipe']
		})
			.trim()
			.split('\n');
	} catch (error) {
		const reason = (error as { stderr?: string }).stderr?.trim() || String(error);
		if (isCI) throw new Error(`CANNOT RUN the cluster tier: ${reason}`, { cause: error });
		console.warn(`\n*** NOT RUN: the cluster tier (tests/cluster) needs Galera: ${reason} ***\n`);
		project.provide('galeraUrls', []);
		return undefined;
	}
	project.provide('galeraUrls', urls);
	return () => {
		execFileSync('bash', ['scripts/galera.sh', 'stop'], { stdio: 'inherit' });
	};
}
