"use strict";

// Create links and list the recent ones through the JSON API; no framework.
(function () {
  const form = document.getElementById("shorten");
  const input = document.getElementById("url");
  const result = document.getElementById("result");
  const recent = document.getElementById("recent");

  function shortUrl(code) {
    return window.location.origin + "/" + code;
  }

  function item(link) {
    const li = document.createElement("li");
    const a = document.createElement("a");
    a.className = "code";
    a.href = "/" + link.code;
    a.textContent = link.code;
    const url = document.createElement("span");
    url.className = "url";
    url.textContent = link.url;
    // A real space between the two, so copied or read-out text is "code url".
    li.append(a, " ", url);
    return li;
  }

  async function refresh() {
    const response = await fetch("/api/links?limit=20");
    if (!response.ok) return;
    const body = await response.json();
    recent.replaceChildren(...body.links.map(item));
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    result.className = "";
    result.textContent = "...";
    try {
      const response = await fetch("/api/links", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ url: input.value }),
      });
      const body = await response.json();
      if (!response.ok) {
        result.className = "error";
        result.textContent = body.error || "error " + response.status;
        return;
      }
      const link = document.createElement("a");
      link.href = shortUrl(body.code);
      link.textContent = shortUrl(body.code);
      result.replaceChildren(link);
      input.value = "";
      await refresh();
    } catch (e) {
      result.className = "error";
      result.textContent = "network error: " + e.message;
    }
  });

  refresh();
})();
