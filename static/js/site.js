/* Behaviour that would otherwise be inline (the Content-Security-Policy allows only scripts
   from this site). A click on a read-only value to copy (an API key, a webhook secret) selects
   all of it. */
document.addEventListener("click", (event) => {
  const field = event.target.closest("[data-select-all]");
  if (field && typeof field.select === "function") field.select();
});

/* A "Copy" button copies the text of the element its data-copy names (an unlock code) and says
   so for a moment; where the clipboard API is refused it selects the text instead. */
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const source = document.querySelector(button.dataset.copy);
  if (!source) return;
  const text = source.innerText.trim();
  const label = button.dataset.label || button.textContent;
  button.dataset.label = label;
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = button.dataset.done || "Copied";
  } catch (error) {
    const range = document.createRange();
    range.selectNodeContents(source);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    button.textContent = button.dataset.selected || "Selected: press Ctrl+C";
  }
  window.setTimeout(() => { button.textContent = label; }, 2500);
});

/* A "Print" button (a certificate, a receipt). */
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});

/* Filter menus that narrow each other (brand → model → network → country): a choice submits
   the form, so the next menu lists what exists for it. The button stays for keyboards. */
document.addEventListener("change", (event) => {
  const form = event.target.closest("form[data-submit-on-change]");
  if (!form || event.target.tagName !== "SELECT") return;
  const chain = (form.dataset.chain || "").split(" ");
  const at = chain.indexOf(event.target.name);
  if (at >= 0) {  // a new brand makes the model, network and country chosen before moot
    for (const name of chain.slice(at + 1)) {
      const later = form.elements.namedItem(name);
      if (later) later.value = "";
    }
  }
  form.requestSubmit();
});
