/*
 * DOM builders for the trading room. Pure functions of the state they are given: each builder
 * returns fresh elements and remembers what they stand for in JS properties (element.qfSymbol,
 * element.qfPeriod, ...), never in attributes the page itself reads back, so renamed selectors
 * cannot confuse the page.
 */
(function (global) {
  "use strict";

  var PERIODS = [
    [5, "5s"], [10, "10s"], [15, "15s"], [30, "30s"], [60, "1m"], [120, "2m"], [180, "3m"],
    [300, "5m"], [600, "10m"], [900, "15m"], [1800, "30m"], [2700, "45m"], [3600, "1h"],
    [7200, "2h"], [10800, "3h"], [14400, "4h"], [86400, "1d"]
  ];

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function money(value) {
    if (typeof value !== "number" || !isFinite(value)) return "\u2014";
    return value.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }

  function signedMoney(value) {
    if (typeof value !== "number" || !isFinite(value)) return "\u2014";
    if (value > 0) return "+$" + money(value);
    if (value < 0) return "\u2212$" + money(-value);
    return "$" + money(0);
  }

  function periodLabel(seconds) {
    for (var index = 0; index < PERIODS.length; index += 1) {
      if (PERIODS[index][0] === seconds) return PERIODS[index][1];
    }
    return seconds + "s";
  }

  function clock(seconds) {
    seconds = Math.max(0, Math.round(seconds));
    var hours = Math.floor(seconds / 3600);
    var minutes = Math.floor((seconds % 3600) / 60);
    var rest = seconds % 60;
    return pad2(hours) + ":" + pad2(minutes) + ":" + pad2(rest);
  }

  function pad2(value) { return value < 10 ? "0" + value : String(value); }

  function utcTime(epochSeconds) {
    if (typeof epochSeconds !== "number") return "";
    var date = new Date(epochSeconds * 1000);
    return pad2(date.getUTCHours()) + ":" + pad2(date.getUTCMinutes()) + ":" + pad2(date.getUTCSeconds());
  }

  function assetLabel(assets, symbol) {
    var asset = assets[symbol];
    return asset ? asset.label : symbol;
  }

  /** One favorites-bar item: .assets-favorites-item[data-id] > __line > __label + .payout__number. */
  function favoriteItem(asset, isCurrent) {
    var wrap = element("div", "assets-favorites-list__item");
    var item = element("div", "animated assets-favorites-item");
    if (isCurrent) item.classList.add("assets-favorites-item--active");
    if (!asset.active) item.classList.add("assets-favorites-item--not-active");
    item.setAttribute("data-id", asset.symbol);
    item.qfSymbol = asset.symbol;
    var line = element("div", "assets-favorites-item__line");
    line.appendChild(element("span", "assets-favorites-item__label", asset.label));
    var payout = element("span", "payout");
    payout.appendChild(element("span", "payout__number", "+" + asset.payout));
    payout.appendChild(element("span", "payout__percent", "%"));
    line.appendChild(payout);
    if (!asset.active) line.appendChild(element("span", "assets-favorites-item__closed", "closed"));
    item.appendChild(line);
    var close = element("span", "assets-favorites-item__close", "\u00d7");
    close.qfRemoveFavorite = asset.symbol;
    item.appendChild(close);
    wrap.appendChild(item);
    return wrap;
  }

  /** One asset-picker row: li.alist__item > a.alist__link > star + label + payout. */
  function assetRow(asset, isFavorite, isCurrent) {
    var item = element("li", "alist__item");
    if (!asset.active) item.classList.add("alist__item--no-active");
    if (isCurrent) item.classList.add("alist__item--active");
    item.setAttribute("data-id", asset.symbol);
    item.qfSymbol = asset.symbol;
    var link = element("a", "alist__link");
    link.setAttribute("href", "#");
    var star = element("i", isFavorite ? "alist__icon fa fa-star del" : "alist__icon fa fa-star-o add",
      isFavorite ? "\u2605" : "\u2606");
    star.qfToggleFavorite = asset.symbol;
    link.appendChild(star);
    link.appendChild(element("span", "alist__label js-tour-asset-label", asset.label));
    var payout = element("span", "alist__payout");
    payout.appendChild(element("span", "", "+" + asset.payout + "%"));
    link.appendChild(payout);
    if (!asset.active) link.appendChild(element("span", "alist__closed", "closed"));
    item.appendChild(link);
    return item;
  }

  function periodOption(seconds, label, isCurrent) {
    var item = element("li", isCurrent ? "active" : "");
    var link = element("a", "", label);
    link.setAttribute("href", "#");
    link.setAttribute("data-period", String(seconds));
    link.qfPeriod = seconds;
    item.appendChild(link);
    return item;
  }

  /**
   * One deal row. data-* attributes carry the broker's own numbers for automation:
   * data-id, data-asset, data-command (call|put), data-amount, data-open-price, data-close-timestamp,
   * and for closed deals data-profit and data-close-price.
   */
  function dealRow(deal, assets, closed, secondsLeft) {
    var item = element("div", "deals-list__item");
    item.setAttribute("data-id", String(deal.id));
    item.setAttribute("data-asset", deal.asset);
    item.setAttribute("data-command", deal.command === 1 ? "put" : "call");
    item.setAttribute("data-amount", String(deal.amount));
    if (deal.openPrice !== undefined) item.setAttribute("data-open-price", String(deal.openPrice));
    if (deal.closeTimestamp !== undefined) item.setAttribute("data-close-timestamp", String(deal.closeTimestamp));
    var first = element("div", "deals-list__item-first");
    first.appendChild(element("span", "deals-list__item-asset", assetLabel(assets, deal.asset)));
    var time = element("span", "deals-list__item-time", closed ? utcTime(deal.closeTimestamp) : clock(secondsLeft));
    item.qfTime = time;
    first.appendChild(time);
    item.appendChild(first);
    var second = element("div", "deals-list__item-second");
    var up = deal.command !== 1;
    second.appendChild(element("span", "deals-list__item-direction deals-list__item-direction--" + (up ? "up" : "down"),
      up ? "\u25b2 BUY" : "\u25bc SELL"));
    second.appendChild(element("span", "deals-list__item-amount", "$" + money(deal.amount)));
    if (closed) {
      var profit = typeof deal.profit === "number" ? deal.profit : null;
      item.setAttribute("data-profit", profit === null ? "" : profit.toFixed(2));
      if (deal.closePrice !== undefined) item.setAttribute("data-close-price", String(deal.closePrice));
      var result = profit === null ? "unknown" : profit > 0 ? "win" : profit < 0 ? "loss" : "draw";
      item.setAttribute("data-result", result);
      item.classList.add("deals-list__item--" + result);
      var container = element("span", "profit-tooltip-container");
      container.appendChild(element("span", "", signedMoney(profit)));
      second.appendChild(container);
    } else {
      var digits = assets[deal.asset] ? assets[deal.asset].digits : 5;
      var openPrice = typeof deal.openPrice === "number" ? deal.openPrice.toFixed(digits) : deal.openPrice;
      second.appendChild(element("span", "deals-list__item-open-price", openPrice));
    }
    item.appendChild(second);
    return item;
  }

  function toast(kind, title, text) {
    var node = element("div", "toast toast--" + kind);
    node.setAttribute("role", kind === "error" ? "alert" : "status");
    node.appendChild(element("div", "toast__title", title));
    node.appendChild(element("div", "toast__text", text));
    return node;
  }

  global.QFRender = {
    PERIODS: PERIODS,
    element: element,
    money: money,
    signedMoney: signedMoney,
    periodLabel: periodLabel,
    clock: clock,
    favoriteItem: favoriteItem,
    assetRow: assetRow,
    periodOption: periodOption,
    dealRow: dealRow,
    toast: toast
  };
})(window);
