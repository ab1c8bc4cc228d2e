// Injected before any script of the page (both apps, the same code): every timestamp
// of the benchmark is taken here, inside the page, as performance.timeOrigin +
// performance.now(), by a MutationObserver on the document. The driver only reads the
// results (and waits on them).
//
// - `seen[token]`: when a message line (li.message) whose text starts with a benchmark
//   token ("L17", "B321", "R3.45": a capital, digits, optionally .digits) first appeared.
// - `sent[token]`: when the page submitted that line (`send`, `burst`).
// - `marks[name]`: when a watched condition first held (`watchCount`, `watchText`,
//   `watchExists`), or when the next click happened (`markNextClick`).
// - `longTasks`: [start, end] of every main-thread task of 50 ms or more (Long Tasks API).
(() => {
  if (window.__bench) return;
  const now = () => performance.timeOrigin + performance.now();
  const channel = new MessageChannel();
  /** Resolves in a task of its own (not clamped as nested timeouts are). */
  const nextTask = () => new Promise((r) => { channel.port1.onmessage = r; channel.port2.postMessage(0); });
  const TOKEN = /^([A-Z])(\d+(?:\.\d+)?)(?:\s|$)/;
  const b = {
    now,
    seen: Object.create(null),
    sent: Object.create(null),
    /** Lines seen per token letter. */
    counts: Object.create(null),
    marks: Object.create(null),
    longTasks: [],
    watches: [],
    waiters: [],
    watch(name, fn) {
      if (fn()) b.marks[name] = now();
      else b.watches.push({ name, fn });
    },
    watchCount(name, selector, n) {
      b.watch(name, () => document.querySelectorAll(selector).length >= n);
    },
    watchText(name, selector, pattern) {
      const re = new RegExp(pattern);
      b.watch(name, () => [...document.querySelectorAll(selector)].some((e) => re.test(e.textContent)));
    },
    watchExists(name, selector) {
      b.watch(name, () => document.querySelector(selector) !== null);
    },
    markNextClick(name) {
      addEventListener('click', () => { b.marks[name] = now(); }, { capture: true, once: true });
    },
    /** Marks the next `change` event (a file chosen in a file input). */
    markNextChange(name) {
      addEventListener('change', () => { b.marks[name] = now(); }, { capture: true, once: true });
    },
    /**
     * Marks the first animation frame in which `fn()` holds (what a MutationObserver
     * cannot see, such as an image finished loading), checked once a frame.
     */
    watchFrame(name, fn) {
      const check = (t) => {
        if (fn()) b.marks[name] = performance.timeOrigin + t;
        else requestAnimationFrame(check);
      };
      requestAnimationFrame(check);
    },
    /** Resolves (true) once `cond()` holds, checked on every DOM change; false after `ms`. */
    until(cond, ms) {
      if (cond()) return Promise.resolve(true);
      return new Promise((resolve) => {
        const w = { cond, resolve };
        b.waiters.push(w);
        setTimeout(() => {
          b.waiters = b.waiters.filter((x) => x !== w);
          resolve(cond());
        }, ms);
      });
    },
    /**
     * Types `text` into the page's composer (an `input` event, as a keyboard gives) and
     * clicks Send once the page enables it (PeerChat's Send waits for text: clicked while
     * disabled, nothing would go). The time sent is the click's.
     */
    async send(text) {
      const form = document.querySelector('form.composer');
      const input = form.querySelector('input[type=text]');
      const button = form.querySelector('button[type=submit]');
      input.value = text;
      input.dispatchEvent(new Event('input', { bubbles: true }));
      for (let i = 0; button.disabled && i < 1000; i++) await (i < 3 ? Promise.resolve() : nextTask());
      if (button.disabled) throw new Error('Send stayed disabled');
      const m = TOKEN.exec(text);
      if (m) b.sent[m[1] + m[2]] = now();
      button.click();
    },
    /** Sends `count` lines as fast as the page takes them (one task each). */
    async burst(prefix, count, filler = '') {
      for (let i = 1; i <= count; i++) {
        await b.send(`${prefix}${i}${filler}`);
        await nextTask();
      }
    },
  };
  window.__bench = b;

  // The join timeline (read by run.mjs with BENCH_TRACE=1): every step of every
  // connection as the browser saw it, by connection id (the data channel's label, as
  // both apps label it; the broker's messages name it too), plus how many members the
  // page showed online and when. Wraps the WebRTC and WebSocket classes before the app's
  // scripts run; changes nothing they do.
  b.trace = [];
  const tr = (kind, conn, extra) => b.trace.push([now(), kind, conn ?? null, extra ?? null]);
  b.traceCount = (selector) => {
    let last = -1;
    const check = () => {
      const n = document.querySelectorAll(selector).length;
      if (n !== last) { last = n; tr('online', null, n); }
    };
    check();
    new MutationObserver(check).observe(document, { childList: true, subtree: true, attributes: true, attributeFilter: ['class'] });
  };
  // The app's wasm memory, to see how far its heap grows.
  for (const name of ['instantiate', 'instantiateStreaming']) {
    const orig = WebAssembly[name];
    WebAssembly[name] = async (...args) => {
      const made = await orig.apply(WebAssembly, args);
      const memory = (made.instance ?? made).exports?.memory;
      if (memory instanceof WebAssembly.Memory) b.wasmMemory = memory;
      return made;
    };
  }

  // Every IndexedDB write transaction: when it began, when it committed, and how many
  // puts it carried (a file's pieces are stored as they arrive).
  if (window.IDBDatabase) {
    const origTx = IDBDatabase.prototype.transaction;
    const puts = new WeakMap();
    IDBDatabase.prototype.transaction = function (...args) {
      const tx = origTx.apply(this, args);
      if (args[1] === 'readwrite') {
        tr('idb:begin', null, null);
        puts.set(tx, 0);
        tx.addEventListener('complete', () => {
          tr('idb:commit', null, puts.get(tx));
          // The wasm heap never shrinks: its growth during a transfer is page memory.
          const size = b.wasmMemory?.buffer.byteLength;
          if (size !== b.wasmSize) tr('wasm', null, (b.wasmSize = size));
        });
      }
      return tx;
    };
    const origPut = IDBObjectStore.prototype.put;
    IDBObjectStore.prototype.put = function (...args) {
      const tx = this.transaction;
      if (puts.has(tx)) puts.set(tx, puts.get(tx) + 1);
      return origPut.apply(this, args);
    };
  }
  const NativePC = window.RTCPeerConnection;
  if (NativePC) {
    let serial = 0;
    const label = new WeakMap();
    const watchChannel = (dc, pcId) => {
      const conn = dc.label;
      tr('channel', conn, pcId);
      dc.addEventListener('open', () => tr('open', conn));
      dc.addEventListener('close', () => tr('close', conn));
      dc.addEventListener('message', (e) => tr('recv', conn, e.data?.byteLength ?? e.data?.length ?? e.data?.size ?? 0));
    };
    const wrap = (name, kind) => {
      const orig = NativePC.prototype[name];
      NativePC.prototype[name] = function (...args) {
        const pcId = label.get(this) ?? null;
        tr(`${kind}:call`, null, pcId);
        const r = orig.apply(this, args);
        if (r && typeof r.then === 'function') r.then(() => tr(`${kind}:done`, null, pcId), () => tr(`${kind}:fail`, null, pcId));
        return r;
      };
    };
    class TracedPC extends NativePC {
      constructor(...args) {
        super(...args);
        const pcId = ++serial;
        label.set(this, pcId);
        tr('pc', null, pcId);
        this.addEventListener('datachannel', (e) => watchChannel(e.channel, pcId));
        this.addEventListener('icecandidate', (e) => tr('candidate', null, [pcId, e.candidate ? 1 : 0]));
        this.addEventListener('connectionstatechange', () => tr(`state:${this.connectionState}`, null, pcId));
      }
      createDataChannel(l, o) {
        const dc = super.createDataChannel(l, o);
        watchChannel(dc, label.get(this));
        return dc;
      }
    }
    for (const [name, kind] of [['createOffer', 'createOffer'], ['createAnswer', 'createAnswer'],
      ['setLocalDescription', 'setLocal'], ['setRemoteDescription', 'setRemote']]) wrap(name, kind);
    window.RTCPeerConnection = TracedPC;
    const send = RTCDataChannel.prototype.send;
    RTCDataChannel.prototype.send = function (data) {
      tr('send', this.label, data?.byteLength ?? data?.length ?? data?.size ?? 0);
      return send.call(this, data);
    };
  }
  const NativeWS = window.WebSocket;
  if (NativeWS) {
    const brokerMsg = (dir, data) => {
      if (typeof data !== 'string' || data.length > 100000) return;
      try {
        const m = JSON.parse(data);
        if (m.type && m.type !== 'HEARTBEAT') tr(`broker:${dir}:${m.type}`, m.payload?.connectionId, m.type === 'CANDIDATE' ? null : (m.src ?? m.dst ?? null));
      } catch {
        // not JSON
      }
    };
    class TracedWS extends NativeWS {
      constructor(...args) {
        super(...args);
        this.addEventListener('message', (e) => brokerMsg('in', e.data));
      }
      send(data) {
        brokerMsg('out', data);
        return super.send(data);
      }
    }
    window.WebSocket = TracedWS;
  }

  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        b.longTasks.push([performance.timeOrigin + e.startTime, performance.timeOrigin + e.startTime + e.duration]);
      }
    }).observe({ type: 'longtask', buffered: true });
  } catch {
    // no Long Tasks API
  }

  function record(li, t) {
    const text = li.querySelector('.text')?.textContent ?? '';
    const m = TOKEN.exec(text);
    if (!m) return;
    const token = m[1] + m[2];
    if (token in b.seen) return;
    b.seen[token] = t;
    b.counts[m[1]] = (b.counts[m[1]] ?? 0) + 1;
  }

  function scan(node, t) {
    if (node.nodeType !== 1) return;
    if (node.matches('li.message')) record(node, t);
    else if (node.firstElementChild) for (const li of node.querySelectorAll('li.message')) record(li, t);
  }

  // DOM changes by kind and where (`childList:OL.messages`), to see what a page redraws;
  // counted only once `b.mutations` is set (BENCH_TRACE): the count is work in the timed
  // part, and a page that changes its DOM more would pay more of it.
  b.mutations = null;
  new MutationObserver((records) => {
    const t = now();
    for (const r of records) {
      if (b.mutations) {
        const at = r.target.nodeType === 1 ? r.target : r.target.parentElement;
        const where = `${r.type}:${at?.tagName ?? '?'}.${at?.className ?? ''}`;
        b.mutations[where] = (b.mutations[where] ?? 0) + 1;
      }
      if (r.type === 'childList') {
        for (const n of r.addedNodes) scan(n, t);
        // Text put into a line after the line itself.
        const li = r.target.nodeType === 1 ? r.target.closest('li.message') : null;
        if (li) record(li, t);
      } else {
        const li = r.target.parentElement?.closest('li.message');
        if (li) record(li, t);
      }
    }
    if (b.watches.length) {
      b.watches = b.watches.filter((w) => {
        if (!w.fn()) return true;
        b.marks[w.name] = t;
        return false;
      });
    }
    if (b.waiters.length) {
      b.waiters = b.waiters.filter((w) => {
        if (!w.cond()) return true;
        w.resolve(true);
        return false;
      });
    }
  }).observe(document, { childList: true, subtree: true, characterData: true });
})();
