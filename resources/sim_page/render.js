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

  /**
   * One asset-picker row: li.alist__item > a.alist__link > star + label + payout (public userscripts read
   * ".alist__payout span"); a closed asset has alist__item--no-active and an .alist__schedule-info note.
   * No data-id: the live asset list is not known to carry the symbol.
   */
  function assetRow(asset, isFavorite, isCurrent) {
    var item = element("li", "alist__item");
    if (!asset.active) item.classList.add("alist__item--no-active");
    if (isCurrent) item.classList.add("alist__item--active");
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
    if (!asset.active) link.appendChild(element("span", "alist__schedule-info", "closed"));
    item.appendChild(link);
    return item;
  }

  /** One chart period: .time-frames-block .list-links li > a with the period's text (5s … 1d). */
  function periodOption(seconds, label, isCurrent) {
    var item = element("li", isCurrent ? "active" : "");
    var link = element("a", "", label);
    link.setAttribute("href", "#");
    link.qfPeriod = seconds;
    item.appendChild(link);
    return item;
  }

  /** Time left on an open deal: MM:SS under an hour (as the live list shows it), else HH:MM:SS. */
  function countdown(seconds) {
    seconds = Math.max(0, Math.round(seconds));
    if (seconds >= 3600) return clock(seconds);
    return pad2(Math.floor(seconds / 60)) + ":" + pad2(seconds % 60);
  }

  /** Close time of a closed deal: HH:MM (UTC); the live list shows no seconds. */
  function closeTime(epochSeconds) {
    if (typeof epochSeconds !== "number") return "";
    var date = new Date(epochSeconds * 1000);
    return pad2(date.getUTCHours()) + ":" + pad2(date.getUTCMinutes());
  }

  /** Date label of a group of closed deals: YYYY-MM-DD (UTC). */
  function dayLabel(epochSeconds) {
    var date = new Date((epochSeconds || 0) * 1000);
    return date.getUTCFullYear() + "-" + pad2(date.getUTCMonth() + 1) + "-" + pad2(date.getUTCDate());
  }

  function groupLabel(epochSeconds) {
    return element("div", "deals-list__group-label", dayLabel(epochSeconds));
  }

  /**
   * One deal, in the structure public bots read from the live list:
   *   .deals-list__item > div.animated > .item-row (div: a.favorites star, a asset, span.price-up payout;
   *   div: time left MM:SS or close time HH:MM) + .item-row (div: i.fa-arrow-up|down and the stake;
   *   div: returned amount ($1.92 on a win, $0 on a loss) or the expected return while open; div: profit).
   * No deal id and no data-* attributes: the live list shows neither.
   */
  function dealRow(deal, assets, closed, secondsLeft) {
    var item = element("div", "deals-list__item");
    var inner = element("div", "animated");
    var up = deal.command !== 1;
    var amount = Number(deal.amount) || 0;
    var payout = typeof deal.percentProfit === "number" ? deal.percentProfit :
      assets[deal.asset] ? assets[deal.asset].payout : 0;

    var top = element("div", "item-row");
    var names = element("div");
    var star = element("a", "favorites", "\u2606");
    star.setAttribute("href", "#");
    names.appendChild(star);
    var name = element("a", "", assetLabel(assets, deal.asset));
    name.setAttribute("href", "#");
    names.appendChild(name);
    names.appendChild(element("span", "price-up", "+" + payout + "%"));
    top.appendChild(names);
    var time = element("div", "", closed ? closeTime(deal.closeTimestamp) : countdown(secondsLeft));
    item.qfTime = time;
    top.appendChild(time);
    inner.appendChild(top);

    var bottom = element("div", "item-row");
    var stake = element("div");
    stake.appendChild(element("i", "fa " + (up ? "fa-arrow-up" : "fa-arrow-down"), up ? "\u25b2" : "\u25bc"));
    stake.appendChild(document.createTextNode(" $" + money(amount)));
    bottom.appendChild(stake);
    if (closed) {
      var profit = typeof deal.profit === "number" ? deal.profit : null;
      var returned = profit === null ? null : Math.max(0, Math.round((amount + profit) * 100) / 100);
      bottom.appendChild(element("div", "", returned === null ? "\u2014" : "$" + money(returned)));
      bottom.appendChild(element("div", profit > 0 ? "price-up" : "", signedMoney(profit)));
    } else {
      bottom.appendChild(element("div", "", "$" + money(Math.round(amount * (100 + payout)) / 100)));
      bottom.appendChild(element("div", "", "+$" + money(Math.round(amount * payout) / 100)));
    }
    inner.appendChild(bottom);
    item.appendChild(inner);
    return item;
  }

  /**
   * A notice in the .deals-noty-streamer, built like the live one public extensions read:
   * .deals-noty > .deals-noty__title (+ __title-icon), .deals-noty__symbol-title, and
   * .deals-noty__text-col pairs of .deals-noty__label / .deals-noty__value ("Amount", "Forecast",
   * "Payout", "Profit"). modifier: "close-success" (evidenced) or "error" (practice page only).
   */
  function notice(modifier, title, symbol, columns) {
    var node = element("div", "deals-noty" + (modifier ? " deals-noty--" + modifier : ""));
    node.setAttribute("role", modifier === "error" ? "alert" : "status");
    var head = element("div", "deals-noty__title");
    head.appendChild(element("span", "deals-noty__title-icon", modifier === "error" ? "!" : "\u2713"));
    head.appendChild(document.createTextNode(title));
    node.appendChild(head);
    if (symbol) {
      var line = element("div", "deals-noty__symbol");
      line.appendChild(element("span", "deals-noty__symbol-title", symbol));
      node.appendChild(line);
    }
    var text = element("div", "deals-noty__text");
    (columns || []).forEach(function (pair) {
      var column = element("div", "deals-noty__text-col");
      column.appendChild(element("div", "deals-noty__label", pair[0]));
      column.appendChild(element("div", "deals-noty__value", pair[1]));
      text.appendChild(column);
    });
    node.appendChild(text);
    return node;
  }

  /**
   * One account in the balance menu (#ddm_balance): the current one is
   * div.balance-item.balance-item--current (+ --demo on the demo account), the other one an
   * a.balance-item to click; label "QT Demo"/"QT Real" and a .js-hd balance span with data-hd-show.
   */
  function accountItem(isDemo, isCurrent, balanceText, currency) {
    var item = element(isCurrent ? "div" : "a", "balance-item");
    if (!isCurrent) item.setAttribute("href", "#");
    if (isDemo) item.classList.add("balance-item--demo");
    if (isCurrent) item.classList.add("balance-item--current");
    item.qfAccount = isDemo ? 1 : 0;
    var info = element("div", "balance-item__info");
    info.appendChild(element("div", "balance-item__label", isDemo ? "QT Demo" : "QT Real"));
    var balance = element("span", "js-hd " + (isDemo ? "js-balance-demo" : "js-balance-real-" + currency), balanceText);
    balance.setAttribute("data-hd-show", balanceText);
    info.appendChild(balance);
    var icon = element("div", "balance-item__icon", isDemo ? "\u25ce" : "\u25c9");
    if (isCurrent) {
      var topRow = element("div", "balance-item__top");
      var startBlock = element("div", "balance-item__start");
      startBlock.appendChild(icon);
      startBlock.appendChild(info);
      topRow.appendChild(startBlock);
      item.appendChild(topRow);
      item.appendChild(element("div", "balance-item__bottom"));
    } else {
      item.appendChild(icon);
      item.appendChild(info);
    }
    return item;
  }

  global.QFRender = {
    PERIODS: PERIODS,
    element: element,
    money: money,
    signedMoney: signedMoney,
    periodLabel: periodLabel,
    clock: clock,
    countdown: countdown,
    favoriteItem: favoriteItem,
    assetRow: assetRow,
    periodOption: periodOption,
    dealRow: dealRow,
    groupLabel: groupLabel,
    dayLabel: dayLabel,
    notice: notice,
    accountItem: accountItem
  };
})(window);
