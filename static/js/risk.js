// Risk review page: after saving an item, bring the next unanswered item into view.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    if (!location.hash) return;
    var card = document.querySelector(location.hash);
    if (!card) return;
    var next = card.nextElementSibling;
    while (next && !(next.classList.contains("answer-card") && next.classList.contains("result-pending"))) next = next.nextElementSibling;
    (next || card).scrollIntoView({ block: "start" });
  });
})();
