// Claim Check: progressive enhancement only; every form works without this file.
// 1. A what-if form answers in place: its result replaces the section below it.
// 2. The claim builder gets an "Add a line" button.
"use strict";

document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.dataset.whatif) return;
  const target = document.getElementById(form.dataset.whatif);
  if (!target) return;
  event.preventDefault();
  const button = form.querySelector("button[type=submit]");
  if (button) button.disabled = true;
  target.setAttribute("aria-busy", "true");
  try {
    const response = await fetch(form.action, { method: "POST", body: new FormData(form) });
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const answer = page.querySelector("[data-whatif-result]") || page.querySelector("main");
    target.replaceChildren(...Array.from(answer ? answer.childNodes : []).map((n) => document.importNode(n, true)));
  } catch (error) {
    form.submit();  // no answer in place: fall back to the plain form post
    return;
  } finally {
    target.removeAttribute("aria-busy");
    if (button) button.disabled = false;
  }
  target.focus?.();
});

document.addEventListener("DOMContentLoaded", () => {
  for (const table of document.querySelectorAll("table[data-lines]")) {
    const body = table.tBodies[0];
    const max = Number(table.dataset.max || 50);
    const button = document.createElement("button");
    button.type = "button";
    button.className = "secondary";
    button.textContent = "Add a line";
    button.addEventListener("click", () => {
      const rows = body.rows;
      if (rows.length >= max) return;
      const last = rows[rows.length - 1];
      const n = rows.length + 1;
      const row = last.cloneNode(true);
      row.dataset.line = String(n);
      row.cells[0].textContent = String(n);
      for (const input of row.querySelectorAll("input")) {
        input.name = input.name.replace(/^line-\d+-/, `line-${n}-`);
        input.setAttribute("aria-label", input.getAttribute("aria-label").replace(/^Line \d+/, `Line ${n}`));
        input.value = input.name.endsWith("-units") ? "1" : input.name.endsWith("-pointers") ? "1" : "";
      }
      body.appendChild(row);
      row.querySelector("input").focus();
      if (body.rows.length >= max) button.disabled = true;
    });
    table.after(button);
  }
});
