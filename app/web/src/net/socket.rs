//! The signaling WebSocket.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{CloseEvent, Event, MessageEvent, WebSocket};

/// What the socket reports.
pub enum SocketEvent {
    /// Connected.
    Open,
    /// A text frame.
    Text(String),
    /// Closed, or failed to connect.
    Closed,
}

/// A WebSocket whose handlers live exactly as long as it does.
pub struct Socket {
    ws: WebSocket,
    _on_open: Closure<dyn FnMut(Event)>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

impl Socket {
    /// Opens a socket; `None` when the URL is unusable (reported as closed by the caller).
    pub fn open(url: &str, on_event: impl Fn(SocketEvent) + Clone + 'static) -> Option<Self> {
        let ws = WebSocket::new(url).ok()?;
        let cb = on_event.clone();
        let on_open = Closure::<dyn FnMut(Event)>::new(move |_| cb(SocketEvent::Open));
        let cb = on_event.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            if let Some(text) = e.data().as_string() {
                cb(SocketEvent::Text(text));
            }
        });
        let on_close =
            Closure::<dyn FnMut(CloseEvent)>::new(move |_| on_event(SocketEvent::Closed));
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        Some(Self {
            ws,
            _on_open: on_open,
            _on_message: on_message,
            _on_close: on_close,
        })
    }

    /// Sends a text frame; a socket that is closing drops it (the session re-sends what
    /// matters after re-attaching).
    /// Whether the closing handshake is over (the broker has let our id go).
    pub fn is_closed(ws: &WebSocket) -> bool {
        ws.ready_state() == WebSocket::CLOSED
    }

    /// The socket under it, to watch it close after this is dropped.
    pub fn raw(&self) -> WebSocket {
        self.ws.clone()
    }

    pub fn send(&self, text: &str) {
        let _ = self.ws.send_with_str(text);
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        // Detach first: a socket we dropped must not report its close as the current one's.
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        let _ = self.ws.close();
    }
}
