import { clsx, type ClassValue } from 'clsx';

/**
 * Class names joined. A component's own look is a class of app.css's components layer (`.btn`,
 * `.card`, `.input`), so a utility the caller adds wins over it by the cascade, with no
 * class-merging library (tailwind-merge was a quarter of the login page's JavaScript).
 */
export function cn(...inputs: ClassValue[]): string {
	return clsx(inputs);
}
