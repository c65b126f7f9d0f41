// Dashboard: copy a freshly made connect link.
"use strict";
(function () {
  document.querySelectorAll("[data-copy-target]").forEach((button) => {
    button.addEventListener("click", async () => {
      const field = document.getElementById(button.dataset.copyTarget);
      const status = document.querySelector("[data-copy-status]");
      try {
        await navigator.clipboard.writeText(field.value);
        status.textContent = "Link copied to the clipboard.";
      } catch (err) {
        field.select();
        status.textContent = "Could not copy automatically: the link is selected, copy it.";
      }
    });
  });
})();

// Approval page: while the approved call runs, look again every two seconds for its result.
(function () {
  if (document.querySelector("[data-approval-running]")) {
    setTimeout(() => window.location.reload(), 2000);
  }
})();
