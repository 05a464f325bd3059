/*
 * The practice trading room's controller: connects like PocketOption's page does (socket.js),
 * authenticates with the practice session from /page-config.json, keeps the socket alive with
 * "ps" every 20 s, sends changeSymbol on asset/period changes (the broker streams only the assets a
 * client shows: the last four it subscribed to) with subfor/unsubfor for the shown asset's sentiment
 * (chafor), and openOrder on BUY/SELL,
 * and shows balance, deals and trade notices from the broker's events.
 *
 * window.__qf is a read-only snapshot for tests; page automation must use the DOM (selectors.json).
 */
(function () {
  "use strict";

  var R = window.QFRender;
  /* "ps" every 20 s like the real page; ?keepalive_ms=N shortens it for tests only. */
  var KEEPALIVE_MS = Math.max(200, Number(new URLSearchParams(location.search).get("keepalive_ms")) || 20000);
  var DEFAULT_ASSET = "EURUSD_otc";
  var DEFAULT_PROFILE = { name: "Practice Trader", uid: 10000001, email: "trader@practice.local", currency: "USD", level: "Standard" };

  /* Logical element -> first-choice selector. Must equal the first entry of each list in
     resources/selectors.json (a browser test checks it); used to apply page-config rename_selectors. */
  var LOGICAL = {
    call_button: ".btn-call",
    put_button: ".btn-put",
    amount_input: "#put-call-buttons-chart-1 .block--bet-amount .control__value input[type=text]",
    expiry_value: ".block--expiration-inputs .value__val",
    expiry_hours_input: ".trading-panel-modal__in > .rw:nth-child(1) input",
    expiry_minutes_input: ".trading-panel-modal__in > .rw:nth-child(2) input",
    expiry_seconds_input: ".trading-panel-modal__in > .rw:nth-child(3) input",
    expiry_seconds_plus: ".trading-panel-modal__in > .rw:nth-child(3) a.btn-plus",
    expiry_seconds_minus: ".trading-panel-modal__in > .rw:nth-child(3) a.btn-minus",
    payout: ".value__val-start",
    balance: ".balance-info-block__balance > span",
    account_type: ".balance-info-block__label",
    balance_menu_open: "[data-modal-id=\"balance\"]",
    demo_real_switch: "#ddm_balance .balance-item:not(.balance-item--current)",
    account_demo_item: "#ddm_balance .balance-item--demo",
    account_real_item: "#ddm_balance .balance-item:not(.balance-item--demo)",
    current_asset: ".current-symbol",
    asset_picker_open: ".pair-number-wrap",
    asset_search: ".search__field",
    asset_list_item: ".alist__item",
    asset_list_link: ".alist__link",
    asset_list_label: ".alist__label",
    asset_list_payout: ".alist__payout",
    favorite_toggle: ".alist__icon",
    favorites_item: ".assets-favorites-item",
    favorites_item_label: ".assets-favorites-item__label",
    favorites_item_payout: ".payout__number",
    favorites_item_close: ".assets-favorites-item__close",
    period_selector: "a.items__link--chart-type",
    period_option: ".time-frames-block .list-links a",
    profile_open: ".user-avatar",
    profile_name: ".info__name [data-hd-show]",
    profile_uid: ".info__id [data-hd-show]",
    profile_email: ".info__email div",
    profile_currency: ".info__currency [data-hd-show]",
    profile_level: ".info__level [data-hd-show]",
    opened_tab: ".widget-slot__header ul li:first-child a",
    closed_tab: ".widget-slot__header ul li:nth-child(2) a",
    active_deals_tab: ".widget-slot__header ul li.active a",
    deal_item: ".deals-list .deals-list__item",
    deal_item_row: ".item-row",
    no_deals: ".deals-list .no-deals",
    trade_notice: ".deals-noty-streamer .deals-noty",
    chart_canvas: "canvas.chart-area",
    current_price: ".js-current-price",
    connection_status: ".connection-status"
  };

  /* Asset-picker categories in the order of their links; "cryptocurrency" is the broker's type name. */
  var CATEGORY_ORDER = ["all", "currency", "crypto", "commodity", "stock", "index"];
  var CATEGORY_TYPES = {
    currency: ["currency"], crypto: ["cryptocurrency", "crypto"], commodity: ["commodity"],
    stock: ["stock"], index: ["index"]
  };

  var refs = collectRefs();
  var chart = new window.QFChart(refs.canvas);
  var state = {
    config: { session: "", slow_buttons_ms: 0, rename_selectors: {} },
    profile: DEFAULT_PROFILE,
    connected: false, authenticated: false, isDemo: 1,
    balances: { 1: null, 0: null },
    assets: {}, assetOrder: [], asset: DEFAULT_ASSET, period: 60,
    favorites: loadFavorites(), lastTick: null, timeOffset: 0,
    expirySeconds: 60, category: "all", search: "", dealsTab: loadDealsTab(),
    openDeals: {}, closedDeals: {}, closeToasts: {}, pendingOrders: [],
    sent: { auth: 0, ps: 0, changeSymbol: 0, subfor: 0, unsubfor: 0, openOrder: 0 },
    sentimentAsset: null, sentiment: {},
    reconnects: 0, lastError: null
  };
  var socket = null;

  /* ---------- start-up ---------- */

  function collectRefs() {
    var found = {};
    Array.prototype.forEach.call(document.querySelectorAll("[data-qf]"), function (node) {
      var key = node.getAttribute("data-qf").replace(/-([a-z])/g, function (m, c) { return c.toUpperCase(); });
      found[key] = node;
      node.removeAttribute("data-qf");
    });
    Array.prototype.forEach.call(found.assetCategories.children, function (link, position) {
      link.qfCategory = CATEGORY_ORDER[position];
    });
    var units = [3600, 60, 1];
    found.expiryInputs = Array.prototype.slice.call(found.expiryModal.querySelectorAll("input"));
    Array.prototype.forEach.call(found.expiryModal.querySelectorAll(".rw"), function (row, position) {
      row.querySelector(".btn-minus").qfStep = -units[position];
      row.querySelector(".btn-plus").qfStep = units[position];
    });
    return found;
  }

  function start() {
    renderPeriodList();
    renderProfile();
    renderBalance();
    bindEvents();
    showTab(state.dealsTab === "closed");
    fetch("/page-config.json", { cache: "no-store" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(applyConfig, function (error) {
        showToast("error", "Configuration", "Could not load /page-config.json (" + error.message + ")");
        applyConfig({});
      });
  }

  function applyConfig(config) {
    state.config = {
      session: typeof config.session === "string" ? config.session : "",
      slow_buttons_ms: Math.max(0, Number(config.slow_buttons_ms) || 0),
      rename_selectors: config.rename_selectors && typeof config.rename_selectors === "object" ? config.rename_selectors : {}
    };
    state.profile = Object.assign({}, DEFAULT_PROFILE, config.profile || {});
    if (config.profile && config.profile.id !== undefined && config.profile.uid === undefined) state.profile.uid = config.profile.id;
    if (config.uid !== undefined && !(config.profile && (config.profile.id !== undefined || config.profile.uid !== undefined))) {
      state.profile.uid = config.uid;
    }
    if (config.isDemo === 0 || config.isDemo === false) state.isDemo = 0;
    if (typeof config.default_asset === "string" && config.default_asset) state.asset = config.default_asset;
    if (typeof config.default_period === "number" && config.default_period > 0) state.period = config.default_period;
    /* ?asset=SYMBOL opens the page on that asset (several tabs can show several assets, as the real
       page's chart tabs do; the broker streams each socket the assets it showed). */
    var query = new URLSearchParams(location.search);
    var shown = query.get("asset");
    if (shown) state.asset = shown;
    /* ?charts=A,B,C: further charts of a multi-chart layout (not drawn here); each one subscribes its
       asset with changeSymbol at login, before the main chart, so the broker streams all of them. */
    state.extraCharts = (query.get("charts") || "").split(",").filter(function (symbol) { return symbol; });
    renderProfile();
    renderBalance();
    renderPeriodList();
    renderAssets();
    startRenames();
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var path = typeof config.socket_path === "string" && config.socket_path.charAt(0) === "/" ?
      config.socket_path : "/socket.io/?EIO=4&transport=websocket";
    socket = new window.QFSocket(scheme + location.host + path, {
      onConnect: onConnect,
      onEvent: onEvent,
      onDisconnect: onDisconnect,
      onNamespaceDisconnect: onNamespaceDisconnect,
      onReconnectScheduled: function () { state.reconnects += 1; },
      onMalformed: function (reason) { state.lastError = reason; }
    });
    socket.connect();
    setInterval(keepAlive, KEEPALIVE_MS);
    setInterval(renderOpenDeals, 1000);
  }

  /* ---------- socket ---------- */

  function send(name, payload) {
    if (!socket || !socket.emit(name, payload)) return false;
    if (state.sent[name] !== undefined) state.sent[name] += 1;
    return true;
  }

  function onConnect() {
    state.connected = true;
    renderStatus();
    send("auth", {
      session: state.config.session, isDemo: state.isDemo, uid: Number(state.profile.uid) || 0,
      platform: 2, isFastHistory: true, isOptimized: true
    });
  }

  function onDisconnect() {
    state.connected = false;
    state.authenticated = false;
    state.sentimentAsset = null;  /* a new socket starts with no subscriptions */
    renderStatus();
  }

  function onNamespaceDisconnect() {
    var wasAuthenticated = state.authenticated;
    state.authenticated = false;
    renderStatus();
    if (!wasAuthenticated && !state.rejectionShown) showToast("error", "Not authorized", "The broker rejected the practice session.");
    state.rejectionShown = false;
  }

  function keepAlive() {
    if (state.authenticated) send("ps");
  }

  /* Show the asset: changeSymbol subscribes its price stream (and sends its history); the sentiment
     feed follows the shown asset, as public clients do it (changeSymbol, then unsubfor/subfor). */
  function sendChangeSymbol() {
    if (!state.authenticated) return;
    send("changeSymbol", { asset: state.asset, period: state.period });
    if (state.sentimentAsset !== state.asset) {
      if (state.sentimentAsset) send("unsubfor", state.sentimentAsset);
      if (send("subfor", state.asset)) state.sentimentAsset = state.asset;
    }
  }

  var HANDLERS = {
    "successauth": onAuthenticated,
    "auth/success": onAuthenticated,
    "NotAuthorized": onNotAuthorized,
    "notAuthorized": onNotAuthorized,
    "auth_error": onNotAuthorized,
    "updateAssets": onAssets,
    "updateStream": onTicks,
    "updateHistoryNewFast": onHistory,
    "updateHistoryNew": onHistory,
    "successupdateBalance": onBalance,
    "successopenOrder": onOrderOpened,
    "failopenOrder": onOrderFailed,
    "updateOpenedDeals": onOpenedDeals,
    "successcloseOrder": onOrderClosed,
    "updateClosedDeals": onClosedDeals,
    "chafor": onSentiment
  };

  function onEvent(name, payload) {
    var handler = HANDLERS[name];
    if (handler) handler(payload);
  }

  function onAuthenticated() {
    state.authenticated = true;
    socket.markHealthy();
    renderStatus();
    (state.extraCharts || []).forEach(function (symbol) {
      if (symbol !== state.asset) send("changeSymbol", { asset: symbol, period: state.period });
    });
    sendChangeSymbol();
  }

  function onNotAuthorized() {
    state.authenticated = false;
    state.rejectionShown = true;
    renderStatus();
    showToast("error", "Not authorized", "The broker rejected the practice session.");
  }

  function onAssets(rows) {
    if (!Array.isArray(rows)) return;
    rows.forEach(function (row) {
      if (!Array.isArray(row) || typeof row[1] !== "string") return;
      var symbol = row[1];
      if (!state.assets[symbol]) state.assetOrder.push(symbol);
      state.assets[symbol] = {
        symbol: symbol, label: String(row[2] || symbol), type: assetCategory(row[3]),
        digits: Number(row[4]) || 5, payout: Number(row[5]) || 0, active: row[14] === true || row[14] === 1
      };
    });
    if (!state.favorites) {
      state.favorites = state.assetOrder.filter(function (symbol) { return state.assets[symbol].active; }).slice(0, 6);
      saveFavorites();
    }
    if (!state.assets[state.asset]) {
      var firstOpen = state.assetOrder.filter(function (symbol) { return state.assets[symbol].active; })[0];
      if (firstOpen) selectAsset(firstOpen);
    }
    renderAssets();
  }

  /* The broker's asset type ("cryptocurrency" on the real broker) as the page's category key. */
  function assetCategory(type) {
    var text = String(type || "");
    return text === "cryptocurrency" ? "crypto" : text;
  }

  function onTicks(ticks) {
    if (!Array.isArray(ticks)) return;
    ticks.forEach(function (tick) {
      if (!Array.isArray(tick) || tick.length < 3) return;
      var time = Number(tick[1]), price = Number(tick[2]);
      if (!isFinite(time) || !isFinite(price)) return;
      state.timeOffset = time - Date.now() / 1000;
      if (tick[0] !== state.asset) return;
      state.lastTick = { asset: tick[0], time: time, price: price };
      chart.addTick(time, price);
      var digits = state.assets[state.asset] ? state.assets[state.asset].digits : 5;
      refs.price.textContent = price.toFixed(digits);
    });
  }

  function onHistory(data) {
    if (!data || data.asset !== state.asset) return;
    var period = Number(data.period) || state.period;
    var digits = state.assets[state.asset] ? state.assets[state.asset].digits : 5;
    chart.setHistory(period, data.candles, data.history, digits);
  }

  function onSentiment(rows) {
    if (!Array.isArray(rows)) return;
    rows.forEach(function (row) {
      if (Array.isArray(row) && typeof row[0] === "string" && isFinite(Number(row[1]))) state.sentiment[row[0]] = Number(row[1]);
    });
  }

  function onBalance(data) {
    if (!data || typeof data.balance !== "number") return;
    var demo = data.isDemo === undefined ? state.isDemo : (data.isDemo ? 1 : 0);
    state.balances[demo] = data.balance;
    renderBalance();
  }

  function onOrderOpened(deal) {
    if (!deal || deal.id === undefined) return;
    var pending = state.pendingOrders.filter(function (order) { return order.requestId === deal.requestId; })[0];
    state.pendingOrders = state.pendingOrders.filter(function (order) { return order !== pending; });
    if (deal.closeTimestamp === undefined && pending) {
      deal.closeTimestamp = (deal.openTimestamp || Date.now() / 1000 + state.timeOffset) + pending.time;
    }
    if (state.closedDeals[deal.id]) return;  // a duplicated or late frame
    var known = !!state.openDeals[deal.id];
    state.openDeals[deal.id] = deal;
    renderOpenDeals();
    if (!known) showDealNotice(deal, false);
  }

  function onOrderFailed(data) {
    data = data || {};
    var index = -1;
    state.pendingOrders.forEach(function (order, position) {
      if (index < 0 && order.asset === data.asset && Number(order.amount) === Number(data.amount)) index = position;
    });
    if (index >= 0) state.pendingOrders.splice(index, 1);
    showToast("error", "Trade failed", String(data.error || "the broker refused the order"));
  }

  function onOpenedDeals(deals) {
    if (!Array.isArray(deals)) return;
    state.openDeals = {};
    deals.forEach(function (deal) {
      if (deal && deal.id !== undefined && !state.closedDeals[deal.id]) state.openDeals[deal.id] = deal;
    });
    renderOpenDeals();
  }

  function onOrderClosed(data) {
    if (!data || !Array.isArray(data.deals)) return;
    data.deals.forEach(function (deal) {
      if (!deal || deal.id === undefined) return;
      var known = !!state.closeToasts[deal.id];
      state.closeToasts[deal.id] = true;
      delete state.openDeals[deal.id];
      state.closedDeals[deal.id] = deal;
      if (!known) showDealNotice(deal, true);
    });
    renderOpenDeals();
    renderClosedDeals();
  }

  function onClosedDeals(deals) {
    if (!Array.isArray(deals)) return;
    deals.forEach(function (deal) {
      if (!deal || deal.id === undefined) return;
      delete state.openDeals[deal.id];
      state.closedDeals[deal.id] = deal;
    });
    renderOpenDeals();
    renderClosedDeals();
  }

  /* ---------- actions ---------- */

  function selectAsset(symbol) {
    state.asset = symbol;
    state.lastTick = null;
    chart.clear(state.period);
    refs.price.textContent = "\u2014";
    renderAssets();
    closeModals();
    sendChangeSymbol();
  }

  function selectPeriod(seconds) {
    state.period = seconds;
    chart.clear(seconds);
    renderPeriodList();
    closeModals();
    sendChangeSymbol();
  }

  function placeOrder(action) {
    var amount = parseAmount(refs.amount.value);
    if (amount === null) {
      showToast("error", "Trade failed", "Enter an amount greater than zero.");
      return;
    }
    if (!state.authenticated) {
      showToast("error", "Trade failed", "Not connected to the broker.");
      return;
    }
    var order = {
      asset: state.asset, amount: amount, action: action, isDemo: state.isDemo,
      requestId: uuid4(), optionType: 100, time: state.expirySeconds
    };
    setTimeout(function () {
      if (send("openOrder", order)) state.pendingOrders.push(order);
      else showToast("error", "Trade failed", "Not connected to the broker.");
    }, state.config.slow_buttons_ms);
  }

  function switchAccount(isDemo) {
    closeModals();
    if (isDemo === state.isDemo) return;
    state.isDemo = isDemo;
    state.openDeals = {};
    state.closedDeals = {};
    state.pendingOrders = [];
    renderBalance();
    renderOpenDeals();
    renderClosedDeals();
    if (socket) socket.reconnectNow();  // a fresh socket authenticates with the new isDemo
  }

  function toggleFavorite(symbol) {
    if (!state.favorites) state.favorites = [];
    var index = state.favorites.indexOf(symbol);
    if (index >= 0) state.favorites.splice(index, 1);
    else state.favorites.push(symbol);
    saveFavorites();
    renderAssets();
  }

  /** Set the expiry; while the user types (keepInputs) the inputs are left as they are. */
  function setExpiry(seconds, keepInputs) {
    state.expirySeconds = Math.max(1, Math.min(86400, Math.round(seconds)));
    refs.expiryValue.textContent = R.clock(state.expirySeconds);
    if (keepInputs) return;
    var parts = [Math.floor(state.expirySeconds / 3600), Math.floor((state.expirySeconds % 3600) / 60), state.expirySeconds % 60];
    refs.expiryInputs.forEach(function (input, position) {
      if (document.activeElement !== input) input.value = (parts[position] < 10 ? "0" : "") + parts[position];
    });
  }

  function expiryFromInputs(keepInputs) {
    var units = [3600, 60, 1];
    var total = 0;
    refs.expiryInputs.forEach(function (input, position) {
      var value = parseInt(String(input.value).replace(/[^0-9]/g, ""), 10);
      total += (isFinite(value) ? value : 0) * units[position];
    });
    setExpiry(total, keepInputs === true);
  }

  function parseAmount(text) {
    var value = parseFloat(String(text).replace(/[$,\s\u202f]/g, ""));
    return isFinite(value) && value > 0 ? Math.round(value * 100) / 100 : null;
  }

  function uuid4() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  function labelOf(symbol) { return state.assets[symbol] ? state.assets[symbol].label : symbol; }

  function loadFavorites() {
    try {
      var stored = JSON.parse(localStorage.getItem("qf.favorites") || "null");
      return Array.isArray(stored) ? stored : null;
    } catch (error) { return null; }
  }

  /** The Opened/Closed tab stays as the user left it across page loads, like the live page's. */
  function loadDealsTab() {
    try { return localStorage.getItem("qf.dealsTab") === "closed" ? "closed" : "opened"; } catch (error) { return "opened"; }
  }

  function saveFavorites() {
    try { localStorage.setItem("qf.favorites", JSON.stringify(state.favorites)); } catch (error) { /* private mode */ }
  }

  /* ---------- rendering ---------- */

  function setClass(node, className) { if (!node.qfRenamed) node.className = className; }

  function renderStatus() {
    var text = state.authenticated ? "online" : state.connected ? "connecting" : "offline";
    setClass(refs.connection, "connection-status connection-status--" + text);
    refs.connection.lastChild.textContent = text;
  }

  function renderBalance() {
    var demo = state.isDemo === 1;
    document.body.classList.toggle("is-demo", demo);
    document.body.classList.toggle("is-real", !demo);
    refs.accountLabel.textContent = demo ? "QT Demo" : "QT Real";
    var headerBalance = refs.headerBalance;
    setClass(headerBalance, demo ? "js-hd js-balance-demo" : "js-hd js-balance-real-" + state.profile.currency);
    setBalanceText(headerBalance, state.balances[state.isDemo]);
    renderAccounts();
  }

  /** The balance menu: the current account first (a div), the other one as a link to click. */
  function renderAccounts() {
    var list = refs.accountList;
    list.textContent = "";
    [state.isDemo, state.isDemo ? 0 : 1].forEach(function (isDemo) {
      list.appendChild(R.accountItem(isDemo === 1, isDemo === state.isDemo, balanceText(state.balances[isDemo]),
        state.profile.currency));
    });
  }

  function balanceText(value) {
    return value === null || value === undefined ? "\u2014" : R.money(value);
  }

  function setBalanceText(node, value) {
    var text = balanceText(value);
    node.textContent = text;
    if (!node.qfRenamed) node.setAttribute("data-hd-show", text);
  }

  function renderProfile() {
    var profile = state.profile;
    var values = [
      [refs.profileName, profile.name], [refs.profileUid, "id " + profile.uid], [refs.profileEmail, profile.email],
      [refs.profileCurrency, profile.currency], [refs.profileLevel, profile.level]
    ];
    values.forEach(function (pair) {
      pair[0].textContent = String(pair[1]);
      if (!pair[0].qfRenamed) pair[0].setAttribute("data-hd-show", String(pair[1]));
    });
    refs.avatarLetter.textContent = String(profile.name || "P").charAt(0).toUpperCase();
  }

  function renderAssets() {
    var current = state.assets[state.asset];
    var label = current ? current.label : state.asset;
    refs.currentSymbol.textContent = label;
    refs.chartAsset.textContent = label;
    refs.payout.textContent = current ? (current.active ? "+" + current.payout + "%" : "Closed") : "+0%";
    renderPayoutAmount();
    var favoritesList = refs.favoritesList;
    favoritesList.textContent = "";
    (state.favorites || []).forEach(function (symbol) {
      if (state.assets[symbol]) favoritesList.appendChild(R.favoriteItem(state.assets[symbol], symbol === state.asset));
    });
    renderAssetList();
  }

  function renderAssetList() {
    var needle = state.search.toLowerCase().replace(/[\s/_.-]/g, "");
    var list = refs.assetList;
    list.textContent = "";
    state.assetOrder.forEach(function (symbol) {
      var asset = state.assets[symbol];
      if (state.category !== "all" && CATEGORY_TYPES[state.category].indexOf(asset.type) < 0 && !needle) return;
      if (needle) {
        var haystack = (asset.symbol + " " + asset.label).toLowerCase().replace(/[\s/_.-]/g, "");
        if (haystack.indexOf(needle) < 0) return;
      }
      list.appendChild(R.assetRow(asset, (state.favorites || []).indexOf(symbol) >= 0, symbol === state.asset));
    });
    if (!list.firstChild) list.appendChild(R.element("li", "alist__empty", "Nothing found"));
  }

  function renderPayoutAmount() {
    var current = state.assets[state.asset];
    var amount = parseAmount(refs.amount.value);
    refs.payoutAmount.textContent = current && amount !== null ? "+" + R.money(amount * current.payout / 100) : "+0.00";
  }

  function renderPeriodList() {
    refs.periodList.textContent = "";
    R.PERIODS.forEach(function (pair) {
      refs.periodList.appendChild(R.periodOption(pair[0], pair[1], pair[0] === state.period));
    });
    refs.periodLabel.textContent = R.periodLabel(state.period);
  }

  /**
   * One .deals-list shows the deals of the active tab (Opened or Closed), like the live page: the other
   * tab's deals are not in the DOM. Open deals: rows are rebuilt only when the set of deals changes; the
   * countdown ticks in place.
   */
  function renderOpenDeals() {
    if (state.dealsTab !== "opened") return;
    var now = Date.now() / 1000 + state.timeOffset;
    var deals = Object.keys(state.openDeals).map(function (key) { return state.openDeals[key]; });
    deals.sort(function (a, b) { return (b.openTimestamp || 0) - (a.openTimestamp || 0); });
    var ids = deals.map(function (deal) { return String(deal.id); }).join("|");
    var container = refs.dealsList;
    if (container.qfIds === ids && deals.length) {
      deals.forEach(function (deal, position) {
        container.qfRows[position].qfTime.textContent = R.countdown((deal.closeTimestamp || now) - now);
      });
      return;
    }
    container.textContent = "";
    deals.forEach(function (deal) {
      container.appendChild(R.dealRow(deal, state.assets, false, (deal.closeTimestamp || now) - now));
    });
    if (!deals.length) container.appendChild(R.element("div", "no-deals", "No opened trades"));
    container.qfIds = ids;
    container.qfRows = Array.prototype.slice.call(container.children).filter(function (row) { return row.qfTime; });
  }

  /** Closed deals, newest first, under a date label per day (YYYY-MM-DD). */
  function renderClosedDeals() {
    if (state.dealsTab !== "closed") return;
    var container = refs.dealsList;
    var deals = Object.keys(state.closedDeals).map(function (key) { return state.closedDeals[key]; });
    deals.sort(function (a, b) { return (b.closeTimestamp || 0) - (a.closeTimestamp || 0); });
    container.textContent = "";
    container.qfIds = null;
    var day = null;
    deals.slice(0, 100).forEach(function (deal) {
      if (R.dayLabel(deal.closeTimestamp) !== day) {
        day = R.dayLabel(deal.closeTimestamp);
        container.appendChild(R.groupLabel(deal.closeTimestamp));
      }
      container.appendChild(R.dealRow(deal, state.assets, true, 0));
    });
    if (!deals.length) container.appendChild(R.element("div", "no-deals", "No closed trades"));
  }

  /** A message (an error, a refusal) in the notice streamer; the same one within a second is shown once. */
  function showToast(kind, title, text) {
    showNotice(kind === "error" ? "error" : "", title, null, [["", text]]);
  }

  /** The live page's trade notice: "Trade order placed" / "Trade order closed" with the deal's figures. */
  function showDealNotice(deal, closed) {
    var label = labelOf(deal.asset);
    if (!closed) {
      showNotice("", "Trade order placed", label, [["Amount", "$" + R.money(deal.amount)],
        ["Forecast", deal.command === 1 ? "Sell" : "Buy"]]);
      return;
    }
    var profit = typeof deal.profit === "number" ? deal.profit : 0;
    var returned = Math.max(0, Math.round(((Number(deal.amount) || 0) + profit) * 100) / 100);
    showNotice(profit > 0 ? "close-success" : "", "Trade order closed", label,
      [["Payout", "$" + R.money(returned)], ["Profit", R.signedMoney(profit)]]);
  }

  function showNotice(modifier, title, symbol, columns) {
    var key = modifier + "|" + title + "|" + symbol + "|" + JSON.stringify(columns);
    var now = Date.now();
    if (state.lastToast && state.lastToast.key === key && now - state.lastToast.at < 1000) return;
    state.lastToast = { key: key, at: now };
    var node = R.notice(modifier, title, symbol, columns);
    refs.notices.appendChild(node);
    while (refs.notices.children.length > 5) refs.notices.removeChild(refs.notices.firstChild);
    setTimeout(function () { if (node.parentNode) node.parentNode.removeChild(node); }, modifier === "error" ? 10000 : 6000);
  }

  /* ---------- page-config rename_selectors (fault injection for `doctor`) ---------- */

  function startRenames() {
    var renames = state.config.rename_selectors;
    if (!Object.keys(renames).length) return;
    applyRenames();
    new MutationObserver(applyRenames).observe(document.body, { childList: true, subtree: true });
  }

  /**
   * Every element the logical name's first choice matches loses its own hooks (all attributes but
   * style/value), gets the new class, and is wrapped in a <qf-renamed> element so that child
   * combinators ("... > span") stop matching too. Already renamed elements are left alone.
   */
  function applyRenames() {
    var renames = state.config.rename_selectors;
    Object.keys(renames).forEach(function (logical) {
      var selector = LOGICAL[logical];
      if (!selector) return;
      Array.prototype.forEach.call(document.querySelectorAll(selector), function (node) {
        if (node.qfRenamed) return;
        node.qfRenamed = true;
        Array.prototype.slice.call(node.attributes).forEach(function (attribute) {
          if (attribute.name !== "style" && attribute.name !== "value") node.removeAttribute(attribute.name);
        });
        node.className = String(renames[logical]);
        var wrapper = document.createElement("qf-renamed");
        node.parentNode.insertBefore(wrapper, node);
        wrapper.appendChild(node);
      });
    });
  }

  /* ---------- events ---------- */

  function closeModals() {
    [refs.assetPicker, refs.periodPicker, refs.expiryModal, refs.balanceModal, refs.profileModal].forEach(function (modal) {
      modal.classList.remove("active");
    });
    expiryFromInputs();
  }

  function toggleModal(modal, anchor) {
    var opening = !modal.classList.contains("active");
    closeModals();
    if (!opening) return;
    modal.classList.add("active");
    if (anchor) {
      var box = anchor.getBoundingClientRect();
      var left = Math.min(box.left, window.innerWidth - modal.offsetWidth - 8);
      modal.style.left = Math.max(8, left) + "px";
      modal.style.top = (box.bottom + 6) + "px";
    }
  }

  function on(node, type, handler) {
    node.addEventListener(type, function (event) {
      if (type === "click") event.preventDefault();
      handler(event);
    });
  }

  function findProperty(node, property, stop) {
    while (node && node !== stop) {
      if (node[property] !== undefined) return node[property];
      node = node.parentNode;
    }
    return undefined;
  }

  function bindEvents() {
    on(refs.call, "click", function () { placeOrder("call"); });
    on(refs.put, "click", function () { placeOrder("put"); });
    on(refs.assetPickerOpen, "click", function (event) {
      event.stopPropagation();
      toggleModal(refs.assetPicker, refs.assetPickerOpen);
      if (refs.assetPicker.classList.contains("active")) refs.assetSearch.focus();
    });
    on(refs.periodOpen, "click", function (event) { event.stopPropagation(); toggleModal(refs.periodPicker, refs.periodOpen); });
    on(refs.expiryValue, "click", function (event) { event.stopPropagation(); toggleModal(refs.expiryModal, refs.expiryValue); });
    on(refs.balanceOpen, "click", function (event) { event.stopPropagation(); toggleModal(refs.balanceModal, refs.balanceOpen); });
    on(refs.profileOpen, "click", function (event) { event.stopPropagation(); toggleModal(refs.profileModal, refs.profileOpen); });
    on(refs.accountList, "click", function (event) {
      var account = findProperty(event.target, "qfAccount", refs.accountList);
      if (account !== undefined) switchAccount(account);
    });
    on(refs.amountMinus, "click", function () { stepAmount(-1); });
    on(refs.amountPlus, "click", function () { stepAmount(1); });
    on(refs.tabOpened, "click", function () { showTab(false); });
    on(refs.tabClosed, "click", function () { showTab(true); });
    refs.amount.addEventListener("input", renderPayoutAmount);
    refs.assetSearch.addEventListener("input", function () { state.search = refs.assetSearch.value; renderAssetList(); });
    on(refs.assetCategories, "click", onCategoryClick);
    on(refs.assetList, "click", onAssetListClick);
    on(refs.favoritesList, "click", onFavoritesClick);
    on(refs.periodList, "click", function (event) {
      var seconds = findProperty(event.target, "qfPeriod", refs.periodList);
      if (seconds !== undefined) selectPeriod(seconds);
    });
    on(refs.expiryModal, "click", onExpiryButton);
    refs.expiryInputs.forEach(function (input) {
      input.addEventListener("input", function () { expiryFromInputs(true); });
      input.addEventListener("keydown", function (event) { if (event.key === "Enter") closeModals(); });
    });
    [refs.assetPicker, refs.periodPicker, refs.expiryModal, refs.balanceModal, refs.profileModal].forEach(function (modal) {
      modal.addEventListener("click", function (event) { event.stopPropagation(); });
    });
    document.addEventListener("click", function () { closeModals(); });
    document.addEventListener("keydown", function (event) { if (event.key === "Escape") closeModals(); });
  }

  function stepAmount(direction) {
    var amount = parseAmount(refs.amount.value) || 0;
    refs.amount.value = String(Math.max(1, amount + direction));
    renderPayoutAmount();
  }

  /** Switch the deals list to the Opened or Closed tab (the active tab's li has class "active"). */
  function showTab(closed) {
    state.dealsTab = closed ? "closed" : "opened";
    try { localStorage.setItem("qf.dealsTab", state.dealsTab); } catch (error) { /* private mode */ }
    refs.tabOpened.parentNode.className = closed ? "" : "active";
    refs.tabClosed.parentNode.className = closed ? "active" : "";
    refs.dealsList.qfIds = null;
    renderOpenDeals();
    renderClosedDeals();
  }

  function onCategoryClick(event) {
    var link = event.target;
    if (link.qfCategory === undefined) return;
    state.category = link.qfCategory;
    Array.prototype.forEach.call(refs.assetCategories.children, function (child) {
      child.classList.toggle("assets-block__nav-item--active", child === link);
    });
    renderAssetList();
  }

  function onAssetListClick(event) {
    var star = findProperty(event.target, "qfToggleFavorite", refs.assetList);
    if (star !== undefined) { toggleFavorite(star); return; }
    var symbol = findProperty(event.target, "qfSymbol", refs.assetList);
    if (symbol !== undefined) selectAsset(symbol);
  }

  function onFavoritesClick(event) {
    var removed = findProperty(event.target, "qfRemoveFavorite", refs.favoritesList);
    if (removed !== undefined) { toggleFavorite(removed); return; }
    var symbol = findProperty(event.target, "qfSymbol", refs.favoritesList);
    if (symbol !== undefined && symbol !== state.asset) selectAsset(symbol);
  }

  function onExpiryButton(event) {
    var step = findProperty(event.target, "qfStep", refs.expiryModal);
    if (step !== undefined) setExpiry(state.expirySeconds + step);
  }

  /* ---------- test snapshot (read-only; automation must not use it) ---------- */

  window.__qf = {};
  Object.defineProperties(window.__qf, {
    connected: { get: function () { return state.connected; } },
    authenticated: { get: function () { return state.authenticated; } },
    lastTick: { get: function () { return state.lastTick; } },
    asset: { get: function () { return state.asset; } },
    period: { get: function () { return state.period; } },
    isDemo: { get: function () { return state.isDemo; } },
    expirySeconds: { get: function () { return state.expirySeconds; } },
    sent: { get: function () { return Object.assign({}, state.sent); } },
    sentiment: { get: function () { return Object.assign({}, state.sentiment); } },
    reconnects: { get: function () { return state.reconnects; } },
    logicalSelectors: { get: function () { return Object.assign({}, LOGICAL); } }
  });

  start();
})();
