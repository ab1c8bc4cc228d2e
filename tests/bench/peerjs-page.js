// The benchmark's baseline page on the official peerjs client: what a chat page needs
// and nothing more. Every open data connection is a member; a line typed in the composer
// goes to all of them and onto the list; a line received goes onto the list.
(() => {
  const params = new URLSearchParams(location.search);
  const Peer = window.Peer ?? window.peerjs.Peer;
  const el = (tag, props = {}, ...children) => {
    const e = Object.assign(document.createElement(tag), props);
    e.append(...children);
    return e;
  };

  const brokerStatus = el('p', { className: 'broker-status', role: 'status', textContent: 'Connecting to the broker…' });
  const myId = el('code', { id: 'my-id' });
  const friend = el('input', { id: 'friend-id', type: 'text', autocomplete: 'off' });
  const connectForm = el('form', { className: 'connect' },
    el('label', { htmlFor: 'friend-id', textContent: "Friend's ID" }), friend,
    el('button', { type: 'submit', textContent: 'Connect' }));
  const convStatus = el('p', { className: 'conversation-status', role: 'status' });
  const members = el('ul', { className: 'members' }, el('li', { className: 'member online', textContent: 'You' }));
  const messages = el('ol', { className: 'messages' });
  const input = el('input', { id: 'message-input', type: 'text', autocomplete: 'off' });
  const composer = el('form', { className: 'composer' },
    el('label', { htmlFor: 'message-input', textContent: 'Message' }), input,
    el('button', { type: 'submit', textContent: 'Send' }));
  document.body.append(el('main', { id: 'app' },
    brokerStatus, el('p', {}, 'Your ID: ', myId), connectForm,
    el('section', { className: 'room' }, convStatus, members, messages, composer)));

  /** Open connections by peer id. */
  const open = new Map();

  function showMembers() {
    members.replaceChildren(el('li', { className: 'member online', textContent: 'You' }),
      ...[...open.keys()].map((id) => el('li', { className: 'member online', textContent: id })));
  }

  function append(from, text) {
    messages.append(el('li', { className: 'message' },
      el('span', { className: 'from', textContent: from }),
      el('p', { className: 'text', textContent: String(text) })));
  }

  function attach(conn) {
    conn.on('open', () => {
      open.set(conn.peer, conn);
      convStatus.textContent = `Connected to ${conn.peer}.`;
      showMembers();
    });
    conn.on('data', (data) => append(conn.peer, data));
    conn.on('close', () => {
      if (open.get(conn.peer) === conn) open.delete(conn.peer);
      showMembers();
    });
  }

  function dial(id) {
    attach(peer.connect(id, { serialization: 'json', reliable: true }));
  }

  const peer = new Peer({
    host: params.get('host') ?? '127.0.0.1',
    port: Number(params.get('port') ?? 9000),
    path: '/',
    key: params.get('key') ?? 'peerjs',
    secure: false,
    config: { iceServers: [] },
  });
  peer.on('open', (id) => {
    myId.textContent = id;
    brokerStatus.textContent = 'Online: friends can reach you.';
  });
  peer.on('connection', (conn) => (conn.label === FILE_LABEL ? receiveFile(conn) : attach(conn)));
  peer.on('error', (e) => { brokerStatus.textContent = `Error: ${e.type ?? e}`; });

  connectForm.addEventListener('submit', (e) => {
    e.preventDefault();
    dial(friend.value.trim());
  });
  composer.addEventListener('submit', (e) => {
    e.preventDefault();
    const text = input.value;
    input.value = '';
    if (!text) return;
    for (const conn of open.values()) conn.send(text);
    append('You', text);
  });

  // The benchmark's raw file transfer, the baseline of PeerChat's: a connection of its
  // own (raw serialization), ArrayBuffer chunks sent while the channel's buffer is below
  // FILE_HIGH (then on bufferedamountlow), the receiver counting bytes.
  const FILE_LABEL = 'bench-file';
  const FILE_HIGH = 1 << 20;
  let fileExpected = { size: Infinity, mark: 'fileDone' };
  function receiveFile(conn) {
    const want = fileExpected;
    let got = 0;
    conn.on('data', (data) => {
      got += data.byteLength ?? data.size ?? data.length ?? 0;
      if (got >= want.size && !(want.mark in window.__bench.marks)) window.__bench.marks[want.mark] = window.__bench.now();
    });
  }
  /** The receiver: the next file connection brings `size` bytes; marks `mark` when they are in. */
  window.benchExpectFile = (size, mark) => { fileExpected = { size, mark }; };
  /**
   * The sender: opens a file connection to `id`, sends `size` bytes in `chunk`-byte
   * pieces; marks `mark`:start at the first.
   */
  window.benchSendFile = (id, size, chunk, mark) => new Promise((resolve, reject) => {
    const conn = peer.connect(id, { label: FILE_LABEL, serialization: 'raw', reliable: true });
    conn.on('error', reject);
    conn.on('open', async () => {
      const dc = conn.dataChannel;
      dc.bufferedAmountLowThreshold = FILE_HIGH / 2;
      const piece = new Uint8Array(chunk);
      crypto.getRandomValues(piece.subarray(0, Math.min(chunk, 65536)));
      window.__bench.marks[`${mark}:start`] = window.__bench.now();
      for (let sent = 0; sent < size;) {
        if (dc.bufferedAmount > FILE_HIGH) {
          await new Promise((r) => dc.addEventListener('bufferedamountlow', r, { once: true }));
        }
        const n = Math.min(chunk, size - sent);
        conn.send(n === chunk ? piece.buffer.slice(0) : piece.buffer.slice(0, n));
        sent += n;
      }
      resolve();
    });
  });

  /** A room: dial every member id given (the benchmark gives each pair to one side only). */
  window.benchJoin = (ids) => ids.forEach(dial);
})();
