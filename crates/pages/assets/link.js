// Link page: sends the token to POST /hub/accounts, shows the outcome beside the field or in a
// dialog, and tells the window that opened the link. Without this script the form posts to
// /link and the server renders the same outcome.
"use strict";
(function () {
  const form = document.querySelector("[data-link-form]");
  if (!form) return;
  const field = form.querySelector("#api-token");
  const toggle = form.querySelector("[data-link-toggle]");
  const error = form.querySelector("[data-link-error]");
  const status = form.querySelector("[data-link-status]");
  const submit = form.querySelector("[data-link-submit]");
  const dialog = document.querySelector("[data-link-dialog]");
  const sessionToken = form.elements.token.value;

  toggle.hidden = false;
  toggle.addEventListener("click", () => {
    const show = field.type === "password";
    field.type = show ? "text" : "password";
    toggle.textContent = show ? "Hide" : "Show";
    toggle.setAttribute("aria-pressed", String(show));
  });

  function fail(message) {
    error.textContent = message;
    error.hidden = false;
    field.setAttribute("aria-invalid", "true");
    status.textContent = "";
    field.focus();
  }

  // Who may hear which account was linked: when the developer gave the session a
  // redirect_url, only a window of that URL's origin (the browser drops the message
  // otherwise). Without one, no origin is known and the message, an account id and a
  // provider but no secret, goes to whichever page opened or embeds the link.
  function targetOrigin() {
    const url = form.dataset.redirectUrl;
    if (!url) return "*";
    try {
      return new URL(url).origin;
    } catch (err) {
      return null;
    }
  }

  function announce(account) {
    const origin = targetOrigin();
    if (!origin || origin === "null") return;
    const message = { type: "actionhub:account-linked", account: account };
    if (window.opener) window.opener.postMessage(message, origin);
    if (window.parent !== window) window.parent.postMessage(message, origin);
  }

  document.querySelectorAll(".scope-copy").forEach((button) => {
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(button.dataset.copy);
        status.textContent = "Copied to the clipboard.";
      } catch (err) {
        status.textContent = "Could not copy automatically: select the text and copy it.";
      }
    });
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const token = field.value.trim();
    if (!token) {
      fail("Paste your API token first.");
      return;
    }
    error.hidden = true;
    field.removeAttribute("aria-invalid");
    submit.disabled = true;
    status.textContent = "Checking the token with Front…";
    let response;
    try {
      response = await fetch("/hub/accounts", {
        method: "POST",
        headers: { "content-type": "application/json", "x-hub-session-token": sessionToken },
        body: JSON.stringify({ credentials: { api_token: token } }),
      });
    } catch (err) {
      submit.disabled = false;
      fail("Could not reach actionhub. Check your connection and try again.");
      return;
    }
    let body = {};
    try {
      body = await response.json();
    } catch (err) {
      body = {};
    }
    submit.disabled = false;
    if (!response.ok) {
      fail(body.message || "Linking failed (HTTP " + response.status + "). Try again.");
      return;
    }
    field.value = "";
    status.textContent = "Linked.";
    dialog.querySelector("[data-link-company]").textContent = body.company_name || "";
    announce({ id: body.id, provider: body.provider || form.dataset.provider });
    dialog.showModal();
  });

  dialog.querySelector("[data-link-close]").addEventListener("click", () => dialog.close());
})();
