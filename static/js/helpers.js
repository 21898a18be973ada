// Small helpers every page module shares (imported as "/static/js/helpers.js").

/**
 * Fill the {name} placeholders of a translated message: fmt("{n} of {total}", {n: 2, total: 8}).
 * A value that is null or undefined becomes empty; a placeholder without a value stays as it
 * is, so a missing one shows in the page instead of vanishing.
 */
export function fmt(template, values) {
  return String(template).replace(/\{(\w+)\}/g, (match, key) =>
    key in values ? String(values[key] ?? "") : match,
  );
}

/** The parsed JSON of a <script type="application/json" id="..."> data block, or null. */
export function readJson(id) {
  const el = document.getElementById(id);
  return el ? JSON.parse(el.textContent) : null;
}
