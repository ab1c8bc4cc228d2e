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
  peer.on('connection', attach);
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

  /** A room: dial every member id given (the benchmark gives each pair to one side only). */
  window.benchJoin = (ids) => ids.forEach(dial);
})();
