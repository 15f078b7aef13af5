// The dark/light toggle. With no choice made, the page follows the system (prefers-color-scheme, in
// app.css); a click picks the opposite of what is shown now and remembers it in a cookie, which the
// server reads to render <html data-theme> on every later page (no flash, no inline script).
(function () {
  "use strict";
  const COOKIE = "sptweb_theme";
  const YEAR = 365 * 24 * 3600;

  function shown() {
    const chosen = document.documentElement.dataset.theme;
    if (chosen) return chosen;
    return window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }

  function choose(theme) {
    document.documentElement.dataset.theme = theme;
    document.cookie = `${COOKIE}=${theme}; path=/; max-age=${YEAR}; SameSite=Strict`;
    // charts read their colours from CSS variables when drawn: tell them to redraw
    document.dispatchEvent(new CustomEvent("sptweb:theme", { detail: { theme } }));
  }

  document.addEventListener("click", (event) => {
    if (event.target.closest(".theme-toggle")) choose(shown() === "dark" ? "light" : "dark");
  });
  window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => {
    if (!document.documentElement.dataset.theme) {
      document.dispatchEvent(new CustomEvent("sptweb:theme", { detail: { theme: shown() } }));
    }
  });
})();
