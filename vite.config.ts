import { sveltekit } from '@sveltejs/kit/vite';
import tailwindcss from '@tailwindcss/vite';
import { existsSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

// `npm run dev` reads .env, as the CLI scripts do (variables already set win); tests never do,
// and the production server reads its real environment only.
if (!process.env.VITEST && existsSync('.env')) process.loadEnvFile('.env');

export default defineConfig({
	plugins: [tailwindcss(), sveltekit()],
	build: {
		// Rolldown reports plugins that take a large share of the build; SvelteKit's own
		// writeBundle (the server build and prerendering) always does, so the report is noise.
		rolldownOptions: { checks: { bundlerTimings: false } }
	},
	test: {
		// Each tier is a project so `npm run test:unit` etc. can run one alone.
		// Integration and e2e files start servers and browsers: two at a time fit two cores.
		maxWorkers: 2,
		projects: [
			{
				extends: true,
				test: {
					name: 'unit',
					include: ['tests/unit/**/*.test.ts'],
					environment: 'node'
				}
			},
			{
				extends: true,
				test: {
					name: 'integration',
					include: ['tests/integration/**/*.test.ts'],
					environment: 'node',
					testTimeout: 30_000,
					hookTimeout: 60_000
				}
			},
			{
				// Attacks, races and faults against the API and the production build: each test
				// names the attack and its expected outcome; `npm test` prints them as a summary.
				extends: true,
				test: {
					name: 'security',
					include: ['tests/security/**/*.test.ts'],
					environment: 'node',
					testTimeout: 60_000,
					hookTimeout: 120_000
				}
			},
			{
				// Two app instances on the two nodes of a Galera cluster (scripts/galera.sh): the
				// single-use and limit rules under commit-time conflicts. One file at a time, since
				// a test may stop a node.
				extends: true,
				test: {
					name: 'cluster',
					include: ['tests/cluster/**/*.test.ts'],
					environment: 'node',
					globalSetup: ['tests/cluster/global-setup.ts'],
					fileParallelism: false,
					testTimeout: 120_000,
					hookTimeout: 180_000
				}
			},
			{
				extends: true,
				test: {
					name: 'e2e',
					include: ['tests/e2e/**/*.test.ts'],
					environment: 'node',
					testTimeout: 30_000,
					hookTimeout: 60_000
				}
			}
		]
	}
});
