// The ALTCHA widget set up for this site (templates/web/_proof.html): its
// strings are ours (translated with gettext, handed over as JSON), its worker
// is served from our own origin (no blob: or inline code under the CSP), and
// its state is announced to screen readers.
const widget = document.querySelector("altcha-widget");
const data = document.getElementById("altcha-strings");
if (widget && data && globalThis.$altcha) {
  const strings = JSON.parse(data.textContent);
  const language = widget.getAttribute("language") || "en";
  globalThis.$altcha.i18n.set(language, { ...globalThis.$altcha.i18n.get("en"), ...strings });
  const worker = widget.dataset.worker;
  globalThis.$altcha.algorithms.set("PBKDF2/SHA-256", () => new Worker(worker));
  globalThis.$altcha.defaults.set({ hideFooter: true, hideLogo: true });
  const status = document.getElementById("proof-status");
  const said = { verifying: strings.verifying, verified: strings.verified, error: strings.error, expired: strings.expired };
  widget.addEventListener("statechange", (event) => {
    if (status) status.textContent = said[event.detail.state] || "";
  });
}
