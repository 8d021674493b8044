// Lesson editor: drag-and-drop reordering, a live IPA preview, confirmation of deletes.
// No build step. Without JavaScript the page still works: ▲ ▼ buttons move items.
"use strict";

function csrfToken() {
  const input = document.querySelector("input[name=csrfmiddlewaretoken]");
  return input ? input.value : "";
}

function setUpReordering(list) {
  let dragged = null;
  list.addEventListener("dragstart", (event) => {
    dragged = event.target.closest("li[data-item-id]");
    if (!dragged) return;
    dragged.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", dragged.dataset.itemId);
  });
  list.addEventListener("dragover", (event) => {
    const over = event.target.closest("li[data-item-id]");
    if (!dragged || !over || over === dragged) return;
    event.preventDefault();
    const box = over.getBoundingClientRect();
    const after = event.clientY > box.top + box.height / 2;
    list.insertBefore(dragged, after ? over.nextSibling : over);
  });
  list.addEventListener("drop", (event) => event.preventDefault());
  list.addEventListener("dragend", async () => {
    if (!dragged) return;
    dragged.classList.remove("dragging");
    dragged = null;
    const order = [...list.querySelectorAll("li[data-item-id]")].map((li) => Number(li.dataset.itemId));
    const response = await fetch(list.dataset.reorderUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ order }),
      credentials: "same-origin",
    });
    // Reload so that numbers and the ▲ ▼ buttons match the saved order (or the old one, if refused).
    if (!response.ok) alert((await response.json()).error || "The new order was not saved.");
    window.location.reload();
  });
}

function setUpIpaPreview(form) {
  const output = form.querySelector("output[data-ipa-for]");
  if (!output) return;
  const input = document.getElementById(output.dataset.ipaFor);
  const language = form.dataset.language || "en-us";
  let timer = null;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const url = `${output.dataset.ipaUrl}?language=${encodeURIComponent(language)}&text=${encodeURIComponent(input.value)}`;
      const response = await fetch(url, { credentials: "same-origin" });
      if (!response.ok) return;
      const data = await response.json();
      output.textContent = data.ipa ? `/${data.ipa}/` : "";
      if (data.unknown_words.length) output.textContent += `  — not in the lexicon: ${data.unknown_words.join(", ")}`;
    }, 300);
  });
}

function setUpHearButton(button) {
  // Shown only with JavaScript: plays what is typed now, before the item is saved.
  const input = document.getElementById(button.dataset.sayFrom);
  const audio = button.parentElement.querySelector("audio.hear-audio");
  button.hidden = false;
  button.addEventListener("click", () => {
    if (!input.value.trim()) return;
    audio.src = `${button.dataset.sayUrl}?text=${encodeURIComponent(input.value.trim())}`;
    audio.play();
  });
}

document.addEventListener("DOMContentLoaded", () => {
  const list = document.getElementById("items");
  if (list && list.dataset.reorderUrl) setUpReordering(list);
  document.querySelectorAll("form[data-language]").forEach(setUpIpaPreview);
  document.querySelectorAll("button[data-say-from]").forEach(setUpHearButton);
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
});
