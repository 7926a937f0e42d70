// The example resource: feature flags, what an internal admin has and other tools read over the
// API (a deploy script asks whether a flag is on; a person turns it off from the list). It uses
// every field kind, so it doubles as the reference for writing a definition. Remove it by
// deleting this file, its line in registry.ts and its migration (README: "Using this template").
import {
	boolean,
	choice,
	computed,
	date,
	datetime,
	decimal,
	integer,
	longText,
	readOnly,
	reference,
	text
} from './fields';
import { defineResource } from './define';

export default defineResource({
	name: 'featureFlags',
	table: 'feature_flags',
	title: 'key',
	description: 'Switches that turn features on per environment, read by deploy scripts and apps.',
	fields: {
		key: text({ max: 64, unique: true, hint: 'What code asks for, e.g. new-billing-page' }),
		enabled: boolean(),
		rollout: decimal({ scale: 1, min: 0, max: 100, default: '100.0', hint: 'Percent of users' }),
		environment: choice(['dev', 'staging', 'production'], { default: 'dev' }),
		owner: reference('users', { optional: true, column: 'owner_id', hint: 'Who to ask' }),
		minBuild: integer({ min: 0, optional: true, hint: 'Oldest app build that sees it' }),
		description: longText({ optional: true, max: 2000 }),
		reviewBy: date({ optional: true, hint: 'When to decide whether it can go' }),
		expiresAt: datetime({ optional: true, label: 'Expires at (UTC)' }),
		evaluations: readOnly(integer({ default: 0, hint: 'Counted by the apps that read it' })),
		status: computed((row) => {
			if (row.expiresAt instanceof Date && row.expiresAt.getTime() <= Date.now()) return 'expired';
			return row.enabled ? 'on' : 'off';
		})
	},
	list: {
		columns: ['key', 'status', 'environment', 'rollout', 'owner', 'updatedAt'],
		search: ['key', 'description'],
		filters: ['environment', 'enabled', 'owner'],
		sort: ['key', 'environment', 'rollout', 'updatedAt', 'createdAt'],
		defaultSort: '-updatedAt',
		pageSize: 50
	},
	stepUp: ['delete'],
	actions: {
		enable: { label: 'Turn on', bulk: true, set: { enabled: true } },
		disable: {
			label: 'Turn off',
			bulk: true,
			confirm: 'Turn these flags off everywhere they are read?',
			set: { enabled: false }
		}
	}
});
