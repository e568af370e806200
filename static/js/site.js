/* Behaviour that would otherwise be inline (the Content-Security-Policy allows only scripts
   from this site). A click on a read-only value to copy (an API key, a webhook secret) selects
   all of it. */
document.addEventListener("click", (event) => {
  const field = event.target.closest("[data-select-all]");
  if (field && typeof field.select === "function") field.select();
});
