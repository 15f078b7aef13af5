/* Media tab and compare media view: click an item to see it large; ← and → move the step slider. */
(function () {
  "use strict";

  var dialog = null;

  function lightbox() {
    if (dialog) return dialog;
    dialog = document.createElement("dialog");
    dialog.className = "lightbox";
    dialog.addEventListener("click", function () { dialog.close(); });
    document.body.appendChild(dialog);
    return dialog;
  }

  document.addEventListener("click", function (event) {
    var item = event.target.closest && event.target.closest(".media-open");
    if (!item || item.tagName === "VIDEO") return; // videos keep their own controls
    var box = lightbox();
    box.innerHTML = "";
    var large = document.createElement("img");
    large.src = item.src;
    large.alt = item.alt;
    var caption = document.createElement("p");
    caption.textContent = item.alt;
    box.appendChild(large);
    box.appendChild(caption);
    box.showModal();
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
    var active = document.activeElement;
    var slider = document.getElementById("media-step");
    if (!slider || (active && active !== slider && /INPUT|SELECT|TEXTAREA/.test(active.tagName))) return;
    if (active === slider) return; // a focused range input steps itself
    event.preventDefault();
    var next = Number(slider.value) + (event.key === "ArrowRight" ? 1 : -1);
    if (next < Number(slider.min) || next > Number(slider.max)) return;
    slider.value = String(next);
    slider.dispatchEvent(new Event("input", { bubbles: true }));
  });
})();
