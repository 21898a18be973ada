// The tour page's embed code: a "Copy code" button (without JavaScript the code can still be
// selected in its read-only text field).
const code = document.getElementById("embed-code");
const button = document.getElementById("embed-copy");
const status = document.getElementById("embed-copy-status");

if (code && button && navigator.clipboard) {
  button.hidden = false;
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(code.value);
      status.textContent = button.dataset.done;
    } catch {
      // Clipboard refused (permissions): select the text so a long press or Ctrl+C copies it.
      code.focus();
      code.select();
    }
  });
}
code?.addEventListener("focus", () => code.select());
