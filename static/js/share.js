// Place page: share with the phone's own share sheet (Web Share API), or copy the link;
// and send a report to the curators without leaving the page.
import { readJson } from "/static/js/helpers.js";

const STRINGS = readJson("share-strings") || {};

for (const box of document.querySelectorAll("[data-share]")) {
  const native = box.querySelector("[data-share-native]");
  const copy = box.querySelector("[data-share-copy]");
  const status = box.querySelector("[data-share-status]");
  const input = box.querySelector(".share-link");
  const data = { title: box.dataset.title, url: box.dataset.url };
  if (navigator.share && (!navigator.canShare || navigator.canShare(data))) {
    native.hidden = false;
    native.addEventListener("click", async () => {
      try {
        await navigator.share(data);
      } catch {
        // Closing the share sheet is not an error worth a message.
      }
    });
  }
  copy.hidden = false;
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(data.url);
      status.textContent = STRINGS.copied;
    } catch {
      input.focus();
      input.select();
      status.textContent = STRINGS.copyFailed;
    }
  });
}

for (const form of document.querySelectorAll("[data-report]")) {
  const status = form.querySelector("[data-report-status]");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const fields = new FormData(form);
    try {
      // The curators' flag endpoint (DESIGN.md: POST /api/v1/flags).
      const response = await fetch(form.dataset.api, {
        method: "POST",
        body: JSON.stringify({
          place_id: Number(form.dataset.placeId),
          reason: fields.get("reason"),
          message: fields.get("message") || "",
        }),
        credentials: "same-origin",
        headers: {
          Accept: "application/json",
          "Content-Type": "application/json",
          "X-CSRFToken": fields.get("csrf_token"),
        },
      });
      const answer = await response.json().catch(() => ({}));
      if (!response.ok) throw new Error(answer?.error?.message || STRINGS.reportFailed);
      status.textContent = STRINGS.reported;
      form.reset();
    } catch (error) {
      status.textContent = error.message || STRINGS.reportFailed;
    }
  });
}
