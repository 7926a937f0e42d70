// The icons the app draws: Lucide's names (lucide.dev/icons). `npm run icons` makes one sprite of
// them (src/lib/assets/icons.svg); Icon.svelte points into it. Add a name here, then run it.
export const ICON_NAMES = [
	'activity',
	'arrow-down',
	'arrow-left',
	'arrow-up',
	'copy',
	'download',
	'fingerprint-pattern',
	'inbox',
	'key-round',
	'layout-dashboard',
	'log-in',
	'log-out',
	'mail-check',
	'monitor',
	'moon',
	'plus',
	'scroll-text',
	'search',
	'shield-check',
	'smartphone',
	'sun',
	'table-2',
	'trash',
	'user-plus',
	'user-round',
	'users',
	'x'
] as const;

export type IconName = (typeof ICON_NAMES)[number];
