// QR codes drawn on the server as one SVG path (uqr encodes), so a page shows them as an inline
// <svg> element: no script, no image request, no data: URL, nothing the Content-Security-Policy
// has to allow, and it works without JavaScript.
import { encode } from 'uqr';

export interface QrCode {
	/** Modules per side, quiet zone included: the SVG's viewBox is `0 0 size size`. */
	size: number;
	/** The dark modules, one unit square each, as path data. */
	path: string;
}

/** `text` as a QR code; error correction M, which phone cameras read well off a screen. */
export function qrCode(text: string): QrCode {
	const { size, data } = encode(text, { ecc: 'M', border: 2 });
	const squares: string[] = [];
	data.forEach((row, y) =>
		row.forEach((dark, x) => {
			if (dark) squares.push(`M${x} ${y}h1v1h-1z`);
		})
	);
	return { size, path: squares.join('') };
}
