// /me/contributions: contributions still waiting on this phone (offline queue), sent as soon
// as there is a connection; refused ones show the server's message with retry and discard.
import { fmt, readJson } from "/static/js/helpers.js";
import {
  flushQueue, freshCsrfToken, listQueued, removeQueued, updateQueued,
} from "/static/js/offline-queue.js";

const section = document.getElementById("queued");
const list = document.getElementById("queued-list");
const M = readJson("mine-config").messages;

function button(label, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "button small";
  b.textContent = label;
  b.addEventListener("click", onClick);
  return b;
}

async function render() {
  const records = await listQueued();
  list.replaceChildren();
  section.hidden = records.length === 0;
  for (const record of records) {
    const li = document.createElement("li");
    li.className = "card queued-item";
    li.dataset.key = record.key;
    const title = document.createElement("h3");
    title.className = "card-title";
    title.textContent = record.title || "…";
    const badge = document.createElement("p");
    const span = document.createElement("span");
    span.className = "badge status-waiting";
    span.textContent = record.status === "failed" ? fmt(M.failed, { msg: record.error }) : M.waiting;
    badge.append(span);
    li.append(title, badge);
    if (record.status === "failed") {
      const actions = document.createElement("p");
      actions.className = "button-row";
      if (record.errorCode === "possible_duplicate") {
        li.append(nearbyList(record));
        actions.append(button(M.sendAnyway, async () => {
          const fields = record.fields.filter(([n]) => n !== "not_duplicate");
          fields.push(["not_duplicate", "1"]);
          await updateQueued(record.key, { fields, status: "waiting", error: null });
          await send();
        }));
      } else {
        actions.append(button(M.retry, async () => {
          await updateQueued(record.key, { status: "waiting", error: null });
          await send();
        }));
      }
      actions.append(button(M.discard, async () => {
        await removeQueued(record.key);
        await render();
      }));
      li.append(actions);
    }
    list.append(li);
  }
}

// A queued story the server answered with places nearby: "is it one of these?". Each button
// takes its text to that place's add-a-story form (as the contribution form's buttons do),
// and the queued record is done with, as the contribution form's draft is.
function nearbyList(record) {
  const box = document.createElement("div");
  box.className = "nearby-places";
  const heading = document.createElement("p");
  heading.textContent = M.nearby;
  const list = document.createElement("ul");
  for (const c of record.candidates || []) {
    const li = document.createElement("li");
    const a = document.createElement("a");
    a.href = `/places/${encodeURIComponent(c.id)}`;
    a.textContent = c.title;
    li.append(a, document.createTextNode(` (${c.distance_m} m) `),
      button(fmt(M.addStoryTo, { place: c.title }), () => carryOver(record, c)));
    list.append(li);
  }
  box.append(heading, list);
  return box;
}

async function carryOver(record, candidate) {
  const form = document.createElement("form");
  form.method = "post";
  form.action = `/places/${encodeURIComponent(candidate.id)}/stories/new`;
  form.hidden = true;
  const fields = [...record.fields.filter(([name]) => name !== "csrf_token")];
  try {
    fields.push(["csrf_token", await freshCsrfToken()]);
  } catch {
    return; // offline or signed out: the buttons stay for later
  }
  for (const [name, value] of fields) {
    const input = document.createElement("input");
    input.type = "hidden";
    input.name = name;
    input.value = value;
    form.append(input);
  }
  document.body.append(form);
  await removeQueued(record.key);
  form.submit();
}

async function send() {
  if (!navigator.onLine) return;
  let result = null;
  try {
    result = await flushQueue();
  } catch {
    result = null; // still no connection: the next "online" event tries again
  }
  await render();
  if (result && result.sent.length) {
    section.dataset.sent = String(result.sent.length);
    window.location.reload();
  }
}

window.addEventListener("online", send);
render().then(send);
