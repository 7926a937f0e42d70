// A form field that carries JSON (a security key's answer, which the page's script puts in a
// hidden field). Unreadable JSON becomes `null`, which the procedure's schema refuses as bad input.
export function jsonField(value: string): unknown {
	try {
		return JSON.parse(value);
	} catch {
		return null;
	}
}
