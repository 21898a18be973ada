// "Read aloud": the device's own speech synthesis (Web Speech API) in the story's language.
// The button stays hidden where the browser has no speech synthesis.
import { report } from "/static/js/beacon.js";

for (const button of document.querySelectorAll("[data-read-aloud]")) {
  const target = document.querySelector(button.dataset.readAloud);
  if (!("speechSynthesis" in window) || !target) continue;
  button.hidden = false;
  // Counted once per page view (anonymous, static/js/beacon.js), only on a public story.
  let counted = !button.dataset.countOffering;
  button.addEventListener("click", () => {
    if (window.speechSynthesis.speaking) {
      window.speechSynthesis.cancel();
      return;
    }
    const utterance = new SpeechSynthesisUtterance(target.innerText);
    utterance.lang = button.dataset.lang || document.documentElement.lang;
    window.speechSynthesis.speak(utterance);
    if (!counted) {
      counted = true;
      report(button.dataset.countOffering, "read_aloud");
    }
  });
}
