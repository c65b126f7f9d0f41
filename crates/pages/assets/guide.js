// Scope guide: keeps the selection, the scopes, the URL and the steps in step. The server has
// already rendered the state for the URL's selection; this only reacts to changes.
"use strict";
(function () {
  const root = document.querySelector("[data-guide]");
  if (!root) return;
  const actions = JSON.parse(root.dataset.actionsJson);
  const scopeOrder = JSON.parse(root.dataset.scopeOrderJson);
  const guidePath = root.dataset.guidePath;
  const separators = { space: " ", comma: ",", semicolon: ";", pipe: "|", newline: "\n" };

  const boxes = Array.from(root.querySelectorAll('input[type="checkbox"][name="action"]'));
  const rows = Array.from(root.querySelectorAll("[data-guide-action]"));
  // The non-core actions, one collapsed <details> per resource group.
  const groups = Array.from(root.querySelectorAll("[data-guide-group]"));
  const search = root.querySelector("[data-guide-search]");
  const noResults = root.querySelector("[data-guide-no-results]");
  const urlField = root.querySelector("[data-guide-url]");
  const scopesOutput = root.querySelector("[data-guide-scopes-output]");
  const separator = root.querySelector("[data-guide-separator]");
  const status = root.querySelector("[data-guide-status]");

  function selectedIds() {
    return boxes.filter((box) => box.checked).map((box) => box.value);
  }

  function selectedScopes(ids) {
    const needed = new Set();
    for (const action of actions) {
      if (ids.includes(action.id)) action.scopes.forEach((scope) => needed.add(scope));
    }
    return scopeOrder.filter((scope) => needed.has(scope));
  }

  // As the server's reverse view: an action that needs no scope is not enabled by scopes.
  function enabledLabels(scopes) {
    return actions
      .filter((action) => action.scopes.length > 0 && action.scopes.every((scope) => scopes.includes(scope)))
      .map((action) => action.label)
      .sort();
  }

  function render() {
    const ids = selectedIds();
    const scopes = selectedScopes(ids);
    const url = new URL(guidePath, window.location.href);
    url.search = "?actions=" + ids.join(",");
    urlField.value = url.toString();
    window.history.replaceState(null, "", url.pathname + url.search);
    scopesOutput.textContent = scopes.join(separators[separator.value] || " ");
    document.querySelectorAll("[data-guide-scope]").forEach((item) => {
      item.hidden = !scopes.includes(item.dataset.guideScope);
    });
    document.querySelectorAll("[data-guide-copy-all]").forEach((button) => {
      button.dataset.copy = scopes.join(" ");
      button.parentElement.hidden = scopes.length === 0;
    });
    document.querySelectorAll("[data-guide-no-scopes]").forEach((note) => {
      note.hidden = scopes.length > 0;
    });
    groups.forEach((group) => {
      const groupBoxes = Array.from(group.querySelectorAll('input[name="action"]'));
      const ticked = groupBoxes.filter((box) => box.checked).length;
      group.querySelector("[data-guide-group-count]").textContent =
        ticked + " of " + groupBoxes.length + " selected";
    });
    const labels = enabledLabels(scopes);
    document.querySelectorAll("[data-guide-badge]").forEach((badge) => {
      badge.hidden = labels.length === 0;
      badge.querySelector("[data-guide-badge-labels]").textContent = labels.join(", ");
    });
  }

  function filter() {
    const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    rows.forEach((row) => {
      const text = row.textContent.toLowerCase() + " " + row.dataset.guideAction;
      const match = words.every((word) => text.includes(word));
      row.hidden = !match;
      if (match) shown += 1;
    });
    noResults.hidden = shown > 0;
    // A search looks inside the groups: those with a match open, the others step aside.
    groups.forEach((group) => {
      const matches = group.querySelectorAll("[data-guide-action]:not([hidden])").length;
      group.hidden = words.length > 0 && matches === 0;
      if (words.length > 0 && matches > 0) group.open = true;
    });
  }

  async function copy(text, what) {
    try {
      await navigator.clipboard.writeText(text);
      status.textContent = what + " copied to the clipboard.";
    } catch (error) {
      status.textContent = "Could not copy automatically: select the text and copy it.";
    }
  }

  boxes.forEach((box) => box.addEventListener("change", render));
  separator.addEventListener("change", render);
  search.addEventListener("input", filter);
  root.querySelector("[data-guide-select-all]").addEventListener("click", () => {
    boxes.forEach((box) => { box.checked = true; });
    render();
  });
  root.querySelectorAll("[data-guide-select-group]").forEach((button) => {
    button.addEventListener("click", () => {
      button.closest("[data-guide-group]").querySelectorAll('input[name="action"]')
        .forEach((box) => { box.checked = true; });
      render();
    });
  });
  root.querySelector("[data-guide-clear]").addEventListener("click", () => {
    boxes.forEach((box) => { box.checked = false; });
    render();
  });
  root.querySelector("[data-guide-copy-url]").addEventListener("click", () => copy(urlField.value, "Guide URL"));
  root.querySelector("[data-guide-copy-scopes]").addEventListener("click", () => copy(scopesOutput.textContent, "Scopes"));
  document.querySelectorAll(".scope-copy").forEach((button) => {
    button.addEventListener("click", () => copy(button.dataset.copy, button.dataset.copy));
  });
  // With scripts the page updates live; Enter in the search box must not reload it.
  root.querySelector("form").addEventListener("submit", (event) => event.preventDefault());
  filter();
})();
