//! One WebRTC data connection: an `RTCPeerConnection` with its data channel, and a second
//! channel for the bytes of files (see `peerchat_files::chunk`), negotiated by both ends
//! so it needs no offer of its own and a peer that never opens it is not bothered.

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;

use js_sys::{Reflect, Uint8Array};
use peerchat_chat::config::{IceServer, IceTransportPolicy};
use peerchat_node::{LinkEvent, FILE_CHANNEL_ID, STATS_TYPES};
use peerchat_peerjs::data::ChannelFrame;
use peerchat_peerjs::flow::{SendQueue, LOW_WATER};
use peerchat_peerjs::wire::IceCandidate;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Event, MessageEvent, RtcConfiguration, RtcDataChannel, RtcDataChannelEvent, RtcDataChannelInit,
    RtcDataChannelState, RtcIceCandidateInit, RtcIceConnectionState, RtcIceTransportPolicy,
    RtcPeerConnection, RtcPeerConnectionIceEvent, RtcPeerConnectionState, RtcSdpType,
    RtcSessionDescriptionInit,
};

type Handler = Rc<dyn Fn(LinkEvent)>;

/// Which of a connection's channels.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// The PeerJS data channel: messages, and the link's open and close.
    Main,
    /// The file channel: chunk frames only; the main channel tells the link's state.
    Files,
}

/// A data channel and the handlers that must live as long as it.
struct Channel {
    dc: RtcDataChannel,
    /// Frames waiting for the channel's buffer to drain (see [`SendQueue`]).
    queue: Rc<RefCell<SendQueue>>,
    _handlers: [Closure<dyn FnMut(Event)>; 3],
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

/// A peer connection and its data channel.
pub struct Link {
    pc: RtcPeerConnection,
    channel: Rc<RefCell<Option<Channel>>>,
    files: Channel,
    _on_candidate: Closure<dyn FnMut(RtcPeerConnectionIceEvent)>,
    _on_state: Closure<dyn FnMut(Event)>,
    _on_ice_state: Closure<dyn FnMut(Event)>,
    _on_channel: Closure<dyn FnMut(RtcDataChannelEvent)>,
}

/// How every connection is set up (the ICE servers and transport policy), made once:
/// made for each connection, the servers went to JSON and through the browser's parser
/// again every time, in the click that calls (0.7 ms of the caller's, CPU profile of the
/// benchmark's call) and in a join once per member.
pub struct Setup(RtcConfiguration);

impl Setup {
    /// The setup with these servers and policy (`None`: the browser's, all paths).
    pub fn new(ice_servers: &[IceServer], policy: Option<IceTransportPolicy>) -> Self {
        let config = RtcConfiguration::new();
        let servers = serde_json::to_string(ice_servers).expect("ICE servers serialize");
        config.set_ice_servers(&js_sys::JSON::parse(&servers).expect("serde_json's JSON parses"));
        if let Some(policy) = policy {
            config.set_ice_transport_policy(match policy {
                IceTransportPolicy::All => RtcIceTransportPolicy::All,
                IceTransportPolicy::Relay => RtcIceTransportPolicy::Relay,
            });
        }
        Self(config)
    }
}

impl Link {
    /// A new peer connection. The offerer passes a label to create the channel in-band;
    /// the answerer passes `None` and receives the channel from the offer.
    pub fn new(
        setup: &Setup,
        label: Option<&str>,
        on_event: impl Fn(LinkEvent) + 'static,
    ) -> Result<Self, JsValue> {
        Self::with_handler(setup, label, Rc::new(on_event))
    }

    /// [`Link::new`] for any handler: one function whatever the caller's handler, so the
    /// warm-up's link (see `warm::warm_link`) runs the code a call does (made generic,
    /// each caller had its own copy).
    #[inline(never)]
    fn with_handler(
        setup: &Setup,
        label: Option<&str>,
        on_event: Handler,
    ) -> Result<Self, JsValue> {
        let pc = RtcPeerConnection::new_with_configuration(&setup.0)?;

        let cb = on_event.clone();
        let on_candidate = Closure::<dyn FnMut(_)>::new(move |e: RtcPeerConnectionIceEvent| {
            // The end-of-candidates event has no candidate; peerjs sends none for it.
            if let Some(c) = e.candidate() {
                cb(LinkEvent::Candidate(IceCandidate {
                    candidate: c.candidate(),
                    sdp_mid: c.sdp_mid(),
                    sdp_m_line_index: c.sdp_m_line_index(),
                    // Not in web-sys's bindings; peerjs sends it, so do we.
                    username_fragment: Reflect::get(&c, &"usernameFragment".into())
                        .ok()
                        .and_then(|u| u.as_string()),
                }));
            }
        });
        pc.set_onicecandidate(Some(on_candidate.as_ref().unchecked_ref()));

        let cb = on_event.clone();
        let pc2 = pc.clone();
        let on_state = Closure::<dyn FnMut(_)>::new(move |_: Event| match pc2.connection_state() {
            RtcPeerConnectionState::Failed | RtcPeerConnectionState::Closed => {
                cb(LinkEvent::Closed)
            }
            RtcPeerConnectionState::Disconnected => cb(LinkEvent::Health(false)),
            RtcPeerConnectionState::Connected => cb(LinkEvent::Health(true)),
            _ => {}
        });
        pc.set_onconnectionstatechange(Some(on_state.as_ref().unchecked_ref()));

        // The node decides what a failure means (it knows whether a relay is configured).
        let cb = on_event.clone();
        let pc2 = pc.clone();
        let on_ice_state = Closure::<dyn FnMut(_)>::new(move |_: Event| {
            if pc2.ice_connection_state() == RtcIceConnectionState::Failed {
                cb(LinkEvent::IceFailed)
            }
        });
        pc.set_oniceconnectionstatechange(Some(on_ice_state.as_ref().unchecked_ref()));

        let channel = Rc::new(RefCell::new(None));
        let slot = channel.clone();
        let cb = on_event.clone();
        let on_channel = Closure::<dyn FnMut(_)>::new(move |e: RtcDataChannelEvent| {
            let dc = e.channel();
            {
                // A link has one channel the peer opens: a second one is closed, not let
                // in over the first (whose handlers would be dropped while it stays open).
                let mut slot = slot.borrow_mut();
                if slot.is_some() {
                    dc.close();
                    return;
                }
                *slot = Some(Channel::attach(dc.clone(), cb.clone(), Kind::Main));
            }
            // A channel the peer opened is announced open (webrtc-pc: it is open when
            // the `datachannel` event is fired): the link is open now, whenever the
            // channel's `open` event comes (the node then knows already). Waited for
            // alone, that event has come after the peer's first frame (see
            // `Node::handle_link_frame`), and a peer that sends nothing first, as a
            // client we refuse, had nothing else to open the link for the node.
            // Told with the slot free: the node's outputs may send on the channel.
            if dc.ready_state() == RtcDataChannelState::Open {
                cb(LinkEvent::Open);
            }
        });
        pc.set_ondatachannel(Some(on_channel.as_ref().unchecked_ref()));

        if let Some(label) = label {
            let init = RtcDataChannelInit::new();
            init.set_ordered(true);
            let dc = pc.create_data_channel_with_data_channel_dict(label, &init);
            *channel.borrow_mut() = Some(Channel::attach(dc, on_event.clone(), Kind::Main));
        }
        // Negotiated, so each end makes its own, the answerer too before the offer is
        // applied. Made in the answerer's `datachannel` handler instead, it held up the
        // messages of the connection's main channel: a newcomer answering seven calls at
        // once got each member's hello 120 ms after its channel opened, all of them only
        // once the last had opened (Chromium; a room of 8, its broker 40 ms away).
        let files = Channel::files(&pc, on_event);
        Ok(Self {
            pc,
            channel,
            files,
            _on_candidate: on_candidate,
            _on_state: on_state,
            _on_ice_state: on_ice_state,
            _on_channel: on_channel,
        })
    }

    /// The peer connection, for the async SDP steps.
    pub fn pc(&self) -> RtcPeerConnection {
        self.pc.clone()
    }

    /// Sends a frame, or queues it while the channel's buffer is full (see
    /// [`SendQueue`]); false when the channel is not open, or is given up because the
    /// peer does not read (it closes, and [`LinkEvent::Closed`] follows).
    pub fn send(&self, frame: &ChannelFrame) -> bool {
        self.channel
            .borrow()
            .as_ref()
            .is_some_and(|c| c.send(frame.clone()))
    }

    /// Sends a chunk frame on the file channel, or queues it until the channel opens or
    /// its buffer drains; false when the peer does not read what is queued (the
    /// connection closes, and [`LinkEvent::Closed`] follows).
    pub fn send_chunk(&self, bytes: Vec<u8>) -> bool {
        let sent = self.files.send(ChannelFrame::Binary(bytes));
        if !sent {
            self.close_channel();
        }
        sent
    }

    /// Starts closing the data channel; the peer sees it close, and [`LinkEvent::Closed`]
    /// follows here once it has. (Closing the whole connection at once would cut the
    /// channel off without telling the peer.)
    pub fn close_channel(&self) {
        if let Some(c) = self.channel.borrow().as_ref() {
            c.dc.close();
        }
    }

    /// Adds a remote ICE candidate; a bad one only costs that path.
    pub fn add_candidate(&self, c: &IceCandidate) {
        let init = RtcIceCandidateInit::new(&c.candidate);
        init.set_sdp_mid(c.sdp_mid.as_deref());
        init.set_sdp_m_line_index(c.sdp_m_line_index);
        if let Some(ufrag) = &c.username_fragment {
            let _ = Reflect::set(&init, &"usernameFragment".into(), &ufrag.into());
        }
        let promise = self
            .pc
            .add_ice_candidate_with_opt_rtc_ice_candidate_init(Some(&init));
        wasm_bindgen_futures::spawn_local(async move {
            let _ = JsFuture::from(promise).await;
        });
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        self.pc.set_onicecandidate(None);
        self.pc.set_onconnectionstatechange(None);
        self.pc.set_oniceconnectionstatechange(None);
        self.pc.set_ondatachannel(None);
        if let Some(c) = self.channel.borrow_mut().take() {
            c.detach();
        }
        self.files.detach();
        self.pc.close();
    }
}

impl Channel {
    /// Closes it with its handlers taken off first: nothing of it reaches a dropped link.
    fn detach(&self) {
        self.dc.set_onopen(None);
        self.dc.set_onclose(None);
        self.dc.set_onmessage(None);
        self.dc.set_onbufferedamountlow(None);
        self.dc.close();
    }

    /// The connection's file channel, negotiated: the peer's end opens it with the
    /// same id.
    fn files(pc: &RtcPeerConnection, on_event: Handler) -> Self {
        let init = RtcDataChannelInit::new();
        init.set_ordered(true);
        init.set_negotiated(true);
        init.set_id(FILE_CHANNEL_ID);
        let dc = pc.create_data_channel_with_data_channel_dict("files", &init);
        Channel::attach(dc, on_event, Kind::Files)
    }

    fn attach(dc: RtcDataChannel, on_event: Handler, kind: Kind) -> Self {
        dc.set_binary_type(web_sys::RtcDataChannelType::Arraybuffer);
        let queue = Rc::new(RefCell::new(SendQueue::default()));
        let (waiting, channel) = (queue.clone(), dc.clone());
        let drain = move || {
            for frame in waiting.borrow_mut().drain(channel.buffered_amount()) {
                send_now(&channel, &frame);
            }
        };
        let (cb, drain_on_open) = (on_event.clone(), drain.clone());
        let on_open = Closure::<dyn FnMut(_)>::new(move |_: Event| {
            // What was sent before the channel opened waited (chunks: before the peer's
            // end of the file channel was there).
            drain_on_open();
            if kind == Kind::Main {
                cb(LinkEvent::Open)
            }
        });
        let cb = on_event.clone();
        let on_close = Closure::<dyn FnMut(_)>::new(move |_: Event| {
            if kind == Kind::Main {
                cb(LinkEvent::Closed)
            }
        });
        let on_message = Closure::<dyn FnMut(_)>::new(move |e: MessageEvent| {
            let data = e.data();
            match (kind, data.as_string()) {
                (Kind::Main, Some(text)) => on_event(LinkEvent::Frame(ChannelFrame::Text(text))),
                (Kind::Main, None) => on_event(LinkEvent::Frame(ChannelFrame::Binary(
                    Uint8Array::new(&data).to_vec(),
                ))),
                (Kind::Files, None) => on_event(LinkEvent::Chunk(Uint8Array::new(&data).to_vec())),
                // Only chunk frames go there.
                (Kind::Files, Some(_)) => {}
            }
        });
        let on_low = Closure::<dyn FnMut(_)>::new(move |_: Event| drain());
        dc.set_buffered_amount_low_threshold(LOW_WATER);
        dc.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        dc.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        dc.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        dc.set_onbufferedamountlow(Some(on_low.as_ref().unchecked_ref()));
        Self {
            dc,
            queue,
            _handlers: [on_open, on_close, on_low],
            _on_message: on_message,
        }
    }
}

impl Channel {
    /// Hands `frame` to the channel, or queues it while the channel is not open yet or
    /// its buffer is full; false when it was refused (the channel closing) or the queue
    /// overflowed (and the channel is closed).
    fn send(&self, frame: ChannelFrame) -> bool {
        let buffered = match self.dc.ready_state() {
            RtcDataChannelState::Open => self.dc.buffered_amount(),
            // Waits for `open`, which drains the queue.
            RtcDataChannelState::Connecting => u32::MAX,
            _ => return false,
        };
        match self.queue.borrow_mut().push(frame, buffered) {
            Ok(Some(frame)) => send_now(&self.dc, &frame),
            Ok(None) => true,
            Err(_) => {
                self.dc.close();
                false
            }
        }
    }
}

/// Hands a frame to the channel; false if the browser refused it (the channel closing).
fn send_now(dc: &RtcDataChannel, frame: &ChannelFrame) -> bool {
    let sent = match frame {
        ChannelFrame::Binary(bytes) => dc.send_with_u8_array(bytes),
        ChannelFrame::Text(text) => dc.send_with_str(text),
    };
    sent.is_ok()
}

#[cfg(all(test, target_arch = "wasm32"))]
#[path = "link_open_test.rs"]
mod open_test;

/// A connection's statistics (`getStats()`): the entries the node reads (see
/// `peerchat_node::STATS_TYPES`), one JSON object each. `None` when the browser gives
/// no report.
pub async fn stats_entries(pc: &RtcPeerConnection) -> Option<Vec<String>> {
    let report = JsFuture::from(pc.get_stats()).await.ok()?;
    let values: js_sys::Function = Reflect::get(&report, &"values".into())
        .ok()?
        .dyn_into()
        .ok()?;
    let entries = values.call0(&report).ok()?;
    let read = |entry: &JsValue| {
        let kind = Reflect::get(entry, &"type".into()).ok()?.as_string()?;
        if !STATS_TYPES.contains(&kind.as_str()) {
            return None;
        }
        js_sys::JSON::stringify(entry).ok()?.as_string()
    };
    Some(
        js_sys::try_iter(&entries)
            .ok()??
            .flatten()
            .filter_map(|e| read(&e))
            .collect(),
    )
}

/// Creates our offer and applies it locally; resolves to the SDP to send. The browser
/// starts making it now, not when the future is first polled: that waited for the rest
/// of the task (the driver's other outputs and the screen's actions). A callee's
/// `setRemoteDescription` went 0-3 ms after its connection was made, and its answer
/// 6-18 ms after the offer came (median 9, 6 traced calls); now at once, and 6-8 ms
/// after (median 7, 4 calls), as the official client's 7-8 ms.
pub fn make_offer(
    pc: &RtcPeerConnection,
) -> impl Future<Output = Result<String, JsValue>> + 'static {
    let offer = JsFuture::from(pc.create_offer());
    let pc = pc.clone();
    async move { apply_local(&pc, RtcSdpType::Offer, &offer.await?).await }
}

/// Creates our answer and applies it locally; returns the SDP to send.
pub async fn make_answer(pc: &RtcPeerConnection) -> Result<String, JsValue> {
    let answer = JsFuture::from(pc.create_answer()).await?;
    apply_local(pc, RtcSdpType::Answer, &answer).await
}

/// Applies the peer's offer or answer; the browser starts now (see [`make_offer`]).
pub fn apply_remote(
    pc: &RtcPeerConnection,
    kind: RtcSdpType,
    sdp: &str,
) -> impl Future<Output = Result<(), JsValue>> + 'static {
    let init = RtcSessionDescriptionInit::new(kind);
    init.set_sdp(sdp);
    let applied = JsFuture::from(pc.set_remote_description(&init));
    async move { applied.await.map(drop) }
}

async fn apply_local(
    pc: &RtcPeerConnection,
    kind: RtcSdpType,
    desc: &JsValue,
) -> Result<String, JsValue> {
    let sdp = Reflect::get(desc, &"sdp".into())?
        .as_string()
        .ok_or_else(|| JsValue::from_str("description without SDP"))?;
    let init = RtcSessionDescriptionInit::new(kind);
    init.set_sdp(&sdp);
    JsFuture::from(pc.set_local_description(&init)).await?;
    Ok(sdp)
}
