/* The hold board: the supervisor's view of the hold queue at peak.
 *
 * Reads GET /v1/holds/summary and GET /v1/holds (scope `holds`), releases with
 * POST /v1/holds/{id}/release (scope `supervise`, a written reason required),
 * and exports every matching row as CSV. Refreshes itself every 10 seconds.
 * Per hold, the office's next step and the buyer's quick replies (from
 * /holds/texts.json), with a copy button per language, the buyer's first.
 */
"use strict";

(function () {
  const STORE = "guard.holds.v1";
  const REFRESH_MS = 10000;
  const CALL_TIMEOUT_MS = 10000;
  const PAGE = 100;
  const MAX_PAGE = 1000;
  const SOON_MS = 12 * 3600 * 1000; // within 12 h of ship_by a hold is overdue (contract, "Holds")

  // The contract's reason table: verdict and whether a supervisor may waive it.
  const REASONS = {
    ORDER_UNKNOWN: ["hold", false, "Order unknown", "订单未知"],
    ORDER_CLOSED: ["block", false, "Order closed", "订单已关闭"],
    RISK_CLOSED: ["block", false, "Closed by risk control", "风控关闭退款"],
    ORDER_CANCELLED: ["block", false, "Cancelled", "已取消"],
    PAYMENT_REFUNDED: ["block", false, "Refunded", "已退款"],
    PAYMENT_UNKNOWN: ["hold", true, "Payment unknown", "付款状态未知"],
    PAYMENT_UNPAID: ["hold", true, "Unpaid", "未付款"],
    PAYMENT_AWAITING_CONFIRMATION: ["hold", true, "Payment to confirm", "待确认付款金额"],
    PAYMENT_FAILED: ["hold", true, "Payment failed", "付款失败"],
    PAYMENT_PROCESSING: ["hold", true, "Payment processing", "付款处理中"],
    RISK_REVIEW: ["hold", false, "Risk review", "风控审核中"],
    CANCEL_REQUESTED: ["hold", true, "Cancel requested", "买家申请取消"],
    TRACKING_NUMBER_PENDING: ["hold", false, "Tracking no. pending", "运单号待分配"],
    SHIPPING_NOTICE_MISSING: ["hold", false, "Shipping notice missing", "未填写发货通知"],
    TRACKING_CONFLICT: ["hold", false, "Tracking no. conflict", "运单号冲突"],
    TRACKING_MISMATCH: ["hold", false, "Carrier label mismatch", "面单运单号不一致"],
    FUNDS_IN_SETTLEMENT: ["hold", false, "Refund in settlement", "退款处理中"],
    DISPUTE_OPEN: ["hold", false, "Dispute open", "纠纷中"],
    FREIGHT_UNPAID: ["hold", true, "Freight unpaid", "运费未付"],
    RULE_ERROR: ["hold", false, "Rule error", "规则错误"],
  };

  const T = {
    "title": { en: "Hold board", zh: "暂存看板" },
    "export": { en: "Export CSV", zh: "导出 CSV" },
    "exporting": { en: "Exporting…", zh: "正在导出…" },
    "key.change": { en: "Key", zh: "密钥" },
    "card.held": { en: "Held", zh: "暂存中" },
    "card.overdue": { en: "Overdue", zh: "已超时" },
    "card.blocked": { en: "Blocked — pull", zh: "已拦截 — 需取回" },
    "card.oldest": { en: "Oldest hold", zh: "最早暂存" },
    "by_reason": { en: "Held, by reason", zh: "暂存原因" },
    "filter.state": { en: "State", zh: "状态" },
    "filter.reason": { en: "Reason", zh: "原因" },
    "filter.station": { en: "Station", zh: "工作台" },
    "filter.overdue": { en: "Overdue only", zh: "仅超时" },
    "filter.any": { en: "Any", zh: "全部" },
    "filter.apply": { en: "Apply", zh: "筛选" },
    "filter.reset": { en: "Reset", zh: "重置" },
    "state.held": { en: "Held", zh: "暂存中" },
    "state.blocked": { en: "Blocked", zh: "已拦截" },
    "state.released": { en: "Released", zh: "已放行" },
    "state.all": { en: "All", zh: "全部" },
    "queue.title": { en: "Hold queue — oldest first", zh: "暂存队列 — 最早的在前" },
    "queue.empty": { en: "Nothing matches.", zh: "没有符合条件的订单。" },
    "more": { en: "Load more", zh: "加载更多" },
    "col.order": { en: "Order", zh: "订单" },
    "col.reasons": { en: "Reasons", zh: "原因" },
    "col.station": { en: "Station", zh: "工作台" },
    "col.store": { en: "Store", zh: "店铺" },
    "col.age": { en: "Held for", zh: "已暂存" },
    "col.ship_by": { en: "Ship by / time left", zh: "发货期限 / 剩余" },
    "col.recheck": { en: "Next re-check", zh: "下次复查" },
    "col.state": { en: "State", zh: "状态" },
    "col.blocked_since": { en: "Blocked since", zh: "拦截时间" },
    "overdue": { en: "OVERDUE", zh: "超时" },
    "late": { en: "late by", zh: "已超" },
    "left": { en: "left", zh: "剩余" },
    "not_waivable": { en: "not waivable", zh: "不可强制放行" },
    "release.open": { en: "Release selected…", zh: "强制放行所选…" },
    "release.title": { en: "Release holds", zh: "强制放行暂存订单" },
    "release.explain": {
      en: "Waives the waivable reasons holding these orders now (audited, with your reason). Reasons marked “not waivable” can never be waived: those orders stay held.",
      zh: "将强制放行这些订单当前可强制放行的原因（会记录审计及您填写的理由）。标为“不可强制放行”的原因无法强制放行，这些订单将继续暂存。",
    },
    "release.reason": { en: "Written reason (required)", zh: "书面理由（必填）" },
    "release.cancel": { en: "Cancel", zh: "取消" },
    "release.submit": { en: "Release", zh: "强制放行" },
    "results.title": { en: "Release results", zh: "放行结果" },
    "results.close": { en: "Close", zh: "关闭" },
    "result.released": { en: "released", zh: "已放行" },
    "result.waived": { en: "waived", zh: "已强制放行" },
    "refusal.NOT_WAIVABLE": { en: "refused: reasons that can never be waived", zh: "拒绝：含不可强制放行的原因" },
    "refusal.ORDER_BLOCKED": { en: "refused: the order is blocked — pull the parcel", zh: "拒绝：订单已拦截 — 请取回包裹" },
    "refusal.HOLD_NOT_FOUND": { en: "refused: no open hold (already released?)", zh: "拒绝：没有暂存记录（可能已放行）" },
    "refusal.FORBIDDEN": { en: "refused: this key lacks the “supervise” scope", zh: "拒绝：此密钥没有 supervise 权限" },
    "refusal.OFFLINE": { en: "not released: the guard did not answer", zh: "未放行：系统无响应" },
    "refusal.OTHER": { en: "refused", zh: "拒绝" },
    "pull.title": { en: "Blocked — pull these parcels", zh: "已拦截 — 请取回这些包裹" },
    "pull.hint": { en: "Do not ship. Take each parcel off the line and return it to stock.", zh: "禁止发货，退回库位：请把这些包裹从产线取下。" },
    "pull.empty": { en: "No blocked parcels.", zh: "没有被拦截的包裹。" },
    "pulls.title": { en: "Pulled at the line — not acknowledged yet", zh: "已通知拦截 — 尚未确认" },
    "pulls.hint": { en: "Labelled parcels that must not leave. Confirm each once it is off the line.",
                    zh: "已打面单但不得发出的包裹。取下后请逐一确认。" },
    "pulls.empty": { en: "No open pulls.", zh: "没有待确认的拦截。" },
    "pulls.pulled": { en: "Pulled", zh: "已取下" },
    "pulls.not_found": { en: "Not found", zh: "找不到" },
    "pulls.void": { en: "Void label", zh: "作废面单" },
    "pulls.void_reason": { en: "Why is this label voided? (audited)", zh: "作废面单的原因？（将被记录）" },
    "pulls.forbidden.ack": { en: "Not recorded: this key lacks the “labels” scope (needed to confirm a pull).",
                             zh: "未记录：此密钥没有 labels 权限（确认拦截需要此权限）。" },
    "pulls.forbidden.void": { en: "Not voided: this key lacks the “supervise” scope (needed to void a label).",
                              zh: "未作废：此密钥没有 supervise 权限（作废面单需要此权限）。" },
    "pulls.offline": { en: "Not recorded: the guard did not answer. Try again.", zh: "未记录：系统无响应，请重试。" },
    "pulls.done": { en: "Recorded.", zh: "已记录。" },
    "col.pulled_at": { en: "Pulled at", zh: "通知时间" },
    "col.actions": { en: "Done", zh: "处理" },
    "parcel": { en: "parcel", zh: "包裹" },
    "status.updated": { en: "Updated", zh: "更新于" },
    "status.offline": { en: "Guard offline", zh: "系统离线" },
    "offline.banner": {
      en: "Guard offline — the figures below are from the last answer and may be out of date",
      zh: "系统离线 — 以下数据来自最后一次响应，可能已过时",
    },
    "setup.title": { en: "Hold board — sign in with a key", zh: "暂存看板 — 输入密钥" },
    "setup.key": { en: "API key (scopes: holds; supervise to release and void; labels to confirm pulls)",
                   zh: "API 密钥（权限：holds；放行和作废需 supervise；确认拦截需 labels）" },
    "setup.hint": { en: "Entered once; this device remembers it.", zh: "只需输入一次，本设备会记住。" },
    "setup.save": { en: "Open the board", zh: "打开看板" },
    "setup.refused": { en: "The guard refused this key (401). Enter a valid key.", zh: "密钥被拒绝（401），请输入有效密钥。" },
    "setup.forbidden": { en: "This key lacks the “holds” scope (403).", zh: "此密钥没有 holds 权限（403）。" },
    "msgs.open": { en: "Replies & next step", zh: "话术与处理" },
    "msgs.close": { en: "Hide replies", zh: "收起话术" },
    "msgs.office": { en: "Office, next step", zh: "办公室处理" },
    "msgs.buyer": { en: "Reply to the buyer", zh: "回复买家" },
    "msgs.country": { en: "buyer's country", zh: "买家国家" },
    "msgs.others": { en: "Other languages", zh: "其他语言" },
    "msgs.loading": { en: "Loading the texts…", zh: "正在加载话术…" },
    "copy": { en: "Copy", zh: "复制" },
    "copied": { en: "Copied", zh: "已复制" },
    "copy.failed": { en: "Copy failed: select the text", zh: "复制失败：请手动选择文字" },
    "unit.d": { en: "d", zh: "天" }, "unit.h": { en: "h", zh: "小时" }, "unit.m": { en: "min", zh: "分钟" },
  };

  const $ = (id) => document.getElementById(id);
  const el = {
    body: document.body, status: $("status"), offline: $("offline"), exportBtn: $("export"),
    langToggle: $("lang-toggle"), changeKey: $("change-key"),
    countHeld: $("count-held"), countOverdue: $("count-overdue"), countBlocked: $("count-blocked"), oldest: $("oldest"),
    byReason: $("by-reason"), filters: $("filters"), fState: $("f-state"), fReason: $("f-reason"),
    fStation: $("f-station"), fOverdue: $("f-overdue"), fReset: $("f-reset"),
    queueBody: $("queue-body"), queueEmpty: $("queue-empty"), more: $("more"), pickAll: $("pick-all"),
    selectedCount: $("selected-count"), releaseOpen: $("release-open"),
    results: $("results"), resultsList: $("results-list"), resultsClose: $("results-close"),
    blockedBody: $("blocked-body"), blockedEmpty: $("blocked-empty"), blockedMore: $("blocked-more"),
    pullsBody: $("pulls-body"), pullsEmpty: $("pulls-empty"), pullsMessage: $("pulls-message"),
    dialog: $("release-dialog"), releaseForm: $("release-form"), releaseOrders: $("release-orders"),
    releaseReason: $("release-reason"), releaseCancel: $("release-cancel"), releaseSubmit: $("release-submit"),
    setupForm: $("setup-form"), setupKey: $("setup-key"), setupMessage: $("setup-message"),
    cardHeld: $("card-held"), cardOverdue: $("card-overdue"), cardBlocked: $("card-blocked"),
  };

  let cfg = load();
  // First visit: the browser's language decides; the toggle is remembered after that.
  let lang = cfg.lang || ((navigator.language || "").toLowerCase().startsWith("zh") ? "zh" : "en");
  let filter = { state: "held", reason: "", station: "", overdue: false };
  let rows = [];            // the queue as loaded, oldest first
  let nextCursor = null;
  let blocked = [];
  let blockedCursor = null;
  let pulls = [];           // order.pull notifications no station acknowledged yet
  let summary = null;
  const selected = new Set();
  let lastOk = null;
  let offline = false;
  let refreshing = false;
  let refreshAgain = false; // asked for while one was under way: its answer may predate a change made here
  let timer = null;
  let epoch = 0;            // bumps on a filter change: answers to older queries are dropped
  let texts = null;         // /holds/texts.json: the office's and the buyer's words per reason
  const expanded = new Set();   // orders whose replies are open (kept across refreshes)
  const moreOpen = new Set();   // "order code" pairs whose other languages are open

  function load() { try { return JSON.parse(localStorage.getItem(STORE)) || {}; } catch (e) { return {}; } }
  function save() { localStorage.setItem(STORE, JSON.stringify(cfg)); }
  const t = (key) => (T[key] ? T[key][lang] : key);
  const reasonName = (code) => (REASONS[code] ? REASONS[code][lang === "zh" ? 3 : 2] : code);
  const waivable = (code) => Boolean(REASONS[code] && REASONS[code][1]);

  // ------------------------------------------------------------------ API
  class Offline extends Error {}
  class Refused extends Error {}
  class Forbidden extends Error {}

  async function call(method, path, body) {
    const ctrl = new AbortController();
    const timeout = setTimeout(() => ctrl.abort(), CALL_TIMEOUT_MS);
    try {
      let res;
      try {
        res = await fetch(path, {
          method, cache: "no-store", signal: ctrl.signal,
          headers: { "Authorization": `Bearer ${cfg.key}`, "Content-Type": "application/json" },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      } catch (e) { throw new Offline(String(e)); }
      if (res.status >= 500) throw new Offline(`HTTP ${res.status}`);
      let data = null;
      try { data = await res.json(); } catch (e) { if (ctrl.signal.aborted) throw new Offline("timeout"); }
      if (res.status === 401) throw new Refused();
      return { status: res.status, data: data || {} };
    } finally {
      clearTimeout(timeout);
    }
  }

  function query(extra) {
    const params = new URLSearchParams();
    if (filter.state) params.set("state", filter.state);
    if (filter.reason) params.set("reason", filter.reason);
    if (filter.station) params.set("station_id", filter.station);
    if (filter.overdue) params.set("overdue", "true");
    for (const [key, value] of Object.entries(extra || {})) if (value !== null && value !== undefined) params.set(key, value);
    return params.toString();
  }

  // ----------------------------------------------------------- formatting
  function duration(ms) {
    const minutes = Math.max(0, Math.floor(Math.abs(ms) / 60000));
    const d = Math.floor(minutes / 1440), h = Math.floor((minutes % 1440) / 60), m = minutes % 60;
    const u = (k) => t("unit." + k);
    const sep = lang === "zh" ? "" : " ";
    if (d) return `${d}${sep}${u("d")} ${h}${sep}${u("h")}`;
    if (h) return `${h}${sep}${u("h")} ${m}${sep}${u("m")}`;
    return `${m}${sep}${u("m")}`;
  }
  function clock(iso) {
    if (!iso) return "—";
    const d = new Date(iso);
    if (isNaN(d)) return iso;
    const sameDay = d.toDateString() === new Date().toDateString();
    return sameDay ? d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
                   : d.toLocaleString([], { month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
  }
  function node(tag, className, text) {
    const n = document.createElement(tag);
    if (className) n.className = className;
    if (text !== undefined && text !== null) n.textContent = text;
    return n;
  }
  function reasonList(codes) {
    const ul = node("ul", "reasons");
    for (const code of codes || []) {
      const info = REASONS[code];
      const li = node("li", "reason" + (info && info[0] === "block" ? " block" : waivable(code) ? "" : " fixed"));
      li.dataset.code = code;
      li.title = waivable(code) ? code : `${code} — ${lang === "zh" ? "不可强制放行" : "cannot be waived"}`;
      li.append(node("span", "name", reasonName(code)), node("span", "code", code));
      if (!waivable(code) && !(info && info[0] === "block")) li.append(node("span", "fixed-note", t("not_waivable")));
      ul.append(li);
    }
    return ul;
  }

  // ------------------------------------------------------------- rendering
  function applyText() {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    for (const n of document.querySelectorAll("[data-i18n]")) n.textContent = t(n.dataset.i18n);
    const current = el.fReason.value;
    el.fReason.replaceChildren(new Option(t("filter.any"), ""));
    for (const code of Object.keys(REASONS)) el.fReason.append(new Option(`${reasonName(code)} (${code})`, code));
    el.fReason.value = current;
    el.offline.textContent = t("offline.banner");
    renderAll();
  }

  function renderAll() {
    renderSummary();
    renderQueue();
    renderBlocked();
    renderPulls();
    renderStatus();
  }

  function renderStatus() {
    el.status.dataset.status = offline ? "offline" : "ok";
    el.status.textContent = offline ? `${t("status.offline")} · ${lastOk ? lastOk.toLocaleTimeString() : "—"}`
                                    : lastOk ? `${t("status.updated")} ${lastOk.toLocaleTimeString()}` : "";
    el.offline.hidden = !offline;
  }

  function renderSummary() {
    if (!summary) return;
    el.countHeld.textContent = summary.held;
    el.countOverdue.textContent = summary.overdue;
    el.countBlocked.textContent = summary.blocked;
    el.oldest.textContent = summary.oldest_since ? duration(Date.now() - new Date(summary.oldest_since)) : "—";
    el.byReason.replaceChildren();
    for (const [code, count] of Object.entries(summary.by_reason || {})) {
      const li = node("li");
      const button = node("button", null, reasonName(code));
      button.type = "button";
      button.title = code;
      button.dataset.code = code;
      button.setAttribute("aria-pressed", String(filter.reason === code));
      button.append(node("b", null, String(count)));
      button.addEventListener("click", () => {
        setFilter({ ...filter, state: "held", reason: filter.reason === code ? "" : code });
      });
      li.append(button);
      el.byReason.append(li);
    }
  }

  function renderQueue() {
    const now = Date.now();
    el.queueBody.replaceChildren();
    for (const item of rows) {
      const tr = node("tr");
      tr.dataset.order = item.order_id;
      tr.dataset.parcel = item.parcel_id || "1";
      tr.dataset.state = item.state;
      const shipBy = item.ship_by ? new Date(item.ship_by).getTime() : null;
      const late = shipBy !== null && shipBy <= now;
      if (item.overdue || (late && item.state === "held")) tr.classList.add("overdue");

      const pick = node("td", "pick");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.value = item.order_id;
      box.disabled = item.state !== "held";
      box.checked = selected.has(item.order_id);
      box.setAttribute("aria-label", item.order_id);
      box.addEventListener("change", () => {
        if (box.checked) selected.add(item.order_id); else selected.delete(item.order_id);
        renderSelection();
      });
      pick.append(box);

      const order = orderCell(item);
      order.append(repliesToggle(item));
      const reasons = node("td");
      reasons.append(reasonList(item.reasons));
      const station = node("td", "nowrap", item.station_id || "—");
      const age = node("td", "num", duration(now - new Date(item.since)));
      age.append(node("span", "sub", clock(item.since)));
      if (item.overdue) age.append(node("span", "badge", t("overdue")));
      const ship = node("td", "num");
      if (shipBy === null) {
        ship.textContent = "—";
      } else {
        ship.append(node("span", null, clock(item.ship_by)));
        const left = node("span", "sub left" + (!late && shipBy - now < SOON_MS ? " soon" : ""),
                          late ? `${t("late")} ${duration(now - shipBy)}` : `${duration(shipBy - now)} ${t("left")}`);
        ship.append(left);
      }
      const recheck = node("td", "num hide-narrow", item.state === "held" ? clock(item.recheck_at) : "—");
      const state = node("td", "state", t("state." + item.state));
      state.dataset.state = item.state;
      tr.append(pick, order, reasons, station, age, ship, recheck, state);
      el.queueBody.append(tr);
      if (expanded.has(item.order_id)) el.queueBody.append(repliesRow(item));
    }
    el.queueEmpty.hidden = rows.length > 0;
    el.more.hidden = !nextCursor;
    renderSelection();
  }

  // The parcel is named where the order has several (each has its own hold).
  function orderCell(item) {
    const cell = node("td", "order", item.order_id);
    if ((item.order_parcels || 1) > 1 || (item.parcel_id && item.parcel_id !== "1")) {
      cell.append(node("span", "parcel", `${t("parcel")} ${item.parcel_id}`));
    }
    if (item.store_id) cell.append(node("span", "sub", item.store_id));
    return cell;
  }

  function renderPulls() {
    el.pullsBody.replaceChildren();
    for (const item of pulls) {
      const tr = node("tr");
      tr.dataset.pull = item.notification_id;
      tr.dataset.order = item.order_id;
      tr.dataset.parcel = item.parcel_id || "1";
      const reasons = node("td");
      reasons.append(reasonList(item.reasons));
      const actions = node("td", "actions");
      for (const outcome of ["pulled", "not_found"]) {
        const button = node("button", null, t("pulls." + outcome));
        button.type = "button";
        button.dataset.outcome = outcome;
        button.addEventListener("click", () => acknowledgePull(item, outcome));
        actions.append(button);
      }
      if (item.label_id) {
        const voidButton = node("button", null, t("pulls.void"));
        voidButton.type = "button";
        voidButton.dataset.action = "void";
        voidButton.addEventListener("click", () => voidLabel(item));
        actions.append(voidButton);
      }
      tr.append(orderCell(item), reasons, node("td", null, item.station_id || "—"),
                node("td", "num", clock(item.created_at)), actions);
      el.pullsBody.append(tr);
    }
    el.pullsEmpty.hidden = pulls.length > 0;
  }

  async function acknowledgePull(item, outcome) {
    await pullAction("ack", () =>
      call("POST", `/v1/pulls/${encodeURIComponent(item.notification_id)}/ack`, { outcome }));
  }

  async function voidLabel(item) {
    const reason = window.prompt(t("pulls.void_reason"));
    if (!reason || !reason.trim()) return;
    await pullAction("void", () =>
      call("POST", `/v1/labels/${encodeURIComponent(item.label_id)}/void`, { reason: reason.trim() }));
  }

  // Each button needs its own scope (contract: ack is `labels`, void is `supervise`): say which is missing.
  async function pullAction(action, send) {
    let res;
    try {
      res = await send();
    } catch (error) {
      if (error instanceof Refused) { failed(error); return; }
      el.pullsMessage.dataset.outcome = "offline";
      el.pullsMessage.textContent = t("pulls.offline");
      return;
    }
    el.pullsMessage.dataset.outcome = res.status < 300 ? "done" : String(res.status);
    el.pullsMessage.textContent = res.status === 403 ? t("pulls.forbidden." + action)
      : res.status < 300 ? t("pulls.done") : `${res.status} ${(res.data && res.data.error && res.data.error.message) || ""}`;
    refresh();
  }

  function renderSelection() {
    // Only what is on screen and still held can be released.
    const heldIds = new Set(rows.filter((r) => r.state === "held").map((r) => r.order_id));
    for (const id of [...selected]) if (!heldIds.has(id)) selected.delete(id);
    el.selectedCount.textContent = !selected.size ? "" : lang === "zh" ? `已选 ${selected.size} 单` : `${selected.size} selected`;
    el.releaseOpen.disabled = selected.size === 0;
    el.pickAll.checked = heldIds.size > 0 && selected.size === heldIds.size;
    el.pickAll.indeterminate = selected.size > 0 && selected.size < heldIds.size;
  }

  function renderBlocked() {
    const now = Date.now();
    el.blockedBody.replaceChildren();
    for (const item of blocked) {
      const tr = node("tr");
      tr.dataset.order = item.order_id;
      tr.dataset.parcel = item.parcel_id || "1";
      const reasons = node("td");
      reasons.append(reasonList(item.reasons));
      const since = node("td", "num", clock(item.since));
      since.append(node("span", "sub", duration(now - new Date(item.since))));
      tr.append(orderCell(item), reasons, node("td", null, item.station_id || "—"),
                node("td", null, item.store_id || "—"), since);
      el.blockedBody.append(tr);
    }
    el.blockedEmpty.hidden = blocked.length > 0;
    el.blockedMore.hidden = !blockedCursor;
  }

  // ---------------------------------------------- replies for the buyer, next step for the office
  function repliesToggle(item) {
    const open = expanded.has(item.order_id);
    const button = node("button", "replies-toggle", t(open ? "msgs.close" : "msgs.open"));
    button.type = "button";
    button.setAttribute("aria-expanded", String(open));
    button.addEventListener("click", () => {
      if (expanded.has(item.order_id)) expanded.delete(item.order_id); else expanded.add(item.order_id);
      renderQueue();
    });
    return button;
  }

  // The buyer's language first (the order's buyer_country), then the others in catalogue order.
  function languagesFor(country) {
    const first = (country && texts.countries[country]) || "en";
    return [...texts.languages].sort((a, b) => (b.code === first) - (a.code === first));
  }

  function repliesRow(item) {
    const tr = node("tr", "replies-row");
    tr.dataset.repliesFor = item.order_id;  // not data-order: that names the hold's own row
    const td = node("td");
    td.colSpan = 8;
    tr.append(td);
    if (!texts) { td.append(node("p", "hint", t("msgs.loading"))); loadTexts(); return tr; }
    const langs = languagesFor(item.buyer_country);
    for (const code of item.reasons || []) {
      const info = texts.reasons[code];
      if (!info) continue;
      const section = node("section", "reason-texts");
      section.dataset.code = code;
      section.append(node("h4", null, `${reasonName(code)} · ${code}`));
      const office = node("p", "office");
      office.append(node("b", null, `${t("msgs.office")}: `),
                    node("span", null, lang === "zh" ? info.supervisor_message_zh : info.supervisor_message));
      section.append(office);
      const head = node("p", "buyer-head", t("msgs.buyer"));
      if (item.buyer_country) head.append(node("span", "sub", ` — ${t("msgs.country")} ${item.buyer_country}`));
      section.append(head);
      const list = node("ul", "replies");
      list.append(reply(langs[0], info.buyer_messages[langs[0].code]));
      section.append(list);
      const more = node("details", "more");
      const key = `${item.order_id} ${code}`;
      more.open = moreOpen.has(key);
      more.addEventListener("toggle", () => { if (more.open) moreOpen.add(key); else moreOpen.delete(key); });
      more.append(node("summary", null, `${t("msgs.others")} (${langs.length - 1})`));
      const others = node("ul", "replies");
      for (const language of langs.slice(1)) others.append(reply(language, info.buyer_messages[language.code]));
      more.append(others);
      section.append(more);
      td.append(section);
    }
    return tr;
  }

  function reply(language, text) {
    const li = node("li", "reply");
    li.dataset.lang = language.code;
    const button = node("button", "copy", `${t("copy")} · ${language.name}`);
    button.type = "button";
    button.dataset.lang = language.code;
    const words = node("span", "text", text);
    words.lang = language.code;
    words.dir = language.dir;
    button.addEventListener("click", () => copy(text, button));
    li.append(button, words);
    return li;
  }

  async function copy(text, button) {
    const label = button.textContent;
    let ok = false;
    try {
      await navigator.clipboard.writeText(text);
      ok = true;
    } catch (e) {
      // No Clipboard API outside a secure context (a board on http://10.x): the old way still works.
      const area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.className = "offscreen";
      document.body.append(area);
      area.select();
      try { ok = document.execCommand("copy"); } catch (e2) { ok = false; }
      area.remove();
    }
    button.dataset.copied = ok ? "yes" : "no";
    button.textContent = t(ok ? "copied" : "copy.failed");
    setTimeout(() => { button.textContent = label; delete button.dataset.copied; }, 2000);
  }

  async function loadTexts() {
    if (texts || loadTexts.pending) return;
    loadTexts.pending = true;
    try {
      const res = await fetch("/holds/texts.json", { cache: "no-cache" });
      if (res.ok) { texts = await res.json(); renderQueue(); }
    } catch (e) { /* offline: tried again on the next refresh */ } finally { loadTexts.pending = false; }
  }

  // --------------------------------------------------------------- loading
  function failed(error) {
    if (error instanceof Refused) { delete cfg.key; save(); toSetup(t("setup.refused")); return; }
    if (error instanceof Forbidden) { toSetup(t("setup.forbidden")); return; }
    offline = true;
    renderStatus();
  }

  async function getJson(path) {
    const res = await call("GET", path);
    if (res.status === 403) throw new Forbidden();
    if (res.status !== 200) throw new Offline(`HTTP ${res.status}`);
    return res.data;
  }

  async function refresh() {
    if (el.body.dataset.screen !== "board") return;
    if (refreshing) { refreshAgain = true; return; }
    refreshing = true;
    const mine = epoch;
    try {
      // Keep what was loaded with "Load more" in view: ask for as many rows again.
      const limit = Math.min(MAX_PAGE, Math.max(PAGE, rows.length));
      const [sum, page, pull, open] = await Promise.all([
        getJson("/v1/holds/summary"),
        getJson(`/v1/holds?${query({ limit })}`),
        getJson(`/v1/holds?state=blocked&limit=${Math.min(MAX_PAGE, Math.max(PAGE, blocked.length))}`),
        getJson("/v1/pulls"),
      ]);
      if (mine !== epoch) return;
      summary = sum;
      rows = page.items || [];
      nextCursor = page.next_cursor || null;
      blocked = pull.items || [];
      blockedCursor = pull.next_cursor || null;
      pulls = open.items || [];
      offline = false;
      lastOk = new Date();
      if (!texts) loadTexts();
      renderAll();
    } catch (error) {
      failed(error);
    } finally {
      refreshing = false;
      if (refreshAgain) { refreshAgain = false; refresh(); }
    }
  }

  async function loadMore() {
    if (!nextCursor) return;
    const mine = epoch;
    try {
      const page = await getJson(`/v1/holds?${query({ limit: PAGE, cursor: nextCursor })}`);
      if (mine !== epoch) return;
      rows = rows.concat(page.items || []);
      nextCursor = page.next_cursor || null;
      renderQueue();
    } catch (error) { failed(error); }
  }

  async function loadMoreBlocked() {
    if (!blockedCursor) return;
    try {
      const page = await getJson(`/v1/holds?state=blocked&limit=${PAGE}&cursor=${encodeURIComponent(blockedCursor)}`);
      blocked = blocked.concat(page.items || []);
      blockedCursor = page.next_cursor || null;
      renderBlocked();
    } catch (error) { failed(error); }
  }

  function setFilter(next) {
    filter = next;
    el.fState.value = filter.state;
    el.fReason.value = filter.reason;
    el.fStation.value = filter.station;
    el.fOverdue.checked = filter.overdue;
    epoch += 1;
    rows = [];
    nextCursor = null;
    refreshing = false;
    renderQueue();
    refresh();
  }

  // --------------------------------------------------------------- release
  function openRelease() {
    if (!selected.size) return;
    el.releaseOrders.replaceChildren();
    for (const id of selected) {
      const item = rows.find((r) => r.order_id === id);
      const fixed = (item ? item.reasons : []).filter((code) => !waivable(code));
      const li = node("li", fixed.length ? "fixed" : "", id);
      if (fixed.length) li.append(document.createTextNode(` — ${t("not_waivable")}: ${fixed.join(", ")}`));
      el.releaseOrders.append(li);
    }
    el.releaseReason.value = "";
    el.dialog.showModal();
    el.releaseReason.focus();
  }

  async function releaseOne(orderId, reason) {
    try {
      const res = await call("POST", `/v1/holds/${encodeURIComponent(orderId)}/release`, { reason });
      if (res.status === 200) {
        return { orderId, ok: true, codes: (res.data.waived || []).map((w) => w.code) };
      }
      const error = (res.data && res.data.error) || {};
      const code = res.status === 403 ? "FORBIDDEN" : error.code || `HTTP_${res.status}`;
      const codes = (error.details || []).map((d) => d && d.code).filter(Boolean);
      return { orderId, ok: false, code, codes, message: error.message || "" };
    } catch (e) {
      if (e instanceof Refused) throw e;
      return { orderId, ok: false, code: "OFFLINE", codes: [] };
    }
  }

  async function submitRelease(event) {
    event.preventDefault();
    const reason = el.releaseReason.value.trim();
    if (!reason) { el.releaseReason.reportValidity(); return; }
    el.releaseSubmit.disabled = true;
    const ids = [...selected];
    const results = [];
    try {
      // A few at a time: each release is its own audited decision.
      for (let i = 0; i < ids.length; i += 4) {
        results.push(...await Promise.all(ids.slice(i, i + 4).map((id) => releaseOne(id, reason))));
      }
    } catch (e) {
      el.releaseSubmit.disabled = false;
      el.dialog.close();
      failed(e);
      return;
    }
    el.releaseSubmit.disabled = false;
    el.dialog.close();
    for (const r of results) if (r.ok) selected.delete(r.orderId);
    showResults(results);
    refresh();
  }

  function showResults(results) {
    el.resultsList.replaceChildren();
    for (const r of results) {
      const li = node("li");
      li.dataset.order = r.orderId;
      li.dataset.outcome = r.ok ? "released" : "refused";
      li.dataset.code = r.ok ? "" : r.code;
      li.append(node("span", "oid", r.orderId));
      if (r.ok) {
        li.append(node("span", null, t("result.released")));
        if (r.codes.length) li.append(document.createTextNode(` — ${t("result.waived")}: ${r.codes.join(", ")}`));
      } else {
        li.append(node("span", "code", r.code), document.createTextNode(" "));
        const key = "refusal." + r.code;
        li.append(node("span", null, T[key] ? t(key) : `${t("refusal.OTHER")}: ${r.message}`));
        if (r.codes.length) {
          li.append(document.createTextNode(" — "));
          li.append(node("span", "codes", r.codes.map((c) => `${c} (${reasonName(c)})`).join(", ")));
        }
      }
      el.resultsList.append(li);
    }
    el.results.hidden = false;
  }

  // ---------------------------------------------------------------- export
  async function exportCsv() {
    el.exportBtn.disabled = true;
    el.exportBtn.textContent = t("exporting");
    const ctrl = new AbortController();
    try {
      // The key goes in a header, so this is a fetch, not a plain link.
      let res;
      try {
        res = await fetch(`/v1/holds/export.csv?${query()}`, {
          headers: { "Authorization": `Bearer ${cfg.key}` }, cache: "no-store", signal: ctrl.signal,
        });
      } catch (e) { throw new Offline(String(e)); }
      if (res.status === 401) throw new Refused();
      if (res.status === 403) throw new Forbidden();
      if (!res.ok) throw new Offline(`HTTP ${res.status}`);
      const blob = await res.blob();
      const url = URL.createObjectURL(blob);
      const a = document.createElement("a");
      const stamp = new Date().toISOString().slice(0, 16).replace(/[-:T]/g, "");
      a.href = url;
      a.download = `holds-${filter.state || "all"}-${stamp}.csv`;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
    } catch (error) {
      failed(error);
    } finally {
      el.exportBtn.disabled = false;
      el.exportBtn.textContent = t("export");
    }
  }

  // ----------------------------------------------------------------- setup
  function toSetup(message) {
    if (timer) clearInterval(timer);
    timer = null;
    el.setupMessage.textContent = message || "";
    el.setupKey.value = "";
    el.body.dataset.screen = "setup";
    el.setupKey.focus();
  }

  function start() {
    el.body.dataset.screen = "board";
    el.setupMessage.textContent = "";
    refresh();
    if (timer) clearInterval(timer);
    timer = setInterval(refresh, REFRESH_MS);
  }

  el.setupForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const key = el.setupKey.value.trim();
    if (!key) return;
    cfg = { ...cfg, key, lang };
    save();
    start();
  });

  // -------------------------------------------------------------- controls
  el.filters.addEventListener("submit", (event) => {
    event.preventDefault();
    setFilter({ state: el.fState.value, reason: el.fReason.value, station: el.fStation.value.trim(),
                overdue: el.fOverdue.checked });
  });
  el.fReset.addEventListener("click", () => setFilter({ state: "held", reason: "", station: "", overdue: false }));
  el.more.addEventListener("click", loadMore);
  el.blockedMore.addEventListener("click", loadMoreBlocked);
  el.pickAll.addEventListener("change", () => {
    for (const r of rows) if (r.state === "held") { if (el.pickAll.checked) selected.add(r.order_id); else selected.delete(r.order_id); }
    renderQueue();
  });
  el.releaseOpen.addEventListener("click", openRelease);
  el.releaseForm.addEventListener("submit", submitRelease);
  el.releaseCancel.addEventListener("click", () => el.dialog.close());
  el.resultsClose.addEventListener("click", () => { el.results.hidden = true; });
  el.exportBtn.addEventListener("click", exportCsv);
  el.changeKey.addEventListener("click", () => toSetup(""));
  el.langToggle.addEventListener("click", () => { lang = lang === "zh" ? "en" : "zh"; cfg.lang = lang; save(); applyText(); });
  el.cardHeld.addEventListener("click", () => setFilter({ state: "held", reason: "", station: "", overdue: false }));
  el.cardOverdue.addEventListener("click", () => setFilter({ ...filter, state: "held", overdue: true }));
  el.cardBlocked.addEventListener("click", () => $("pull").scrollIntoView({ behavior: "smooth" }));

  window.guardHolds = { refresh, state: () => ({ offline, rows: rows.length, selected: [...selected], filter }) };

  applyText();
  if (cfg.key) start(); else toSetup("");
})();
