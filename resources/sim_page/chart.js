/*
 * A small canvas candlestick chart: history candles from updateHistoryNewFast plus live ticks,
 * aggregated at the chosen period. Redraws at most ~12 times a second, only when something changed.
 */
(function (global) {
  "use strict";

  var MAX_CANDLES = 400;
  var VISIBLE = 70;

  function QFChart(canvas) {
    this.canvas = canvas;
    this.context = canvas.getContext("2d");
    this.period = 60;
    this.digits = 5;
    this.candles = [];      // oldest first: {t, open, high, low, close}
    this.lastPrice = null;
    this.dirty = true;
    var self = this;
    setInterval(function () { if (self.dirty) self.draw(); }, 80);
    global.addEventListener("resize", function () { self.dirty = true; });
  }

  /** Replace the series: candles as [t, open, close, high, low] (any order), history as [[t, price], ...]. */
  QFChart.prototype.setHistory = function (period, candles, history, digits) {
    this.period = period;
    if (typeof digits === "number") this.digits = digits;
    var rows = (candles || []).filter(function (row) { return Array.isArray(row) && row.length >= 5; });
    rows.sort(function (a, b) { return a[0] - b[0]; });
    this.candles = rows.map(function (row) {
      return { t: Math.floor(row[0] / period) * period, open: row[1], close: row[2], high: row[3], low: row[4] };
    });
    var self = this;
    (history || []).forEach(function (pair) { if (Array.isArray(pair)) self.addTick(pair[0], pair[1]); });
    this.dirty = true;
  };

  QFChart.prototype.clear = function (period) {
    this.period = period;
    this.candles = [];
    this.lastPrice = null;
    this.dirty = true;
  };

  QFChart.prototype.addTick = function (time, price) {
    if (typeof time !== "number" || typeof price !== "number") return;
    var start = Math.floor(time / this.period) * this.period;
    var last = this.candles[this.candles.length - 1];
    if (last && start < last.t) return;  // late tick for an already closed candle
    if (last && start === last.t) {
      last.high = Math.max(last.high, price);
      last.low = Math.min(last.low, price);
      last.close = price;
    } else {
      this.candles.push({ t: start, open: price, high: price, low: price, close: price });
      if (this.candles.length > MAX_CANDLES) this.candles.splice(0, this.candles.length - MAX_CANDLES);
    }
    this.lastPrice = price;
    this.dirty = true;
  };

  QFChart.prototype._resize = function () {
    var ratio = global.devicePixelRatio || 1;
    var width = this.canvas.clientWidth;
    var height = this.canvas.clientHeight;
    if (this.canvas.width !== Math.round(width * ratio) || this.canvas.height !== Math.round(height * ratio)) {
      this.canvas.width = Math.round(width * ratio);
      this.canvas.height = Math.round(height * ratio);
    }
    this.context.setTransform(ratio, 0, 0, ratio, 0, 0);
    return { width: width, height: height };
  };

  QFChart.prototype.draw = function () {
    this.dirty = false;
    var size = this._resize();
    var context = this.context;
    var axisWidth = 78;
    var plotWidth = Math.max(10, size.width - axisWidth);
    var plotHeight = Math.max(10, size.height - 24);
    context.clearRect(0, 0, size.width, size.height);
    this._drawGrid(context, plotWidth, plotHeight);
    var visible = this.candles.slice(-VISIBLE);
    if (!visible.length) {
      context.fillStyle = "#5b6584";
      context.font = "14px sans-serif";
      context.fillText("Waiting for quotes\u2026", 20, 30);
      return;
    }
    var low = Infinity, high = -Infinity;
    visible.forEach(function (candle) { low = Math.min(low, candle.low); high = Math.max(high, candle.high); });
    if (high === low) { high += Math.pow(10, -this.digits) * 5; low -= Math.pow(10, -this.digits) * 5; }
    var pad = (high - low) * 0.08;
    high += pad; low -= pad;
    var scaleY = function (price) { return plotHeight - ((price - low) / (high - low)) * plotHeight; };
    var step = plotWidth / VISIBLE;
    var bodyWidth = Math.max(1, step * 0.6);
    var offset = VISIBLE - visible.length;
    visible.forEach(function (candle, index) {
      var x = (offset + index) * step + step / 2;
      var up = candle.close >= candle.open;
      context.strokeStyle = up ? "#1ec986" : "#ff5b6b";
      context.fillStyle = context.strokeStyle;
      context.beginPath();
      context.moveTo(x, scaleY(candle.high));
      context.lineTo(x, scaleY(candle.low));
      context.stroke();
      var top = scaleY(Math.max(candle.open, candle.close));
      var bottom = scaleY(Math.min(candle.open, candle.close));
      context.fillRect(x - bodyWidth / 2, top, bodyWidth, Math.max(1, bottom - top));
    });
    this._drawAxis(context, plotWidth, plotHeight, low, high, scaleY);
    this._drawTimes(context, visible, offset, step, plotHeight);
  };

  QFChart.prototype._drawGrid = function (context, width, height) {
    context.strokeStyle = "rgba(255,255,255,0.05)";
    context.lineWidth = 1;
    for (var row = 1; row < 6; row += 1) {
      var y = Math.round((height / 6) * row) + 0.5;
      context.beginPath(); context.moveTo(0, y); context.lineTo(width, y); context.stroke();
    }
    for (var column = 1; column < 8; column += 1) {
      var x = Math.round((width / 8) * column) + 0.5;
      context.beginPath(); context.moveTo(x, 0); context.lineTo(x, height); context.stroke();
    }
  };

  QFChart.prototype._drawAxis = function (context, plotWidth, plotHeight, low, high, scaleY) {
    var digits = this.digits;
    context.fillStyle = "#8a94b2";
    context.font = "11px monospace";
    for (var row = 0; row <= 5; row += 1) {
      var price = low + ((high - low) * row) / 5;
      context.fillText(price.toFixed(digits), plotWidth + 6, scaleY(price) + 4);
    }
    if (this.lastPrice !== null) {
      var y = Math.round(scaleY(this.lastPrice)) + 0.5;
      context.strokeStyle = "rgba(71,141,255,0.8)";
      context.setLineDash([4, 3]);
      context.beginPath(); context.moveTo(0, y); context.lineTo(plotWidth, y); context.stroke();
      context.setLineDash([]);
      context.fillStyle = "#478dff";
      context.fillRect(plotWidth, y - 9, 78, 18);
      context.fillStyle = "#ffffff";
      context.fillText(this.lastPrice.toFixed(digits), plotWidth + 6, y + 4);
    }
  };

  QFChart.prototype._drawTimes = function (context, visible, offset, step, plotHeight) {
    context.fillStyle = "#5b6584";
    context.font = "10px monospace";
    var every = Math.max(1, Math.round(VISIBLE / 7));
    visible.forEach(function (candle, index) {
      if ((offset + index) % every !== 0) return;
      var date = new Date(candle.t * 1000);
      var label = pad2(date.getUTCHours()) + ":" + pad2(date.getUTCMinutes()) + ":" + pad2(date.getUTCSeconds());
      context.fillText(label, (offset + index) * step, plotHeight + 16);
    });
  };

  function pad2(value) { return value < 10 ? "0" + value : String(value); }

  global.QFChart = QFChart;
})(window);
