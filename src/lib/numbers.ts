// Counts as the admin shows them: digits grouped by thousands with commas, the same for every
// viewer. Plain string work rather than `toLocaleString('en')`: on the server, Intl's number
// formatting maps about 4 MB more of Node's ICU data into every process that renders one.

/** `'1234567'` -> `'1,234,567'`: a whole number's digits (a leading sign is kept). */
export function groupThousands(whole: string): string {
	return whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** `12345` -> `'12,345'`. */
export function formatCount(count: number): string {
	return groupThousands(String(count));
}
