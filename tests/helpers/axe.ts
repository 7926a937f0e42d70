// axe-core run inside a page, and its findings of serious or critical impact as readable lines:
// accessibility.test.ts runs it on every page, other suites on their own pages.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';

const AXE_SOURCE = readFileSync(resolve('node_modules/axe-core/axe.min.js'), 'utf8');
const BLOCKING = ['serious', 'critical'];

interface Violation {
	id: string;
	impact: string | null;
	help: string;
	nodes: Array<{ target: unknown[]; failureSummary?: string }>;
}

/** Runs axe-core in the page (through the devtools protocol, which the page's CSP allows). */
export async function axeViolations(page: Page): Promise<Violation[]> {
	await page.evaluate(AXE_SOURCE);
	const violations = await page.evaluate(async () => {
		const axe = (window as unknown as { axe: { run(): Promise<{ violations: Violation[] }> } }).axe;
		return (await axe.run()).violations;
	});
	return violations.filter((violation) => BLOCKING.includes(violation.impact ?? ''));
}

/** One line per failing element: rule id, impact, CSS target and axe's own summary. */
export function describeViolations(violations: Violation[]): string {
	return violations
		.flatMap((violation) =>
			violation.nodes.map(
				(node) =>
					`${violation.id} (${violation.impact}) ${JSON.stringify(node.target)}: ` +
					(node.failureSummary ?? violation.help).replace(/\s+/g, ' ')
			)
		)
		.join('\n');
}
