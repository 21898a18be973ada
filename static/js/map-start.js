// Starts the maps of a visitor page without holding the page up: Leaflet and its stylesheet
// (static/js/map.js) load once the page has been painted and a map is about to scroll into
// view, as the browser does for images with loading="lazy". Until then, and without
// JavaScript, the list next to every map carries the same places.
const containers = document.querySelectorAll("[data-map]");

function start() {
  import("/static/js/map.js");
}

if (containers.length) {
  if ("IntersectionObserver" in window) {
    // Called after layout, so never before the first paint; a quarter of a screen ahead.
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((entry) => entry.isIntersecting)) {
          observer.disconnect();
          start();
        }
      },
      { rootMargin: "25% 0px" },
    );
    containers.forEach((el) => observer.observe(el));
  } else if (document.readyState === "complete") {
    start();
  } else {
    window.addEventListener("load", start, { once: true });
  }
}
