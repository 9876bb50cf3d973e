// panel.js: how the dashboard draws an LED panel, shared by the pages that
// preview content (Nội dung, Vòng phát), so the same panel looks the same
// on both. A view shows a rendition's own pixels scaled up without
// smoothing, or as round lamps (unlit lamps dim grey on black, as a panel
// that is switched on looks); a ticker strip scrolls as the player scrolls
// it; a video plays the frames of its stored rendition (a ZIP of PNGs).
'use strict';

window.panoPanel = (() => {
  const fitOf = (g) => g.fit || 'contain';
  const key = (g) => g.width + 'x' + g.height + ':' + fitOf(g);
  const query = (g) => 'w=' + g.width + '&h=' + g.height + '&fit=' + fitOf(g);

  // geometries are the distinct panel geometries of the displays, each
  // with its screens' names: the max that most screens have, smallest
  // first; 128×64 when there is no display.
  function geometries(displays, max = 16) {
    const seen = new Map();
    for (const d of displays) {
      const g = { width: d.width, height: d.height, fit: fitOf(d), names: [] };
      if (!seen.has(key(g))) seen.set(key(g), g);
      seen.get(key(g)).names.push(d.name);
    }
    const out = [...seen.values()].sort((a, b) => b.names.length - a.names.length).slice(0, max)
      .sort((a, b) => a.width * a.height - b.width * b.height || a.width - b.width);
    return out.length ? out : [{ width: 128, height: 64, fit: 'contain', names: [] }];
  }

  // sizer gives the scale of each of a set of panels drawn side by side.
  // When it can, one scale for all: the widest fills maxW (the tallest
  // maxH). When that would make the narrowest less than minW wide (a
  // 1100-pixel bar beside a 64-pixel panel), widths are compressed
  // (width^a, 0 < a < 1) so that it gets minW: a wider panel is still
  // always drawn wider, never smaller than a narrower one.
  function sizer(geoms, maxW, maxH = Infinity, minW = 64) {
    const wmax = Math.max(...geoms.map((g) => g.width)), wmin = Math.min(...geoms.map((g) => g.width));
    const hmax = Math.max(...geoms.map((g) => g.height));
    const one = Math.min(12, maxW / wmax, maxH / hmax);
    if (wmin * one >= minW || wmin === wmax) return () => one;
    const a = Math.log(minW / maxW) / Math.log(wmin / wmax);
    return (g) => Math.min(12, (maxW * Math.pow(g.width / wmax, a)) / g.width, maxH / g.height);
  }

  // ---- the lamp look, kept by the browser, the same on every page
  let dots = localStorage.getItem('pano.dots') === '1';
  const live = new Set();
  const boxes = new Set();
  function setDots(on) {
    dots = !!on;
    localStorage.setItem('pano.dots', dots ? '1' : '0');
    for (const b of boxes) b.checked = dots;
    for (const v of live) v.redraw();
  }
  // bindDots makes a checkbox switch the lamp look.
  function bindDots(box) {
    box.checked = dots;
    boxes.add(box);
    box.addEventListener('change', () => setDots(box.checked));
  }

  // ---- a video rendition: a ZIP (stored entries) of PNG frames and a
  // manifest, read through its central directory.
  function unzip(buf) {
    const dv = new DataView(buf);
    let e = buf.byteLength - 22;
    while (e >= 0 && dv.getUint32(e, true) !== 0x06054b50) e--;
    if (e < 0) throw new Error(pano.t('err_error'));
    const n = dv.getUint16(e + 10, true);
    let p = dv.getUint32(e + 16, true);
    const out = new Map();
    const dec = new TextDecoder();
    for (let i = 0; i < n; i++) {
      if (dv.getUint32(p, true) !== 0x02014b50) throw new Error(pano.t('err_error'));
      const method = dv.getUint16(p + 10, true), size = dv.getUint32(p + 20, true);
      const nl = dv.getUint16(p + 28, true), xl = dv.getUint16(p + 30, true), cl = dv.getUint16(p + 32, true);
      const at = dv.getUint32(p + 42, true);
      const name = dec.decode(new Uint8Array(buf, p + 46, nl));
      const start = at + 30 + dv.getUint16(at + 26, true) + dv.getUint16(at + 28, true);
      if (method === 0) out.set(name, new Uint8Array(buf, start, size));
      p += 46 + nl + xl + cl;
    }
    return out;
  }
  const MAX_FRAMES = 1500; // a minute at 25 frames a second

  // video loads a video's rendition for g: {frames (ImageBitmaps), fps,
  // total (frames in the file), cut (more than MAX_FRAMES)}. Errors are
  // the API's, in the page's language.
  async function video(id, g) {
    const b = await pano.blob('/media/' + id + '/rendition?' + query(g));
    const files = unzip(await b.arrayBuffer());
    const man = JSON.parse(new TextDecoder().decode(files.get('manifest.json')));
    const n = Math.min(man.frames, MAX_FRAMES);
    const frames = [];
    for (let i = 0; i < n; i++) {
      const png = files.get('frames/' + String(i).padStart(6, '0') + '.png');
      frames.push(await createImageBitmap(new Blob([png], { type: 'image/png' })));
    }
    return { frames, fps: man.fps, total: man.frames, cut: man.frames > n };
  }

  // view draws a g.width×g.height panel on a canvas (opts.canvas, or a new
  // one) at scale (CSS pixels per lamp; the canvas keeps whole pixels per
  // lamp). show(bitmap, {pps}) shows a still picture, or a ticker strip
  // (wider than the panel) scrolled at pps; show(null, {frames, fps})
  // plays video frames. opts.clock() is the milliseconds the item has been
  // shown (default: since show); opts.label names the canvas for readers.
  function view(g, scale, opts = {}) {
    const w = g.width, h = g.height;
    const cv = opts.canvas || document.createElement('canvas');
    const k = Math.max(1, Math.min(12, Math.ceil(scale - 0.001))); // canvas pixels per lamp
    cv.width = w * k;
    cv.height = h * k;
    if (!opts.canvas) cv.style.width = Math.round(w * scale) + 'px'; // the height follows the canvas's own shape
    if (opts.className) cv.className = opts.className;
    if (opts.label) {
      cv.setAttribute('role', 'img');
      cv.setAttribute('aria-label', opts.label);
    }
    cv.dataset.geom = w + 'x' + h;
    cv.dataset.scale = String(k);
    delete cv.dataset.ready;
    const ctx = cv.getContext('2d');
    const off = document.createElement('canvas');
    off.width = w;
    off.height = h;
    const octx = off.getContext('2d', { willReadFrequently: true });
    let src = null, frames = null, fps = 0, pps = 0, t0 = 0, raf = 0, stopped = false;
    const clock = opts.clock || (() => performance.now() - t0);

    function blit() {
      ctx.imageSmoothingEnabled = false;
      ctx.fillStyle = '#000';
      ctx.fillRect(0, 0, cv.width, cv.height);
      cv.dataset.look = dots && k >= 3 ? 'dots' : 'pixels';
      if (!dots || k < 3) {
        ctx.drawImage(off, 0, 0, w * k, h * k);
        return;
      }
      // One path per colour: a panel has few colours and many lamps.
      const px = octx.getImageData(0, 0, w, h).data;
      const r = k * 0.42;
      const paths = new Map();
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const i = (y * w + x) * 4;
          const c = px[i] + px[i + 1] + px[i + 2] < 24 ? '#1c1c1c' : 'rgb(' + px[i] + ',' + px[i + 1] + ',' + px[i + 2] + ')';
          let p = paths.get(c);
          if (!p) paths.set(c, (p = new Path2D()));
          const cx = x * k + k / 2, cy = y * k + k / 2;
          p.moveTo(cx + r, cy);
          p.arc(cx, cy, r, 0, 2 * Math.PI);
        }
      }
      for (const [c, p] of paths) {
        ctx.fillStyle = c;
        ctx.fill(p);
      }
    }
    function paint() {
      const secs = Math.max(0, clock()) / 1000;
      octx.fillStyle = '#000';
      octx.fillRect(0, 0, w, h);
      if (frames && frames.length) {
        octx.drawImage(frames[Math.floor(secs * fps) % frames.length], 0, 0, w, h);
      } else if (src && src.width > w && pps > 0) {
        // A ticker strip is circular: columns [o, o+w) wrapping to 0.
        const W = src.width;
        const o = Math.floor(secs * pps) % W;
        const first = Math.min(w, W - o);
        octx.drawImage(src, o, 0, first, h, 0, 0, first, h);
        if (first < w) octx.drawImage(src, 0, 0, w - first, h, first, 0, w - first, h);
      } else if (src) {
        octx.drawImage(src, 0, 0, w, h);
      }
      blit();
    }
    const moving = () => !!((frames && frames.length > 1) || (src && src.width > w && pps > 0));
    function loop() {
      raf = 0;
      if (stopped || !cv.isConnected) { v.stop(); return; }
      if (cv.offsetParent !== null) paint(); // not while hidden
      raf = requestAnimationFrame(loop);
    }
    const v = {
      canvas: cv,
      show(bitmap, o = {}) {
        src = bitmap;
        frames = o.frames || null;
        fps = o.fps || 0;
        pps = o.pps || 2 * h;
        t0 = performance.now();
        stopped = false;
        for (const x of live) if (!x.canvas.isConnected) x.stop(); // views of cards a list redraw replaced
        live.add(v);
        cv.dataset.ready = '1';
        cv.dataset.kind = frames ? 'video' : (src && src.width > w ? 'ticker' : 'still');
        if (frames) cv.dataset.frames = String(frames.length); else delete cv.dataset.frames;
        if (raf) cancelAnimationFrame(raf);
        raf = 0;
        paint();
        if (moving()) raf = requestAnimationFrame(loop);
      },
      // blank shows an unlit panel (nothing to show).
      blank() {
        src = null; frames = null;
        delete cv.dataset.ready;
        delete cv.dataset.kind;
        paint();
      },
      redraw() {
        if (stopped || !cv.isConnected) { v.stop(); return; }
        if (!moving()) paint();
      },
      stop() {
        stopped = true;
        if (raf) cancelAnimationFrame(raf);
        raf = 0;
        live.delete(v);
      },
      get ticker() { return !!(src && src.width > w && pps > 0); },
    };
    return v;
  }

  return { key, query, geometries, sizer, bindDots, video, view, MAX_FRAMES };
})();
