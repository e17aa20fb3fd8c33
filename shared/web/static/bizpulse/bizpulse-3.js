/* bizpulse pages' one helper: call the service's JSON API as the logged-in person, and show its
   errors in Chinese. Every call sends the session's CSRF token (X-CSRF-Token, from <meta name="csrf-token">);
   a lapsed session goes back to the login page and returns here after. */
"use strict";
window.bizpulse = (function () {
  const meta = (name) => (document.querySelector(`meta[name="${name}"]`) || {}).content || "";
  const root = meta("bizpulse-root");

  class ApiError extends Error {
    constructor(code, message, status) { super(message); this.code = code; this.status = status; }
  }

  async function api(path, { method = "GET", body, headers = {} } = {}) {
    const init = { method, credentials: "same-origin", headers: { Accept: "application/json", "X-CSRF-Token": meta("csrf-token"), ...headers } };
    if (body instanceof FormData) {
      init.body = body;
    } else if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers["Content-Type"] = "application/json";
    }
    let response;
    try {
      response = await fetch(root + path, init);
    } catch (_) {
      throw new ApiError("network_error", "网络连接失败，请检查网络后重试", 0);
    }
    if (response.status === 401) {
      location.assign(`${root}/login?next=${encodeURIComponent(location.pathname + location.search)}`);
      throw new ApiError("unauthenticated", "登录已过期，请重新登录", 401);
    }
    const json = (response.headers.get("content-type") || "").includes("json") ? await response.json() : null;
    if (!response.ok) {
      const detail = (json && json.detail) || {};
      throw new ApiError(detail.code || `http_${response.status}`, detail.message || `请求未成功（${response.status}），请稍后重试`, response.status);
    }
    return json;
  }

  /* Shows an error (an ApiError or any other) in the page's message area, or in `where`. */
  function showError(error, where) {
    const box = where || document.getElementById("bp-messages");
    const message = error instanceof ApiError ? error.message : "页面出现错误，请刷新后重试";
    box.replaceChildren(Object.assign(document.createElement("p"), { className: "bp-alert", role: "alert", textContent: message }));
    box.scrollIntoView({ block: "nearest" });
  }

  /* On a phone the page tabs are a strip that scrolls sideways: bring the current page's tab into
     view (the tenth tab is off the screen otherwise) and say whether more tabs lie either side. */
  function fitNav() {
    const nav = document.querySelector(".bp-nav");
    if (!nav) return;
    const hint = () => {
      nav.classList.toggle("bp-nav--more-left", nav.scrollLeft > 4);
      nav.classList.toggle("bp-nav--more-right", nav.scrollLeft + nav.clientWidth < nav.scrollWidth - 4);
    };
    const current = nav.querySelector('[aria-current="page"]');
    if (current) nav.scrollLeft = current.offsetLeft - (nav.clientWidth - current.offsetWidth) / 2;
    hint();
    nav.addEventListener("scroll", hint, { passive: true });
    window.addEventListener("resize", hint);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fitNav);
  else fitNav();

  return { api, showError, ApiError, root };
})();
