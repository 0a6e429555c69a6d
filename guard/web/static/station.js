/* The packing-station page.
 *
 * Fail closed: only a fresh answer from the guard ever turns the screen green.
 * Any network failure, timeout or 5xx covers the screen with "DO NOT SHIP —
 * guard offline" and wipes the last verdict, so a stale green can never show.
 */
"use strict";

(function () {
  const STORE = "guard.station.v1";
  const ID_RULE = /^[A-Za-z0-9_.:-]{1,64}$/;
  const CALL_TIMEOUT_MS = 6000;   // a check answers in milliseconds; six seconds is "offline"
  const HEALTH_EVERY_MS = 3000;
  const HEALTH_TIMEOUT_MS = 2500;
  const STREAM_SILENCE_MS = 40000; // the stream sends a keepalive every 15 s
  const MAX_NOTICES = 20;
  const BANNER_MS = 45000;

  // ------------------------------------------------------------------ text
  const T = {
    "mode.packing": { en: "Packing", zh: "打包" },
    "mode.handover": { en: "Hand-over", zh: "交接" },
    "settings": { en: "Settings", zh: "设置" },
    "scan.label": { en: "Scan", zh: "扫描" },
    "scan.placeholder.packing": { en: "Scan the order barcode", zh: "扫描订单条码" },
    "scan.placeholder.handover": { en: "Scan the parcel (order id or tracking number)", zh: "扫描包裹（订单号或运单号）" },
    "stream.live": { en: "Live", zh: "已连接" },
    "stream.reconnecting": { en: "Reconnecting…", zh: "重新连接中…" },
    "stream.forbidden": { en: "No live notices (key lacks “check”)", zh: "无实时通知（密钥缺少 check 权限）" },
    "stream.off": { en: "Not connected", zh: "未连接" },
    "notices.title": { en: "Notices", zh: "通知" },
    "notices.empty": { en: "Released and blocked orders from the hold shelf appear here.", zh: "暂存架上的订单放行或拦截时会显示在这里。" },
    "notice.dismiss": { en: "Dismiss", zh: "关闭" },
    "label.tracking": { en: "Tracking", zh: "运单号" },
    "label.open": { en: "Label PDF", zh: "面单 PDF" },
    "label.zpl": { en: "Label (ZPL) for the thermal printer", zh: "面单（ZPL 热敏打印）" },
    "setup.title": { en: "Set up this station", zh: "设置本工作台" },
    "setup.station": { en: "Station id", zh: "工作台编号" },
    "setup.key": { en: "API key (scopes: check, labels)", zh: "API 密钥（权限：check、labels）" },
    "setup.mode": { en: "Mode", zh: "模式" },
    "setup.hint": { en: "Entered once; this device remembers it.", zh: "只需输入一次，本设备会记住。" },
    "setup.save": { en: "Start", zh: "开始" },
    "setup.refused": { en: "The guard refused this key (401). Enter a valid key.", zh: "密钥被拒绝（401），请输入有效密钥。" },
    "parcel": { en: "parcel", zh: "包裹" },
    "parcels.title": { en: "Parcels of this order — tap the one in your hand", zh: "本订单的包裹 — 点选您手上的那一个" },
    "parcels.open": { en: "not labelled yet", zh: "未打面单" },
    "parcels.left": { en: "handed over", zh: "已交接" },
    "parcels.labelled": { en: "labelled", zh: "已打面单" },
    "verdict.clear": { en: "clear", zh: "可发货" },
    "verdict.hold": { en: "hold", zh: "待放行" },
    "verdict.block": { en: "do not ship", zh: "禁止发货" },
    "setup.bad_station": { en: "Station id: 1–64 of A–Z a–z 0–9 _ - . :", zh: "工作台编号：1–64 个字符（A–Z a–z 0–9 _ - . :）" },
  };

  // Verdict screens: every one is shown in both languages, the chosen one first.
  const V = {
    idle: { tag: null, head: { en: "Scan an order", zh: "请扫描订单" } },
    idleHandover: { tag: null, head: { en: "Scan a parcel", zh: "请扫描包裹" },
                    instruction: { en: "Hand-over: the last scan before the carrier", zh: "交接：交给承运商前的最后一次扫描" } },
    back: { tag: null, head: { en: "Guard back online", zh: "系统已恢复" },
            instruction: { en: "Scan the parcel again", zh: "请重新扫描包裹" } },
    checking: { tag: null, head: { en: "Checking…", zh: "正在检查…" } },
    clear: { tag: null, head: { en: "CLEAR", zh: "放行" },
             instruction: { en: "Label printing — pack and ship", zh: "面单正在打印 — 打包发货" } },
    labelled: { tag: null, head: { en: "CLEAR", zh: "放行" },
                instruction: { en: "Label already printed — a reprint needs a supervisor",
                               zh: "面单已打印 — 补打需要主管授权" } },
    hold: { tag: null, head: { en: "HOLD", zh: "暂存" },
            instruction: { en: "Put the parcel on the hold shelf", zh: "请把包裹放到暂存架（待放行货架）" } },
    block: { tag: { en: "Block", zh: "拦截" }, head: { en: "DO NOT SHIP", zh: "禁止发货" },
             instruction: { en: "Return it to stock", zh: "退回库位" } },
    handoverOk: { tag: { en: "Hand-over", zh: "交接" }, head: { en: "OK — hand to carrier", zh: "可以交给承运商" } },
    pull: { tag: { en: "Hand-over", zh: "交接" }, head: { en: "PULL THIS PARCEL", zh: "拦截此包裹" },
            instruction: { en: "Do not hand it to the carrier — take it back", zh: "不要交给承运商 — 取回包裹" } },
    notLabelled: { tag: { en: "Hand-over", zh: "交接" }, head: { en: "NOT LABELLED", zh: "未打印面单" },
                   instruction: { en: "The guard never printed this label: take it to a packing station and scan it there",
                                  zh: "此面单不是本系统打印的：请送回打包台扫描" } },
    unknownCode: { tag: { en: "Hand-over", zh: "交接" }, head: { en: "UNKNOWN CODE", zh: "未知条码" },
                   instruction: { en: "No order or label matches: do not hand it over; ask a supervisor",
                                  zh: "找不到对应的订单或面单：不要交接，请联系主管" } },
    ambiguous: { tag: { en: "Hand-over", zh: "交接" }, head: { en: "AMBIGUOUS — DO NOT HAND OVER", zh: "条码不唯一 — 不要交接" },
                 instruction: { en: "This code matches more than one parcel: scan the parcel's own order barcode and tell a supervisor",
                                zh: "此条码对应多个包裹：请扫描该包裹自己的订单条码，并通知主管" } },
    mismatch: { tag: { en: "Hand-over", zh: "交接" }, head: { en: "WRONG LABEL — PULL THIS PARCEL", zh: "面单有误 — 拦截此包裹" },
                instruction: { en: "The label's tracking number is outdated: take it back; a supervisor voids it and prints a new one",
                               zh: "面单上的运单号已失效：请取回包裹，由主管作废并重新打印" } },
    handedOver: { tag: { en: "Hand-over", zh: "交接" }, head: { en: "ALREADY HANDED OVER", zh: "已交接过" },
                  instruction: { en: "This parcel left already: a second copy of its label must not pass — take it back",
                                 zh: "此包裹已交接：同一面单的第二份不得放行 — 请取回" } },
    // An order in several parcels, scanned without saying which: nothing is checked or printed
    // until the packer picks the parcel in hand (parcel 1's label on parcel 2's box would pass the dock).
    chooseParcel: { tag: null, head: { en: "WHICH PARCEL?", zh: "哪一个包裹？" },
                    instruction: { en: "This order ships in several parcels: tap the one in your hand — nothing is printed until you do",
                                   zh: "本订单分多个包裹发货：请点选您手上的那一个 — 选定前不会打印面单" } },
    badCode: { tag: null, head: { en: "NOT AN ORDER BARCODE", zh: "不是订单条码" },
               instruction: { en: "Scan the order barcode on the packing slip", zh: "请扫描拣货单上的订单条码" } },
    scanAgain: { tag: null, head: { en: "SCAN AGAIN", zh: "请重新扫描" },
                 instruction: { en: "The clearance was used or expired — nothing printed", zh: "放行凭证已使用或过期 — 未打印面单" } },
    busy: { tag: null, head: { en: "DO NOT SHIP — try again", zh: "禁止发货 — 请重试" },
            instruction: { en: "The guard is busy; scan again in a moment", zh: "系统繁忙，请稍后重新扫描" } },
    forbidden: { tag: null, head: { en: "CANNOT CHECK", zh: "无法检查" },
                 instruction: { en: "This station's key is not allowed to do this — call a supervisor; do not ship",
                                zh: "本工作台密钥无此权限 — 请联系主管；不要发货" } },
    failed: { tag: null, head: { en: "DO NOT SHIP", zh: "禁止发货" },
              instruction: { en: "The guard gave no verdict — scan again or call a supervisor",
                             zh: "系统未给出结论 — 请重新扫描或联系主管" } },
  };

  // `o` is the order as the packer reads it: "8123", or "8123 (parcel 2)" where the
  // notification names a parcel other than the first (an order's parcels are separate boxes).
  const NOTICE_TEXT = {
    "hold.released": (o) => ({
      en: `Order ${o.en} is clear — take it from the hold shelf and scan it again`,
      zh: `订单 ${o.zh} 已放行 — 请从暂存架取回并重新扫描`,
    }),
    "order.blocked": (o) => ({
      en: `Order ${o.en} is blocked — do not ship: if it is on the hold shelf, take it off and return it to stock`,
      zh: `订单 ${o.zh} 已被拦截 — 禁止发货：如在暂存架上，请取下并退回库位`,
    }),
    "order.pull": (o) => ({
      en: `PULL parcel ${o.en} — it must not leave; take it back from the dock`,
      zh: `拦截包裹 ${o.zh} — 不得发出，请从交接区取回`,
    }),
  };

  function noticeSubject(order, parcel) {
    if (!parcel || parcel === "1") return { en: order, zh: order };
    return { en: `${order} (parcel ${parcel})`, zh: `${order}（包裹 ${parcel}）` };
  }

  // ----------------------------------------------------------------- state
  const $ = (id) => document.getElementById(id);
  const el = {
    body: document.body, scan: $("scan"), scanForm: $("scan-form"), verdict: $("verdict"),
    tag: $("v-tag"), head: $("v-headline"), head2: $("v-headline-2"), order: $("v-order"),
    instruction: $("v-instruction"), note: $("v-note"), reasons: $("v-reasons"),
    label: $("v-label"), tracking: $("v-tracking"), labelLink: $("v-label-link"), parcels: $("v-parcels"),
    notices: $("notice-list"), noticeEmpty: $("notice-empty"), offline: $("offline"),
    offlineSince: $("offline-since"), setup: $("setup"), setupForm: $("setup-form"),
    setupMessage: $("setup-message"), setupStation: $("setup-station"), setupKey: $("setup-key"),
    stationName: $("station-name"), modeToggle: $("mode-toggle"), streamStatus: $("stream-status"),
    langToggle: $("lang-toggle"), settings: $("settings"), printFrame: $("print-frame"),
    banner: $("banner"), bannerText: $("banner-text"), bannerClose: $("banner-close"),
  };

  let cfg = load();
  // First visit: the browser's language decides; the toggle is remembered after that.
  let lang = cfg.lang || ((navigator.language || "").toLowerCase().startsWith("zh") ? "zh" : "en");
  let offline = false;
  let offlineSince = null;
  let shown = null;          // the verdict on screen, re-rendered on a language switch
  let shownAt = 0;
  let labelUrl = null;       // Blob URL of the last label; revoked on the next scan
  let queue = Promise.resolve();
  let streamGen = 0;
  let streamCtrl = null;
  let streamStatus = "off";
  let streamLastByte = 0;
  const seenNotices = new Set();

  function load() {
    try { return JSON.parse(localStorage.getItem(STORE)) || {}; } catch (e) { return {}; }
  }
  function save() { localStorage.setItem(STORE, JSON.stringify(cfg)); }
  const other = () => (lang === "zh" ? "en" : "zh");
  const t = (key) => (T[key] ? T[key][lang] : key);

  // --------------------------------------------------------------- sound
  // One tone per verdict, distinct in pitch and rhythm, so the packer need not look.
  let audio = null;
  function audioContext() {
    if (!audio) {
      const Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) return null;
      try { audio = new Ctx(); } catch (e) { return null; }
    }
    if (audio.state === "suspended") audio.resume().catch(() => {});
    return audio;
  }
  const TONES = {
    clear: [[880, 0, 0.12, "sine"], [1320, 0.15, 0.22, "sine"]],
    hold: [[523, 0, 0.2, "square"], [523, 0.3, 0.2, "square"], [392, 0.6, 0.35, "square"]],
    block: [[180, 0, 0.4, "sawtooth"], [180, 0.5, 0.4, "sawtooth"], [140, 1.0, 0.8, "sawtooth"]],
    notice: [[660, 0, 0.12, "triangle"], [990, 0.16, 0.16, "triangle"]],
    offline: [[150, 0, 1.2, "sawtooth"]],
  };
  function tone(name) {
    el.body.dataset.tone = name; // what was played, for the page tests
    const ctx = audioContext();
    if (!ctx) return;
    const start = ctx.currentTime + 0.02;
    for (const [freq, at, len, type] of TONES[name] || []) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = type;
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, start + at);
      gain.gain.exponentialRampToValueAtTime(0.35, start + at + 0.02);
      gain.gain.setValueAtTime(0.35, start + at + len - 0.04);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + at + len);
      osc.connect(gain).connect(ctx.destination);
      osc.start(start + at);
      osc.stop(start + at + len + 0.02);
    }
  }

  // ----------------------------------------------------------- rendering
  function pair(text) { return text ? [text[lang], text[other()]] : ["", ""]; }

  function applyText() {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
    el.modeToggle.textContent = t(cfg.mode === "handover" ? "mode.handover" : "mode.packing");
    el.scan.placeholder = t(cfg.mode === "handover" ? "scan.placeholder.handover" : "scan.placeholder.packing");
    el.streamStatus.textContent = t("stream." + streamStatus);
    el.stationName.textContent = cfg.station || "";
    for (const li of el.notices.children) {
      const first = li.querySelector(`.text[data-lang="${lang}"]`);
      if (first) li.querySelector(".when").after(first); // the chosen language first
      li.querySelector(".dismiss").setAttribute("aria-label", t("notice.dismiss"));
    }
    if (bannerWords) el.bannerText.textContent = `${bannerWords[lang]} / ${bannerWords[other()]}`;
    if (shown) render(shown);
  }

  /* view: {kind, screen (a key of V), order, reasons, note, label} */
  function render(view) {
    shown = view;
    shownAt = Date.now();
    const screen = V[view.screen];
    el.verdict.dataset.kind = view.kind;
    el.verdict.dataset.screen = view.screen;
    el.tag.textContent = screen.tag ? `${screen.tag[lang]} · ${screen.tag[other()]}` : "";
    const [h1, h2] = pair(screen.head);
    el.head.textContent = h1;
    el.head2.textContent = h2 === h1 ? "" : h2;
    const tagged = view.parcel && (view.parcel !== "1" || view.parcels);
    el.order.textContent = view.order ? view.order + (tagged ? ` · ${t("parcel")} ${view.parcel}` : "") : "";
    renderParcels(view);
    const [i1, i2] = pair(screen.instruction);
    el.instruction.textContent = i1 ? `${i1} / ${i2}` : "";
    el.note.textContent = view.note ? `${view.note[lang]} / ${view.note[other()]}` : "";

    el.reasons.replaceChildren();
    for (const reason of view.reasons || []) {
      const li = document.createElement("li");
      li.dataset.code = reason.code || "";
      li.dataset.verdict = reason.verdict || "";
      const code = document.createElement("span");
      code.className = "code";
      code.textContent = reason.code || "";
      li.append(code);
      const texts = lang === "zh" ? [reason.message_zh, reason.message] : [reason.message, reason.message_zh];
      for (const text of texts) {
        if (!text) continue;
        const msg = document.createElement("span");
        msg.className = "msg";
        msg.textContent = text;
        li.append(msg);
      }
      el.reasons.append(li);
    }
    el.verdict.classList.toggle("has-reasons", (view.reasons || []).length > 0);

    if (view.label) {
      el.label.hidden = false;
      el.tracking.textContent = view.label.tracking || "—";
      if (view.label.url) {
        el.labelLink.hidden = false;
        el.labelLink.href = view.label.url;
        el.labelLink.textContent = t(view.label.format === "zpl" ? "label.zpl" : "label.open");
        if (view.label.format === "zpl") el.labelLink.download = `label-${view.order}.zpl`;
        else el.labelLink.removeAttribute("download");
      } else {
        el.labelLink.hidden = true;
      }
    } else {
      el.label.hidden = true;
      el.labelLink.removeAttribute("href");
    }
  }

  function idle() {
    return { kind: "idle", screen: cfg.mode === "handover" ? "idleHandover" : "idle" };
  }

  function forgetLabel() {
    if (labelUrl) URL.revokeObjectURL(labelUrl);
    labelUrl = null;
    el.printFrame.removeAttribute("src");
  }

  // -------------------------------------------------------------- offline
  function goOffline() {
    if (offline) return;
    offline = true;
    offlineSince = new Date();
    forgetLabel();
    render(idle()); // wiped: when the guard comes back, the old verdict does not
    el.offline.hidden = false;
    el.body.dataset.offline = "true";
    el.offlineSince.textContent = `${lang === "zh" ? "离线开始于" : "Offline since"} ${offlineSince.toLocaleTimeString()}`;
    tone("offline");
  }

  function goOnline() {
    if (!offline) return;
    offline = false;
    el.offline.hidden = true;
    el.body.dataset.offline = "false";
    render({ kind: "idle", screen: "back" });
    if (streamStatus !== "live" && !setupOpen() && cfg.key) { stopStream(); runStream(); } // not after a long backoff
  }

  async function checkHealth() {
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(), HEALTH_TIMEOUT_MS);
    try {
      const res = await fetch("/readyz", { cache: "no-store", signal: ctrl.signal });
      if (res.ok) goOnline(); else goOffline();
    } catch (e) {
      goOffline();
    } finally {
      clearTimeout(timer);
    }
  }

  // ------------------------------------------------------------------ API
  class Offline extends Error {}
  class Refused extends Error {}

  async function call(method, path, body, headers) {
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(), CALL_TIMEOUT_MS);
    try {
      let res;
      try {
        res = await fetch(path, {
          method,
          cache: "no-store",
          signal: ctrl.signal,
          headers: { "Authorization": `Bearer ${cfg.key}`, "Content-Type": "application/json", ...(headers || {}) },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      } catch (e) {
        throw new Offline(String(e));
      }
      // A 5xx is never a verdict (contract, "Errors"): treat it as the guard being unreachable.
      if (res.status >= 500) throw new Offline(`HTTP ${res.status}`);
      let data = null;
      try { data = await res.json(); } catch (e) {
        if (ctrl.signal.aborted) throw new Offline("timeout");
      }
      if (res.status === 401) throw new Refused();
      return { status: res.status, data: data || {} };
    } finally {
      clearTimeout(timer);
    }
  }

  const errorCode = (data) => (data && data.error && data.error.code) || "";
  const errorDetails = (data) => (data && data.error && Array.isArray(data.error.details) ? data.error.details : []);
  const reasonObjects = (list) => (list || []).filter((r) => r && typeof r === "object" && r.code);

  // ---------------------------------------------------------------- scans
  function onScan(raw) {
    const code = raw.trim();
    if (!code) return;
    // Scans are handled one after another, in the order they were made.
    queue = queue.then(() => handle(code)).catch(() => {});
  }

  async function handle(code) {
    forgetLabel();
    render({ kind: "checking", screen: "checking", order: code });
    try {
      const view = cfg.mode === "handover" ? await handover(code) : await packing(code);
      goOnline();
      render(view);
      tone(view.kind === "clear" ? "clear" : view.kind === "idle" || view.kind === "choose" ? "notice"
           : view.kind === "block" || view.kind === "error" ? "block" : "hold");
    } catch (e) {
      if (e instanceof Refused) { toSetup(t("setup.refused"), true); return; }
      if (e instanceof Offline) { goOffline(); return; }
      render({ kind: "error", screen: "failed", order: code });
      tone("block");
    }
  }

  function refusal(status, data, code) {
    if (status === 403) return { kind: "error", screen: "forbidden", order: code };
    if (status === 422) return { kind: "warn", screen: "badCode", order: code };
    if (status === 429) return { kind: "warn", screen: "busy", order: code };
    return { kind: "error", screen: "failed", order: code };
  }

  // "ORDER" is the order's only parcel; "ORDER/2" is its parcel 2 ("/" is never part of an order id).
  function parseScan(code) {
    const at = code.lastIndexOf("/");
    return at > 0 ? { order: code.slice(0, at), parcel: code.slice(at + 1) || "1", chosen: true }
                  : { order: code, parcel: "1", chosen: false };
  }

  async function packing(code) {
    const { order: scanned, parcel, chosen } = parseScan(code);
    if (!chosen) {
      // Asked before the check: a check of parcel 1 would already hand out its clearance.
      const listed = await orderParcels(scanned);
      if (listed) return { kind: "choose", screen: "chooseParcel", order: scanned, parcels: listed };
    }
    const check = await call("POST", `/v1/orders/${encodeURIComponent(scanned)}/check`,
                             { station_id: cfg.station, parcel_id: parcel });
    if (check.status !== 200) return refusal(check.status, check.data, code);
    const result = check.data;
    const order = result.order_id || scanned;
    const base = { order, parcel: result.parcel_id || parcel };
    // The parcels are listed (after the check and any label, so they show both) only where the
    // packer picked one: an order scanned plainly has one parcel.
    const withParcels = async (view) => ({ ...view, ...base, parcels: chosen ? await orderParcels(order) : null });
    const reasons = reasonObjects(result.reasons);
    if (result.verdict === "block") return withParcels({ kind: "block", screen: "block", reasons });
    if (result.verdict === "hold") return withParcels({ kind: "hold", screen: "hold", reasons });
    if (result.verdict !== "clear") return withParcels({ kind: "error", screen: "failed" });
    const waived = waivedNote(result.waived);
    if (!result.clearance) {
      if (result.label) return withParcels({ kind: "clear", screen: "labelled", note: waived });
      return withParcels({ kind: "error", screen: "failed" });
    }
    return withParcels(await issueLabel(order, result.clearance.token, waived));
  }

  // The order's parcels, when it has more than one: the packer picks the one in hand.
  async function orderParcels(order) {
    try {
      const res = await call("GET", `/v1/orders/${encodeURIComponent(order)}`);
      const list = res.status === 200 && Array.isArray(res.data.parcels) ? res.data.parcels : [];
      return list.length > 1 ? list : null;
    } catch (e) {
      if (e instanceof Refused || e instanceof Offline) throw e;
      return null;
    }
  }

  function renderParcels(view) {
    el.parcels.replaceChildren();
    el.parcels.hidden = !view.parcels;
    if (!view.parcels) return;
    const title = document.createElement("div");
    title.className = "parcels-title";
    title.textContent = `${t("parcels.title")} (${view.parcels.length})`;
    el.parcels.append(title);
    for (const p of view.parcels) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "parcel";
      button.dataset.parcel = p.parcel_id;
      button.dataset.verdict = p.verdict || "";
      button.classList.toggle("current", p.parcel_id === view.parcel);
      const number = p.notice && p.notice.tracking_number ? ` · ${p.notice.tracking_number}` : "";
      const state = p.handed_over_at ? t("parcels.left") : p.label ? t("parcels.labelled")
        : `${t("verdict." + (p.verdict || "hold"))}${p.verdict === "clear" ? ", " + t("parcels.open") : ""}`;
      button.textContent = `${t("parcel")} ${p.parcel_id}${number} — ${state}`;
      button.addEventListener("click", () => onScan(`${view.order}/${p.parcel_id}`));
      el.parcels.append(button);
    }
  }

  function waivedNote(waived) {
    if (!Array.isArray(waived) || !waived.length) return null;
    const codes = waived.map((w) => w.code).join(", ");
    return { en: `Released by a supervisor (${codes})`, zh: `主管已放行（${codes}）` };
  }

  async function issueLabel(order, token, note) {
    // The label is re-judged as it is issued: green shows only once it exists.
    const res = await call("POST", "/v1/labels", { clearance: token, station_id: cfg.station },
                           { "Accept": "application/pdf, application/json" });
    if (res.status === 201) {
      const doc = res.data;
      const url = labelDocument(doc, order);
      return { kind: "clear", screen: "clear", order, note,
               label: { tracking: doc.tracking_number, url, format: doc.format } };
    }
    const code = errorCode(res.data);
    if (res.status === 409 && code === "ORDER_NOT_CLEAR") {
      const reasons = reasonObjects(errorDetails(res.data));
      const blocked = reasons.some((r) => r.verdict === "block");
      return { kind: blocked ? "block" : "hold", screen: blocked ? "block" : "hold", order, reasons };
    }
    if (res.status === 409) return { kind: "warn", screen: "scanAgain", order };
    return refusal(res.status, res.data, order);
  }

  function labelDocument(doc, order) {
    let blob;
    if (doc.content_base64) {
      const raw = atob(doc.content_base64);
      const bytes = new Uint8Array(raw.length);
      for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
      blob = new Blob([bytes], { type: doc.format === "pdf" ? "application/pdf" : "application/octet-stream" });
    } else if (doc.content) {
      blob = new Blob([doc.content], { type: "text/plain" });
    } else {
      return null;
    }
    labelUrl = URL.createObjectURL(blob);
    // A station with a network label printer was printed by the server: no dialog, no second copy.
    const sentToPrinter = doc.printer && doc.printer.sent;
    if (doc.format === "pdf" && !sentToPrinter) printPdf(labelUrl);
    return labelUrl;
  }

  function printPdf(url) {
    // Under automation there is no printer and print() would block: show the link only.
    if (navigator.webdriver) return;
    el.printFrame.onload = () => {
      try {
        el.printFrame.contentWindow.focus();
        el.printFrame.contentWindow.print();
      } catch (e) { /* the link stays on screen */ }
      setTimeout(focusScan, 500);
    };
    el.printFrame.src = url;
  }

  async function handover(code) {
    const res = await call("POST", "/v1/handovers", { code, station_id: cfg.station });
    // Answers and refusals name the order and parcel they judged (the code may be a tracking number).
    const judged = (res.data && (res.data.error || res.data)) || {};
    const order = judged.order_id || code;
    const parcel = judged.parcel_id || null;
    if (res.status === 200) return { kind: "clear", screen: "handoverOk", order, parcel };
    const errCode = errorCode(res.data);
    if (res.status === 409 && errCode === "ORDER_NOT_CLEAR") {
      return { kind: "block", screen: "pull", order, parcel, reasons: reasonObjects(errorDetails(res.data)) };
    }
    if (res.status === 409 && errCode === "CODE_AMBIGUOUS") return { kind: "block", screen: "ambiguous", order: code };
    if (res.status === 409 && errCode === "TRACKING_MISMATCH") return { kind: "block", screen: "mismatch", order, parcel };
    if (res.status === 409 && errCode === "ALREADY_HANDED_OVER") return { kind: "block", screen: "handedOver", order, parcel };
    if (res.status === 409 && errCode === "NOT_LABELLED") return { kind: "warn", screen: "notLabelled", order, parcel };
    if (res.status === 404) return { kind: "warn", screen: "unknownCode", order: code };
    return refusal(res.status, res.data, code);
  }

  // --------------------------------------------------------------- stream
  function setStream(status) {
    streamStatus = status;
    el.streamStatus.dataset.status = status;
    el.streamStatus.textContent = t("stream." + status);
  }

  function stopStream() {
    streamGen += 1;
    if (streamCtrl) streamCtrl.abort();
    streamCtrl = null;
    setStream("off");
  }

  async function runStream() {
    const gen = ++streamGen;
    let backoff = 1000;
    while (gen === streamGen) {
      const ctrl = new AbortController();
      streamCtrl = ctrl;
      let wait = backoff;
      try {
        const res = await fetch(`/v1/stations/${encodeURIComponent(cfg.station)}/stream`, {
          headers: { "Authorization": `Bearer ${cfg.key}`, "Accept": "text/event-stream" },
          cache: "no-store",
          signal: ctrl.signal,
        });
        if (gen !== streamGen) return;
        if (res.status === 401) { toSetup(t("setup.refused"), true); return; }
        if (res.status === 403) {
          setStream("forbidden");
          wait = 60000;
        } else if (res.ok && res.body) {
          setStream("live");
          backoff = 1000;
          await readStream(res.body, gen);
          wait = backoff;
        }
      } catch (e) { /* dropped: reconnect below */ }
      if (gen !== streamGen) return;
      if (streamStatus !== "forbidden") setStream("reconnecting");
      checkHealth();
      await new Promise((resolve) => setTimeout(resolve, wait + Math.random() * 500));
      backoff = Math.min(backoff * 2, 15000);
    }
  }

  async function readStream(body, gen) {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    streamLastByte = Date.now();
    for (;;) {
      const { value, done } = await reader.read();
      if (done || gen !== streamGen) return;
      streamLastByte = Date.now();
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, "\n");
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        sseEvent(block);
      }
    }
  }

  function sseEvent(block) {
    let type = "message";
    let id = null;
    const data = [];
    for (const line of block.split("\n")) {
      if (!line || line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "event") type = value;
      else if (field === "data") data.push(value);
      else if (field === "id") id = value;
    }
    if (!data.length) return;
    let payload;
    try { payload = JSON.parse(data.join("\n")); } catch (e) { return; }
    notice(type, id || payload.id, payload);
  }

  function notice(type, id, payload) {
    const text = NOTICE_TEXT[type];
    const order = payload && payload.data && payload.data.order_id;
    if (!text || !order) return; // overdue and refresh requests are for the ERP and the board
    if (id) {
      if (seenNotices.has(id)) return; // delivery is at least once
      seenNotices.add(id);
    }
    const parcel = payload.data.parcel_id || null;
    const words = text(noticeSubject(order, parcel));
    const li = document.createElement("li");
    li.className = "notice fresh";
    li.dataset.type = type;
    li.dataset.order = order;
    if (parcel) li.dataset.parcel = parcel;
    const when = document.createElement("span");
    when.className = "when";
    when.textContent = new Date().toLocaleTimeString();
    const first = document.createElement("span");
    first.className = "text";
    first.dataset.lang = lang;
    first.textContent = words[lang];
    const second = document.createElement("span");
    second.className = "text";
    second.dataset.lang = other();
    second.textContent = words[other()];
    const dismiss = document.createElement("button");
    dismiss.type = "button";
    dismiss.className = "dismiss";
    dismiss.textContent = "✕";
    dismiss.setAttribute("aria-label", t("notice.dismiss"));
    dismiss.addEventListener("click", () => { li.remove(); updateNoticeEmpty(); });
    li.append(when, first, second, dismiss);
    el.notices.prepend(li);
    while (el.notices.children.length > MAX_NOTICES) el.notices.lastElementChild.remove();
    updateNoticeEmpty();
    // Decided once any scan in progress has shown its verdict (the notification can beat the answer).
    queue.then(() => {
      if (echoes(type, order)) {
        li.classList.remove("fresh"); // kept in the log, but no banner or sound for what the screen just said
        return;
      }
      showBanner(type, order, words);
      tone(type === "hold.released" ? "notice" : "block");
    });
  }

  // A scan here can cause the notification itself (a check that blocks, a hand-over that
  // pulls): the verdict on screen already says it.
  function echoes(type, order) {
    if (!shown || Date.now() - shownAt > 10000) return false;
    if (type === "order.pull") return shown.screen === "pull" || shown.screen === "mismatch";
    if (type === "order.blocked") return shown.kind === "block" && (shown.order === order || shown.screen === "pull");
    if (type === "hold.released") return shown.kind === "clear" && shown.order === order;
    return false;
  }

  // The newest notice also runs across the screen, big enough to read from the bench.
  let bannerTimer = null;
  let bannerWords = null;
  function showBanner(type, order, words) {
    el.banner.dataset.type = type;
    el.banner.dataset.order = order;
    bannerWords = words;
    el.bannerText.textContent = `${words[lang]} / ${words[other()]}`;
    el.banner.hidden = false;
    clearTimeout(bannerTimer);
    bannerTimer = setTimeout(hideBanner, BANNER_MS);
  }
  function hideBanner() { el.banner.hidden = true; }

  function updateNoticeEmpty() { el.noticeEmpty.hidden = el.notices.children.length > 0; }

  setInterval(() => {
    // A stream that went silent (no keepalive) is dead even if the socket says otherwise.
    if (streamStatus === "live" && Date.now() - streamLastByte > STREAM_SILENCE_MS && streamCtrl) streamCtrl.abort();
  }, 5000);

  // ---------------------------------------------------------------- setup
  function setupOpen() { return el.body.dataset.screen === "setup"; }

  function toSetup(message, dropKey) {
    stopStream();
    if (dropKey) { delete cfg.key; save(); }
    el.setupMessage.textContent = message || "";
    el.setupStation.value = cfg.station || "";
    el.setupKey.value = cfg.key || "";
    for (const radio of el.setupForm.elements.mode) radio.checked = radio.value === (cfg.mode || "packing");
    el.body.dataset.screen = "setup";
    render(idle());
    (cfg.station ? el.setupKey : el.setupStation).focus();
  }

  function start() {
    el.body.dataset.screen = "work";
    el.body.dataset.mode = cfg.mode;
    applyText();
    render(idle());
    focusScan();
    runStream();
  }

  el.setupForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const station = el.setupStation.value.trim();
    const key = el.setupKey.value.trim();
    if (!ID_RULE.test(station)) { el.setupMessage.textContent = t("setup.bad_station"); return; }
    if (!key) return;
    cfg = { ...cfg, station, key, mode: el.setupForm.elements.mode.value || "packing", lang };
    save();
    el.setupMessage.textContent = "";
    start();
  });

  // ----------------------------------------------------------- controls
  function focusScan() {
    if (!setupOpen() && document.activeElement !== el.scan) el.scan.focus({ preventScroll: true });
  }

  el.scanForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = el.scan.value;
    el.scan.value = "";
    onScan(value);
  });
  // The scan field always has focus: a scanner types into whatever is focused.
  el.scan.addEventListener("blur", () => setTimeout(focusScan, 0));
  document.addEventListener("click", () => setTimeout(focusScan, 0));
  document.addEventListener("keydown", () => audioContext(), { once: true });
  document.addEventListener("pointerdown", () => audioContext(), { once: true });
  window.addEventListener("focus", focusScan);

  el.langToggle.addEventListener("click", () => {
    lang = other();
    cfg.lang = lang;
    save();
    applyText();
  });
  el.modeToggle.addEventListener("click", () => {
    cfg.mode = cfg.mode === "handover" ? "packing" : "handover";
    save();
    el.body.dataset.mode = cfg.mode;
    forgetLabel();
    applyText();
    render(idle());
  });
  el.settings.addEventListener("click", () => toSetup(""));
  el.bannerClose.addEventListener("click", hideBanner);

  // Exposed for the page tests and for a curious supervisor at the console.
  window.guardStation = { state: () => ({ offline, stream: streamStatus, shown, mode: cfg.mode, station: cfg.station }) };

  // ----------------------------------------------------------------- boot
  cfg.mode = cfg.mode === "handover" ? "handover" : "packing";
  applyText();
  setStream("off");
  updateNoticeEmpty();
  setInterval(checkHealth, HEALTH_EVERY_MS);
  if (cfg.station && cfg.key) start(); else toSetup("");
})();
