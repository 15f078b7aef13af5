/* Media tab and compare media view: click an image to see it large; ← and → (or the lightbox's
 * arrows) move the step slider, and an open lightbox follows: after the swap it shows the item in
 * the same place (same panel, same position) at the new step. */
(function () {
  "use strict";

  var dialog = null;
  var shown = null; // where the enlarged item sits: { panel: key, index: n }

  function lightbox() {
    if (dialog) return dialog;
    dialog = document.createElement("dialog");
    dialog.className = "lightbox";
    dialog.innerHTML =
      '<button type="button" class="lightbox-step prev" aria-label="Previous step">‹</button>' +
      '<figure><img alt=""><figcaption></figcaption></figure>' +
      '<button type="button" class="lightbox-step next" aria-label="Next step">›</button>';
    dialog.addEventListener("click", function (event) {
      var arrow = event.target.closest(".lightbox-step");
      if (arrow) step(arrow.classList.contains("next") ? 1 : -1);
      else dialog.close();
    });
    dialog.addEventListener("close", function () { shown = null; });
    document.body.appendChild(dialog);
    return dialog;
  }

  // A panel is named by its tag (run page) or its run link (compare page), so it is found again after a swap.
  function panelKey(panel) {
    var link = panel.querySelector("h3 a");
    return panel.dataset.tag || (link && link.getAttribute("href")) || "";
  }

  function findItem(where) {
    var panels = document.querySelectorAll(".panel");
    for (var i = 0; i < panels.length; i++) {
      if (panelKey(panels[i]) === where.panel) return panels[i].querySelectorAll("img.media-open")[where.index] || null;
    }
    return null;
  }

  function show(item) {
    var box = lightbox();
    var image = box.querySelector("img");
    var caption = box.querySelector("figcaption");
    var panel = item.closest(".panel");
    var stats = panel && panel.querySelector(".stats");
    image.src = item.src;
    image.alt = item.alt;
    caption.textContent = [item.alt, stats ? stats.textContent : ""].filter(Boolean).join(" · ");
    var slider = document.getElementById("media-step");
    box.querySelector(".prev").disabled = !slider || Number(slider.value) <= Number(slider.min);
    box.querySelector(".next").disabled = !slider || Number(slider.value) >= Number(slider.max);
    if (!box.open) box.showModal();
  }

  function step(delta) {
    var slider = document.getElementById("media-step");
    if (!slider) return;
    var next = Number(slider.value) + delta;
    if (next < Number(slider.min) || next > Number(slider.max)) return;
    slider.value = String(next);
    slider.dispatchEvent(new Event("input", { bubbles: true }));
  }

  document.addEventListener("click", function (event) {
    var item = event.target.closest && event.target.closest("img.media-open"); // videos keep their own controls
    if (!item) return;
    var panel = item.closest(".panel");
    shown = { panel: panel ? panelKey(panel) : "", index: Array.prototype.indexOf.call(panel.querySelectorAll("img.media-open"), item) };
    show(item);
  });

  document.addEventListener("htmx:afterSettle", function () {
    if (!shown || !dialog || !dialog.open) return;
    var item = findItem(shown);
    if (item) show(item);
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
    var active = document.activeElement;
    var slider = document.getElementById("media-step");
    if (!slider || active === slider) return; // a focused range input steps itself
    if (active && /INPUT|SELECT|TEXTAREA/.test(active.tagName)) return;
    event.preventDefault();
    step(event.key === "ArrowRight" ? 1 : -1);
  });
})();
