// Roster tracking script: sends a shop's events to Roster. No dependencies, and it never throws into the host page.
// <script src="https://roster.example/public/track.js" data-key="rk_pub_..." async></script>
// or Roster.init({ key: "rk_pub_...", endpoint: "https://roster.example" }) when loaded another way.
(function () {
  "use strict";
  if (window.Roster && window.Roster.version) return; // included twice: keep the first
  var MAX_QUEUE = 100;
  var EMAIL_KEY = "roster:email";
  var script = document.currentScript;
  var state = { key: null, endpoint: null, email: null, contact: null, queue: [] };

  function safe(fn) {
    return function () {
      try {
        return fn.apply(null, arguments);
      } catch (e) {
        if (window.console) console.warn("[roster]", e);
      }
    };
  }

  function eventsUrl(base) {
    return new URL("/api/v1/events", base).href;
  }

  function newId() {
    if (window.crypto && typeof crypto.randomUUID === "function") return crypto.randomUUID();
    var bytes = new Uint8Array(16);
    if (window.crypto && crypto.getRandomValues) crypto.getRandomValues(bytes);
    else for (var i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
    return Array.prototype.map
      .call(bytes, function (b) {
        return (b + 256).toString(16).slice(1);
      })
      .join("");
  }

  function storage(action, value) {
    try {
      if (action === "get") return window.localStorage.getItem(EMAIL_KEY);
      if (action === "set") window.localStorage.setItem(EMAIL_KEY, value);
      if (action === "remove") window.localStorage.removeItem(EMAIL_KEY);
    } catch (e) {
      return null; // storage blocked (private mode, sandboxed iframe): identity lasts for this page only
    }
  }

  function send(event) {
    if (typeof fetch !== "function") return;
    fetch(state.endpoint, {
      method: "POST",
      keepalive: true, // lets the request finish when the page unloads (a click to another page)
      credentials: "omit",
      headers: { "Content-Type": "application/json", Authorization: "Bearer " + state.key },
      body: JSON.stringify(event),
    }).catch(function () {}); // offline or blocked: drop the event rather than disturb the shop
  }

  function withContact(event) {
    if (state.contact && event.email === state.email) event.contact = state.contact;
    return event;
  }

  // Sends what waited for an email or a key; events still without an email keep waiting.
  function flush() {
    if (!state.key || !state.endpoint) return;
    var waiting = [];
    for (var i = 0; i < state.queue.length; i++) {
      var event = state.queue[i];
      event.email = event.email || state.email;
      if (event.email) send(withContact(event));
      else waiting.push(event);
    }
    state.queue = waiting;
  }

  var Roster = {
    version: "1",
    init: safe(function (options) {
      options = options || {};
      if (options.key) state.key = String(options.key);
      if (options.endpoint) state.endpoint = eventsUrl(options.endpoint);
      flush();
    }),
    identify: safe(function (email, contact) {
      email = typeof email === "string" ? email.trim() : "";
      if (!email) return;
      state.email = email;
      state.contact = contact && typeof contact === "object" ? contact : null;
      storage("set", email);
      flush();
    }),
    track: safe(function (type, properties, options) {
      options = options || {};
      var event = { id: options.id ? String(options.id) : newId(), type: String(type), properties: properties || {} };
      var email = typeof options.email === "string" && options.email.trim() ? options.email.trim() : state.email;
      if (email) event.email = email;
      if (email && state.key && state.endpoint) return send(withContact(event));
      if (state.queue.length >= MAX_QUEUE) return;
      event.occurred_at = new Date().toISOString(); // sent later, so keep when it happened
      state.queue.push(event);
    }),
    /** Forget the visitor (on logout): later events wait for the next identify. */
    reset: safe(function () {
      state.email = null;
      state.contact = null;
      state.queue = [];
      storage("remove");
    }),
  };

  safe(function () {
    state.email = storage("get") || null;
    if (script && script.src) {
      state.endpoint = eventsUrl(script.src);
      state.key = script.getAttribute("data-key");
    }
  })();
  window.Roster = Roster;
})();
