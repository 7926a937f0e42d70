// CSV as spreadsheets read it (RFC 4180): fields quoted when they hold a quote, comma or line
// break, quotes doubled, CRLF between records. A cell that starts with = + - @ tab or CR gets a
// leading ' so that Excel, LibreOffice and Sheets show it as text instead of running it as a
// formula (OWASP "CSV injection"): exported data is typed by people and must not become code on
// the machine of whoever opens the file.

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/** One field, safe to open in a spreadsheet. */
export function csvField(value: string): string {
	const text = FORMULA_START.test(value) ? `'${value}` : value;
	return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One record, CRLF-terminated. */
export function csvRecord(values: readonly string[]): string {
	return values.map(csvField).join(',') + '\r\n';
}
