/*
 * checkocr demo page: draw or upload an image, POST it to /v1/checks/read, show what the reader saw.
 *
 * Plain browser JavaScript with no dependencies and no build step, loaded as an external file so the
 * page runs under a strict Content-Security-Policy (no inline script). The API key lives only in
 * sessionStorage (this tab) and travels as the X-API-Key header, never in a URL.
 */
"use strict";

(() => {
  const KEY_STORAGE = "checkocr.apiKey";
  const READ_URL = "/v1/checks/read";
  const LOW_CONFIDENCE = 0.9;
  const ZOOM_MAX_HEIGHT = 220;
  const INK = "#111111";
  const PAPER = "#ffffff";

  const $ = (id) => document.getElementById(id);
  const els = {
    keyForm: $("key-form"),
    key: $("api-key"),
    keyForget: $("key-forget"),
    pad: $("pad"),
    penWidth: $("pen-width"),
    penWidthValue: $("pen-width-value"),
    padClear: $("pad-clear"),
    padRead: $("pad-read"),
    dropZone: $("drop-zone"),
    fileButton: $("file-button"),
    fileInput: $("file-input"),
    fileName: $("file-name"),
    status: $("status"),
    problem: $("problem"),
    problemStatus: $("problem-status"),
    problemTitle: $("problem-title-text"),
    problemDetail: $("problem-detail"),
    problemMeta: $("problem-meta"),
    problemHint: $("problem-hint"),
    result: $("result"),
    amount: $("amount"),
    amountReason: $("amount-reason"),
    confidence: $("confidence"),
    confidenceMeter: $("confidence-meter"),
    review: $("review"),
    fieldInfo: $("field-info"),
    readersInfo: $("readers-info"),
    reasonsInfo: $("reasons-info"),
    modelInfo: $("model-info"),
    timingInfo: $("timing-info"),
    previewStage: $("preview-stage"),
    previewImg: $("preview-img"),
    previewNote: $("preview-note"),
    overlay: $("overlay"),
    zoomWrap: $("zoom-wrap"),
    zoom: $("zoom"),
    charsBody: $("chars-body"),
  };

  /* ---------- API key: sessionStorage only ---------- */

  function storedKey() {
    try {
      return window.sessionStorage.getItem(KEY_STORAGE) || "";
    } catch (_) {
      return "";
    }
  }

  function storeKey(value) {
    try {
      if (value) {
        window.sessionStorage.setItem(KEY_STORAGE, value);
      } else {
        window.sessionStorage.removeItem(KEY_STORAGE);
      }
    } catch (_) {
      /* storage disabled: the key still works from the input for this page view */
    }
  }

  function setUpKey() {
    els.key.value = storedKey();
    els.key.addEventListener("input", () => storeKey(els.key.value.trim()));
    els.keyForm.addEventListener("submit", (event) => event.preventDefault());
    els.keyForget.addEventListener("click", () => {
      els.key.value = "";
      storeKey("");
      els.key.focus();
    });
  }

  function authHeaders() {
    const key = els.key.value.trim();
    return key ? { "X-API-Key": key } : {};
  }

  /* ---------- Drawing pad (Pointer Events: mouse, pen, touch) ---------- */

  const pad = els.pad.getContext("2d");
  let stroke = null; // {id, x, y} of the pointer that is drawing

  function clearPad() {
    pad.save();
    pad.setTransform(1, 0, 0, 1, 0, 0);
    pad.fillStyle = PAPER;
    pad.fillRect(0, 0, els.pad.width, els.pad.height);
    pad.restore();
  }

  function penWidth() {
    return Number(els.penWidth.value);
  }

  /** Pointer position in canvas pixels (the canvas is scaled by CSS to the page width). */
  function padPoint(event) {
    const rect = els.pad.getBoundingClientRect();
    return {
      x: ((event.clientX - rect.left) * els.pad.width) / rect.width,
      y: ((event.clientY - rect.top) * els.pad.height) / rect.height,
    };
  }

  function drawSegment(from, to) {
    pad.strokeStyle = INK;
    pad.fillStyle = INK;
    pad.lineWidth = penWidth();
    pad.lineCap = "round";
    pad.lineJoin = "round";
    pad.beginPath();
    pad.moveTo(from.x, from.y);
    pad.lineTo(to.x, to.y);
    pad.stroke();
  }

  function setUpPad() {
    clearPad();
    const showWidth = () => {
      els.penWidthValue.textContent = `${els.penWidth.value} px`;
    };
    showWidth();
    els.penWidth.addEventListener("input", showWidth);

    els.pad.addEventListener("pointerdown", (event) => {
      if (event.pointerType === "mouse" && event.button !== 0) return;
      event.preventDefault();
      els.pad.setPointerCapture(event.pointerId);
      const point = padPoint(event);
      stroke = { id: event.pointerId, ...point };
      drawSegment(point, point); // a tap leaves a dot
    });
    els.pad.addEventListener("pointermove", (event) => {
      if (!stroke || event.pointerId !== stroke.id) return;
      const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
      for (const sample of events.length ? events : [event]) {
        const point = padPoint(sample);
        drawSegment(stroke, point);
        stroke.x = point.x;
        stroke.y = point.y;
      }
    });
    const end = (event) => {
      if (stroke && event.pointerId === stroke.id) stroke = null;
    };
    els.pad.addEventListener("pointerup", end);
    els.pad.addEventListener("pointercancel", end);
    els.padClear.addEventListener("click", clearPad);
    els.padRead.addEventListener("click", readDrawing);
  }

  function readDrawing() {
    els.pad.toBlob((blob) => {
      if (!blob) {
        showProblem({ title: "Could not export the drawing", detail: "the browser returned no PNG data" });
        return;
      }
      submit(blob, "drawing.png", "field", "the drawing");
    }, "image/png");
  }

  /* ---------- Upload: file input and drag and drop ---------- */

  function setUpUpload() {
    els.fileButton.addEventListener("click", () => els.fileInput.click());
    els.fileInput.addEventListener("change", () => {
      const file = els.fileInput.files && els.fileInput.files[0];
      if (file) readFile(file);
    });
    const zone = els.dropZone;
    ["dragenter", "dragover"].forEach((type) =>
      zone.addEventListener(type, (event) => {
        event.preventDefault();
        event.dataTransfer.dropEffect = "copy";
        zone.classList.add("dragging");
      }),
    );
    ["dragleave", "dragend"].forEach((type) =>
      zone.addEventListener(type, () => zone.classList.remove("dragging")),
    );
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      zone.classList.remove("dragging");
      const file = event.dataTransfer.files && event.dataTransfer.files[0];
      if (file) readFile(file);
    });
    // A file dropped next to the zone must not make the browser navigate away to it.
    window.addEventListener("dragover", (event) => event.preventDefault());
    window.addEventListener("drop", (event) => event.preventDefault());
  }

  function readFile(file) {
    els.fileName.textContent = `${file.name} · ${formatBytes(file.size)}`;
    submit(file, file.name, "auto", file.name);
  }

  /* ---------- Talking to the service ---------- */

  let requestSeq = 0;
  let previewUrl = null;
  let current = null; // the reading on display, for redrawing the overlay

  function setBusy(busy, text) {
    els.padRead.disabled = busy;
    els.fileButton.disabled = busy;
    els.status.classList.toggle("busy", busy);
    els.status.textContent = text;
  }

  async function submit(blob, filename, region, label) {
    const seq = ++requestSeq;
    setBusy(true, `Reading ${label}…`);
    const form = new FormData();
    form.append("image", blob, filename);
    let outcome;
    try {
      const response = await fetch(`${READ_URL}?region=${encodeURIComponent(region)}`, {
        method: "POST",
        headers: { Accept: "application/json, application/problem+json", ...authHeaders() },
        body: form,
        credentials: "same-origin",
        cache: "no-store",
      });
      outcome = await interpret(response);
    } catch (error) {
      outcome = {
        problem: {
          title: "Network error",
          detail: `the service could not be reached (${error && error.message ? error.message : error})`,
        },
      };
    }
    if (seq !== requestSeq) return; // a newer request superseded this one
    if (outcome.reading) {
      setBusy(false, `Read ${label}.`);
      showReading(outcome.reading, blob);
    } else {
      setBusy(false, `The service refused ${label}.`);
      showProblem(outcome.problem);
    }
  }

  /** A reading on 2xx; otherwise the RFC 9457 problem the service sent (or one describing the reply). */
  async function interpret(response) {
    const type = (response.headers.get("content-type") || "").toLowerCase();
    let body = null;
    if (type.includes("json")) {
      try {
        body = await response.json();
      } catch (_) {
        body = null;
      }
    }
    if (response.ok && body && typeof body === "object" && "characters" in body) {
      return { reading: body };
    }
    if (body && typeof body === "object" && (body.title || body.detail)) {
      return { problem: { status: response.status, ...body } };
    }
    return {
      problem: {
        status: response.status,
        title: response.statusText || "Unexpected response",
        detail: `the service answered ${response.status} with ${type || "no content type"}`,
      },
    };
  }

  /* ---------- Showing results ---------- */

  function showProblem(problem) {
    els.result.hidden = true;
    current = null;
    els.problemStatus.textContent = problem.status ? String(problem.status) : "";
    els.problemStatus.hidden = !problem.status;
    els.problemTitle.textContent = problem.title || "Error";
    els.problemDetail.textContent = problem.detail || "";
    const meta = [];
    if (problem.type) meta.push(`type: ${problem.type}`);
    if (problem.reason) meta.push(`reason: ${problem.reason}`);
    if (problem.request_id) meta.push(`request id: ${problem.request_id}`);
    els.problemMeta.textContent = meta.join(" · ");
    els.problemHint.hidden = problem.status !== 401;
    els.problem.hidden = false;
  }

  function showReading(reading, blob) {
    els.problem.hidden = true;
    current = reading;
    const readable = reading.amount !== null && reading.amount !== undefined;
    els.amount.textContent = readable ? reading.amount : "Unreadable";
    els.amount.classList.toggle("unreadable", !readable);
    els.amountReason.textContent = readable
      ? `${reading.amount_cents} cents`
      : reading.reason || "no amount could be read";

    const confidence = Number(reading.confidence) || 0;
    els.confidence.textContent = percent(confidence);
    els.confidenceMeter.value = confidence;
    els.review.textContent = reading.needs_review ? "Needs review" : "Accepted";
    els.review.className = `badge ${reading.needs_review ? "review" : "ok"}`;

    const field = reading.field;
    els.fieldInfo.textContent = field ? `${field.source} · ${boxText(field.bbox)}` : "none";
    els.readersInfo.textContent = readersText(reading);
    els.reasonsInfo.textContent = (reading.review_reasons || []).join(", ") || "none";
    const models = reading.models && reading.models.length ? reading.models : [reading.model || {}];
    els.modelInfo.textContent = models.map((m) => `${m.name || "?"} ${m.version || ""}`.trim()).join(" · ");
    const timings = reading.timings_ms || {};
    els.timingInfo.textContent =
      typeof timings.total === "number"
        ? `${timings.total.toFixed(1)} ms (${reading.reader || "digits"} reader)`
        : "n/a";

    fillTable(reading.characters || []);
    els.result.hidden = false;
    showPreview(blob);
  }

  /** What each reader read on its own (reader=fused), then the fused choice. */
  function readersText(reading) {
    const views = reading.readers;
    if (!views) return `${reading.reader || "digits"} reader only`;
    const part = (name, label) => {
      const view = views[name];
      if (!view) return `${label}: n/a`;
      const text = view.text || "nothing";
      return `${label}: "${text}" → ${view.amount ?? "unreadable"}`;
    };
    return `${part("digits", "digit path")} · ${part("field", "field model")} · fused: ${reading.amount ?? "unreadable"}`;
  }

  function fillTable(characters) {
    els.charsBody.replaceChildren();
    if (!characters.length) {
      const row = document.createElement("tr");
      const cell = makeCell("No glyphs were found.", "");
      cell.colSpan = 6;
      row.append(cell);
      els.charsBody.append(row);
      return;
    }
    characters.forEach((ch, index) => {
      const row = document.createElement("tr");
      row.dataset.index = String(index);
      const conf = makeCell(percent(ch.confidence), "num");
      if (ch.confidence < LOW_CONFIDENCE) {
        conf.classList.add("low");
        conf.title = `below ${percent(LOW_CONFIDENCE)}`;
      }
      const alternatives = (ch.alternatives || [])
        .map((alt) => `${alt.char} (${percent(alt.confidence)})`)
        .join(", ");
      const kind = ch.raised ? `${ch.kind}, raised` : ch.kind;
      row.append(
        makeCell(String(index + 1), "num"),
        makeCell(ch.char, "char"),
        makeCell(kind, ""),
        conf,
        makeCell(alternatives || "—", "alts"),
        makeCell(boxText(ch.bbox), "box"),
      );
      row.addEventListener("mouseenter", () => highlight(index));
      row.addEventListener("mouseleave", () => highlight(-1));
      els.charsBody.append(row);
    });
  }

  function makeCell(text, className) {
    const td = document.createElement("td");
    td.textContent = text;
    if (className) td.className = className;
    return td;
  }

  /* ---------- Image with the field and glyph boxes drawn over it ---------- */

  let active = -1;

  function showPreview(blob) {
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    previewUrl = URL.createObjectURL(blob);
    els.previewNote.textContent = "";
    els.previewStage.hidden = false;
    els.previewImg.onload = drawOverlay;
    els.previewImg.onerror = () => {
      // Chromium and Firefox cannot display TIFF: the reading still stands, only the picture is missing.
      els.previewStage.hidden = true;
      els.zoomWrap.hidden = true;
      els.previewNote.textContent = "This browser cannot display this image format; the boxes are listed below.";
    };
    els.previewImg.src = previewUrl;
  }

  function highlight(index) {
    active = index;
    for (const row of els.charsBody.rows) {
      row.classList.toggle("active", Number(row.dataset.index) === index);
    }
    drawOverlay();
  }

  /** A canvas sized to ``width`` x ``height`` CSS pixels, sharp on high-DPI screens; returns its 2D context. */
  function sizedContext(canvas, width, height) {
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.max(1, Math.round(width * ratio));
    canvas.height = Math.max(1, Math.round(height * ratio));
    canvas.style.width = `${width}px`;
    canvas.style.height = `${height}px`;
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    return ctx;
  }

  function glyphColour(ch) {
    return ch.confidence < LOW_CONFIDENCE ? "#b91c1c" : "#1a56db";
  }

  /** Glyph boxes mapped by ``toView`` (image pixels -> canvas pixels); the hovered one is filled. */
  function drawGlyphBoxes(ctx, toView) {
    (current.characters || []).forEach((ch, index) => {
      const [x, y, w, h] = toView(ch.bbox);
      ctx.lineWidth = index === active ? 3 : 1.5;
      ctx.strokeStyle = glyphColour(ch);
      if (index === active) {
        ctx.fillStyle = "rgba(26, 86, 219, 0.18)";
        ctx.fillRect(x, y, w, h);
      }
      ctx.strokeRect(x, y, w, h);
    });
  }

  /** The character read, in a tag above its box (below when there is no room above). */
  function drawGlyphLabels(ctx, toView, fontSize) {
    ctx.font = `700 ${fontSize}px system-ui, sans-serif`;
    ctx.textBaseline = "middle";
    (current.characters || []).forEach((ch) => {
      const [x, y, , h] = toView(ch.bbox);
      const tagHeight = fontSize + 4;
      const tagWidth = ctx.measureText(ch.char).width + 6;
      const top = y - tagHeight - 2 >= 0 ? y - tagHeight - 2 : y + h + 2;
      ctx.fillStyle = glyphColour(ch);
      ctx.fillRect(x, top, tagWidth, tagHeight);
      ctx.fillStyle = "#ffffff";
      ctx.fillText(ch.char, x + 3, top + tagHeight / 2 + 1);
    });
  }

  function drawOverlay() {
    const img = els.previewImg;
    if (!current || !img.naturalWidth) return;
    const width = img.clientWidth;
    const height = img.clientHeight;
    const ctx = sizedContext(els.overlay, width, height);
    const sx = width / img.naturalWidth;
    const sy = height / img.naturalHeight;
    const toView = ([x, y, w, h]) => [x * sx, y * sy, w * sx, h * sy];

    const field = current.field;
    if (field && field.source !== "whole_image") {
      ctx.save();
      ctx.setLineDash([6, 4]);
      ctx.lineWidth = 2;
      ctx.strokeStyle = "#d97706";
      ctx.strokeRect(...toView(field.bbox));
      ctx.restore();
    }
    drawGlyphBoxes(ctx, toView);
    const detected = Boolean(field && field.source === "detected");
    if (!detected) {
      // The image is the field itself: label the glyphs right here.
      drawGlyphLabels(ctx, toView, Math.max(11, Math.min(18, Math.round(height / 16))));
    }
    els.zoomWrap.hidden = !detected;
    if (detected) drawZoom(field.bbox);
  }

  /** The located field cut out of the check and enlarged, so small handwriting and its boxes are legible. */
  function drawZoom(bbox) {
    const img = els.previewImg;
    const [fx, fy, fw, fh] = bbox;
    const margin = Math.round(Math.max(fh * 0.35, 8));
    const cx = Math.max(0, fx - margin);
    const cy = Math.max(0, fy - margin);
    const cropW = Math.min(img.naturalWidth, fx + fw + margin) - cx;
    const cropH = Math.min(img.naturalHeight, fy + fh + margin) - cy;
    const available = Math.max(200, els.previewStage.parentElement.clientWidth - 2);
    const scale = Math.min(available / cropW, ZOOM_MAX_HEIGHT / cropH, 4);
    const width = Math.round(cropW * scale);
    const height = Math.round(cropH * scale);
    const ctx = sizedContext(els.zoom, width, height);
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(img, cx, cy, cropW, cropH, 0, 0, width, height);
    const toView = ([x, y, w, h]) => [(x - cx) * scale, (y - cy) * scale, w * scale, h * scale];
    ctx.save();
    ctx.setLineDash([8, 5]);
    ctx.lineWidth = 2;
    ctx.strokeStyle = "#d97706";
    ctx.strokeRect(...toView(bbox));
    ctx.restore();
    drawGlyphBoxes(ctx, toView);
    drawGlyphLabels(ctx, toView, 16);
  }

  /* ---------- Small formatting helpers ---------- */

  function percent(value) {
    const p = Number(value) * 100;
    if (p > 99.99) return ">99.99%"; // never round a near-certainty up to a certainty
    if (p < 0.01) return "<0.01%";
    return `${p >= 99.5 || p < 1 ? p.toFixed(2) : p.toFixed(1)}%`;
  }

  function boxText(bbox) {
    if (!Array.isArray(bbox) || bbox.length !== 4) return "—";
    const [x, y, w, h] = bbox;
    return `${x}, ${y}, ${w}×${h}`;
  }

  function formatBytes(bytes) {
    if (bytes < 1024) return `${bytes} B`;
    if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
    return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
  }

  setUpKey();
  setUpPad();
  setUpUpload();
  if (window.ResizeObserver) {
    new ResizeObserver(drawOverlay).observe(els.previewImg);
  } else {
    window.addEventListener("resize", drawOverlay);
  }
})();
