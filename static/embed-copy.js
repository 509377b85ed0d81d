// The admin's "Embed the sign-up form" page: a button copies the text of the
// element its data-copy names. A file, not an inline script: the CSP allows
// scripts from this site only.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("button[data-copy]")) {
    button.addEventListener("click", async () => {
      const source = document.getElementById(button.dataset.copy);
      const status = document.querySelector(`[data-copy-status="${button.dataset.copy}"]`);
      try {
        await navigator.clipboard.writeText(source.value);
        if (status) status.textContent = button.dataset.copied;
      } catch {
        // No clipboard access (an insecure origin): select it for Ctrl+C.
        source.focus();
        source.select();
      }
    });
  }
});
