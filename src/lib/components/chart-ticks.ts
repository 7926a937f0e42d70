// The y-axis of the dashboard's bar chart. Counts are whole numbers, so every tick is a distinct
// integer: rounding fractions of a small maximum (0.5 of 1) would print "1" twice.

export interface IntegerAxis {
	/** The value at the top of the chart: the highest tick, at least the largest count. */
	top: number;
	/** From 0 up to `top`, evenly spaced, distinct integers; at most five. */
	ticks: number[];
}

/** Ticks at 1, 2 or 5 times a power of ten, so that at most five cover `0..max`. */
export function integerAxis(max: number): IntegerAxis {
	const ceiling = Math.max(1, Math.ceil(max));
	let step = 1;
	if (ceiling > 4) {
		const rough = ceiling / 4;
		const magnitude = 10 ** Math.floor(Math.log10(rough));
		step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= rough) ?? 10 * magnitude;
	}
	const top = Math.ceil(ceiling / step) * step;
	return { top, ticks: Array.from({ length: top / step + 1 }, (_, i) => i * step) };
}
