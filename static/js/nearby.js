// "Near me": the position is asked for only when the visitor chooses it, rounded to about
// 100 m before it leaves the phone (enough for a list of nearby places).
import { readJson } from "/static/js/helpers.js";

const STRINGS = readJson("nearby-strings") || {};

function locate() {
  return new Promise((resolve, reject) => {
    if (!("geolocation" in navigator)) {
      reject(Object.assign(new Error("unavailable"), { code: 2 }));
      return;
    }
    navigator.geolocation.getCurrentPosition(resolve, reject, { enableHighAccuracy: false, timeout: 15000, maximumAge: 60000 });
  });
}

function nearParam(position) {
  const { longitude, latitude } = position.coords;
  return `${longitude.toFixed(3)},${latitude.toFixed(3)}`;
}

function failure(error) {
  return error && error.code === 1 ? STRINGS.denied : STRINGS.failed;
}

// Home page: replace the list (nearest to the city centre) by the one nearest to me.
for (const section of document.querySelectorAll("[data-nearby]")) {
  const button = section.querySelector("[data-nearby-locate]");
  const status = section.querySelector("[data-nearby-status]");
  button.hidden = false;
  button.addEventListener("click", async () => {
    button.disabled = true;
    status.textContent = STRINGS.locating;
    try {
      const near = nearParam(await locate());
      const response = await fetch(`${section.dataset.endpoint}?near=${encodeURIComponent(near)}`, { credentials: "same-origin" });
      if (!response.ok) throw new Error(String(response.status));
      const html = await response.text();
      const fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-nearby-results]");
      section.querySelector("[data-nearby-results]").replaceWith(document.adoptNode(fresh));
      status.textContent = STRINGS.done;
    } catch (error) {
      status.textContent = failure(error);
    } finally {
      button.disabled = false;
    }
  });
}

// Search page: "nearest to me first" needs a position; ask for it when chosen or on submit.
for (const form of document.querySelectorAll("[data-search-form]")) {
  const near = form.querySelector("[data-near]");
  const radio = form.querySelector("[data-sort-distance]");
  const status = form.querySelector("[data-near-status]");
  async function fill() {
    status.textContent = STRINGS.locating;
    try {
      near.value = nearParam(await locate());
      status.textContent = STRINGS.done;
      return true;
    } catch (error) {
      status.textContent = failure(error);
      return false;
    }
  }
  radio?.addEventListener("change", () => {
    if (radio.checked && !near.value) fill();
  });
  form.addEventListener("submit", async (event) => {
    if (radio?.checked && !near.value) {
      event.preventDefault();
      await fill();
      form.submit();
    }
  });
}
