import type { Cookies } from '@sveltejs/kit';

export const THEMES = ['system', 'light', 'dark'] as const;
export type Theme = (typeof THEMES)[number];

export function themeOf(cookies: Cookies): Theme {
	const value = cookies.get('theme');
	return THEMES.includes(value as Theme) ? (value as Theme) : 'system';
}
