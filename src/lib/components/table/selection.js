// @ts-check
// Row selection on the list pages. Those pages are server-rendered only (`csr = false`): they send
// no hydration data, so no row leaves the server twice (once as HTML, again as data). The little
// they do in the browser is here, on the DOM the server sent: "n selected", the header checkbox
// that ticks the whole page, and bulk buttons that wait for a selection. Without JavaScript the
// checkboxes still post and the buttons stay enabled (the server answers an empty selection).
//
// Markup contract (DataTable.svelte writes it): a `<form data-selection="<field name>">` holds the
// rows' `<input type="checkbox" name="<field name>">`, one `[data-select-all]` checkbox, optional
// `[data-selection-count]` (its `data-none` is the text for nothing selected) and
// `[data-needs-selection]` buttons. Loaded once per page (plain file, served as it is).

/** @param {HTMLFormElement} form */
function rowBoxes(form) {
	return /** @type {HTMLInputElement[]} */ ([
		...form.querySelectorAll(`input[type="checkbox"][name="${form.dataset.selection}"]`)
	]);
}

/** Brings the header checkbox, the count and the buttons in line with the ticked rows. */
/** @param {HTMLFormElement} form */
function refresh(form) {
	const boxes = rowBoxes(form);
	const ticked = boxes.filter((box) => box.checked).length;
	const all = form.querySelector('input[data-select-all]');
	if (all instanceof HTMLInputElement) {
		all.checked = ticked > 0 && ticked === boxes.length;
		all.indeterminate = ticked > 0 && ticked < boxes.length;
	}
	const count = form.querySelector('[data-selection-count]');
	if (count instanceof HTMLElement) {
		count.textContent = ticked ? `${ticked} selected` : (count.dataset.none ?? '');
	}
	for (const button of form.querySelectorAll('button[data-needs-selection]')) {
		/** @type {HTMLButtonElement} */ (button).disabled = ticked === 0;
	}
}

document.addEventListener('change', (event) => {
	const input = event.target;
	if (!(input instanceof HTMLInputElement) || input.type !== 'checkbox') return;
	const form = input.form;
	if (!form?.dataset.selection) return;
	if (input.hasAttribute('data-select-all')) {
		for (const box of rowBoxes(form)) box.checked = input.checked;
	}
	refresh(form);
});

// The back button can bring a page back with boxes still ticked: start from what it shows.
for (const form of document.querySelectorAll('form[data-selection]')) {
	refresh(/** @type {HTMLFormElement} */ (form));
}
