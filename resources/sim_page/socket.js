/*
 * Engine.IO v4 / Socket.IO v4 client over a raw WebSocket, as much of it as PocketOption's page uses.
 *
 * Frames: "0{...}" open -> we send "40"; "40{sid}" namespace connected; "2" ping -> "3" pong;
 * "41" namespace disconnect; '42["event",payload]' event; '451-["event",{"_placeholder":true,"num":0}]'
 * followed by one binary frame holding the payload as UTF-8 JSON.
 * Reconnects with exponential backoff (0.5 s doubling to an 8 s cap) whenever the socket drops,
 * unless close() was called.
 */
(function (global) {
  "use strict";

  var BACKOFF_START_MS = 500;
  var BACKOFF_CAP_MS = 8000;
  var decoder = new TextDecoder("utf-8");

  function QFSocket(url, handlers) {
    this.url = url;
    this.handlers = handlers || {};
    this.ws = null;
    this.engineOpen = false;        // "0" received
    this.connected = false;         // "40{sid}" received
    this.sid = null;
    this.pendingBinaryEvents = [];  // event names waiting for their binary frame, in order
    this.backoffMs = BACKOFF_START_MS;
    this.reconnectTimer = null;
    this.watchdogTimer = null;
    this.pingIntervalMs = 25000;
    this.pingTimeoutMs = 20000;
    this.stopped = false;
    this.attempts = 0;
    this.unmatchedBinary = 0;
  }

  QFSocket.prototype.connect = function () {
    var self = this;
    this.stopped = false;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.attempts += 1;
    var ws;
    try {
      ws = new WebSocket(this.url);
    } catch (error) {
      this._scheduleReconnect();
      return;
    }
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    ws.onmessage = function (message) { if (self.ws === ws) self._onMessage(message.data); };
    ws.onclose = function () { if (self.ws === ws) self._onClose(); };
    ws.onerror = function () { /* onclose follows */ };
  };

  /** Reset the backoff (call once the session is really usable, e.g. after successauth). */
  QFSocket.prototype.markHealthy = function () {
    this.backoffMs = BACKOFF_START_MS;
  };

  QFSocket.prototype.close = function () {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.watchdogTimer);
    if (this.ws) {
      var ws = this.ws;
      this.ws = null;
      try { ws.close(); } catch (error) { /* already closed */ }
      this._resetState();
      this._emit("onDisconnect", { willReconnect: false });
    }
  };

  /** Drop the current socket and connect again at once (used by the demo/real switch). */
  QFSocket.prototype.reconnectNow = function () {
    if (this.ws) {
      var ws = this.ws;
      this.ws = null;
      try { ws.close(); } catch (error) { /* already closed */ }
      this._resetState();
      this._emit("onDisconnect", { willReconnect: true });
    }
    this.backoffMs = BACKOFF_START_MS;
    this.connect();
  };

  QFSocket.prototype.sendRaw = function (text) {
    if (!this.ws || this.ws.readyState !== 1) return false;
    this.ws.send(text);
    return true;
  };

  /** Send 42["name",payload] (payload omitted when undefined). Returns false when not connected. */
  QFSocket.prototype.emit = function (name, payload) {
    if (!this.connected) return false;
    var body = payload === undefined ? [name] : [name, payload];
    return this.sendRaw("42" + JSON.stringify(body));
  };

  QFSocket.prototype._emit = function (handler, argument1, argument2) {
    var callback = this.handlers[handler];
    if (typeof callback === "function") {
      try { callback(argument1, argument2); } catch (error) { console.error(handler, error); }
    }
  };

  QFSocket.prototype._resetState = function () {
    this.engineOpen = false;
    this.connected = false;
    this.sid = null;
    this.pendingBinaryEvents = [];
    clearTimeout(this.watchdogTimer);
  };

  QFSocket.prototype._onClose = function () {
    this.ws = null;
    this._resetState();
    this._emit("onDisconnect", { willReconnect: !this.stopped });
    if (!this.stopped) this._scheduleReconnect();
  };

  QFSocket.prototype._scheduleReconnect = function () {
    var self = this;
    var delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, BACKOFF_CAP_MS);
    clearTimeout(this.reconnectTimer);
    this._emit("onReconnectScheduled", delay);
    this.reconnectTimer = setTimeout(function () { self.connect(); }, delay);
  };

  /** The server must ping within pingInterval + pingTimeout, or the socket is considered dead. */
  QFSocket.prototype._armWatchdog = function () {
    var self = this;
    clearTimeout(this.watchdogTimer);
    this.watchdogTimer = setTimeout(function () {
      if (self.ws) { try { self.ws.close(); } catch (error) { /* ignore */ } }
    }, this.pingIntervalMs + this.pingTimeoutMs);
  };

  QFSocket.prototype._onMessage = function (data) {
    if (typeof data === "string") {
      this._onText(data);
    } else if (data instanceof ArrayBuffer) {
      this._onBinary(data);
    } else if (data && typeof data.arrayBuffer === "function") {  // Blob, if binaryType was changed
      var self = this;
      data.arrayBuffer().then(function (buffer) { self._onBinary(buffer); });
    }
  };

  QFSocket.prototype._onBinary = function (buffer) {
    var payload;
    try {
      payload = JSON.parse(decoder.decode(new Uint8Array(buffer)));
    } catch (error) {
      this._emit("onMalformed", "binary frame is not UTF-8 JSON");
      this.pendingBinaryEvents.shift();
      return;
    }
    var hadPlaceholder = this.pendingBinaryEvents.length > 0;
    var name = this.pendingBinaryEvents.shift();
    if (!hadPlaceholder) {
      this.unmatchedBinary += 1;
      name = guessEventName(payload);
    }
    if (name) this._emit("onEvent", name, payload);
  };

  QFSocket.prototype._onText = function (text) {
    if (!text) return;
    var head = text.charAt(0);
    if (head === "0") return this._onEngineOpen(text.slice(1));
    if (head === "2") { this.sendRaw("3" + text.slice(1)); this._armWatchdog(); return; }
    if (head === "3" || head === "6") return;
    if (head === "1") { if (this.ws) this.ws.close(); return; }
    if (head !== "4") return this._emit("onMalformed", "unknown engine packet " + head);
    this._onSocketPacket(text.slice(1));
  };

  QFSocket.prototype._onEngineOpen = function (body) {
    try {
      var info = JSON.parse(body);
      this.sid = info.sid || null;
      if (info.pingInterval) this.pingIntervalMs = info.pingInterval;
      if (info.pingTimeout) this.pingTimeoutMs = info.pingTimeout;
    } catch (error) {
      this._emit("onMalformed", "bad open packet");
    }
    this.engineOpen = true;
    this._armWatchdog();
    this.sendRaw("40");
  };

  QFSocket.prototype._onSocketPacket = function (packet) {
    var type = packet.charAt(0);
    var rest = packet.slice(1);
    if (type === "0") {
      this.connected = true;
      this._emit("onConnect", rest ? safeParse(rest) : null);
    } else if (type === "1") {
      this.connected = false;
      this._emit("onNamespaceDisconnect");
    } else if (type === "2") {
      var event = safeParse(stripAckId(rest));
      if (Array.isArray(event) && typeof event[0] === "string") this._emit("onEvent", event[0], event[1]);
      else this._emit("onMalformed", "bad event frame");
    } else if (type === "5") {
      var match = /^(\d+)-(.*)$/.exec(rest);
      var binaryEvent = match ? safeParse(stripAckId(match[2])) : null;
      if (!match || !Array.isArray(binaryEvent) || typeof binaryEvent[0] !== "string") {
        this._emit("onMalformed", "bad binary event header");
        return;
      }
      var count = parseInt(match[1], 10) || 1;
      for (var index = 0; index < count; index += 1) {
        // one name per attachment; only the first attachment carries the payload we use
        this.pendingBinaryEvents.push(index === 0 ? binaryEvent[0] : "");
      }
    } else if (type === "4") {
      this._emit("onConnectError", safeParse(rest));
    }
  };

  function stripAckId(text) {
    var index = 0;
    while (index < text.length && text.charAt(index) >= "0" && text.charAt(index) <= "9") index += 1;
    return text.slice(index);
  }

  function safeParse(text) {
    try { return JSON.parse(text); } catch (error) { return null; }
  }

  /** Last resort for a binary frame without a placeholder: tell ticks and history apart by shape. */
  function guessEventName(payload) {
    if (Array.isArray(payload) && Array.isArray(payload[0]) && typeof payload[0][0] === "string") return "updateStream";
    if (payload && typeof payload === "object" && payload.history) return "updateHistoryNewFast";
    if (payload && typeof payload === "object" && "balance" in payload) return "successupdateBalance";
    return null;
  }

  global.QFSocket = QFSocket;
})(window);
