//! One WebRTC data connection: an `RTCPeerConnection` with its one data channel.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Reflect, Uint8Array};
use peerchat_chat::config::IceServer;
use peerchat_peerjs::data::ChannelFrame;
use peerchat_peerjs::wire::IceCandidate;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Event, MessageEvent, RtcConfiguration, RtcDataChannel, RtcDataChannelEvent, RtcDataChannelInit,
    RtcIceCandidateInit, RtcPeerConnection, RtcPeerConnectionIceEvent, RtcPeerConnectionState,
    RtcSdpType, RtcSessionDescriptionInit,
};

/// What a link reports.
pub enum LinkEvent {
    /// A local ICE candidate to trickle to the peer.
    Candidate(IceCandidate),
    /// The data channel opened.
    Open,
    /// A message arrived.
    Frame(ChannelFrame),
    /// The connection reports trouble (false: disconnected, ICE consent failing) or is
    /// connected again (true).
    Health(bool),
    /// The channel or the connection closed or failed.
    Closed,
}

type Handler = Rc<dyn Fn(LinkEvent)>;

/// The data channel and the handlers that must live as long as it.
struct Channel {
    dc: RtcDataChannel,
    _handlers: [Closure<dyn FnMut(Event)>; 2],
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

/// A peer connection and its data channel.
pub struct Link {
    pc: RtcPeerConnection,
    channel: Rc<RefCell<Option<Channel>>>,
    _on_candidate: Closure<dyn FnMut(RtcPeerConnectionIceEvent)>,
    _on_state: Closure<dyn FnMut(Event)>,
    _on_channel: Closure<dyn FnMut(RtcDataChannelEvent)>,
}

impl Link {
    /// A new peer connection. The offerer passes a label to create the channel in-band;
    /// the answerer passes `None` and receives the channel from the offer.
    pub fn new(
        ice_servers: &[IceServer],
        label: Option<&str>,
        on_event: impl Fn(LinkEvent) + 'static,
    ) -> Result<Self, JsValue> {
        let on_event: Handler = Rc::new(on_event);
        let config = RtcConfiguration::new();
        let servers = serde_json::to_string(ice_servers).expect("ICE servers serialize");
        config.set_ice_servers(&js_sys::JSON::parse(&servers)?);
        let pc = RtcPeerConnection::new_with_configuration(&config)?;

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

        let channel = Rc::new(RefCell::new(None));
        let slot = channel.clone();
        let cb = on_event.clone();
        let on_channel = Closure::<dyn FnMut(_)>::new(move |e: RtcDataChannelEvent| {
            // A link has one channel: a second one the peer opens is closed, not let in
            // over the first (whose handlers would be dropped while it stays open).
            let mut slot = slot.borrow_mut();
            match slot.as_ref() {
                Some(_) => e.channel().close(),
                None => *slot = Some(Channel::attach(e.channel(), cb.clone())),
            }
        });
        pc.set_ondatachannel(Some(on_channel.as_ref().unchecked_ref()));

        if let Some(label) = label {
            let init = RtcDataChannelInit::new();
            init.set_ordered(true);
            let dc = pc.create_data_channel_with_data_channel_dict(label, &init);
            *channel.borrow_mut() = Some(Channel::attach(dc, on_event));
        }
        Ok(Self {
            pc,
            channel,
            _on_candidate: on_candidate,
            _on_state: on_state,
            _on_channel: on_channel,
        })
    }

    /// The peer connection, for the async SDP steps.
    pub fn pc(&self) -> RtcPeerConnection {
        self.pc.clone()
    }

    /// Sends a frame; false when the channel is not open.
    pub fn send(&self, frame: &ChannelFrame) -> bool {
        let channel = self.channel.borrow();
        let Some(c) = channel.as_ref() else {
            return false;
        };
        let sent = match frame {
            ChannelFrame::Binary(bytes) => c.dc.send_with_u8_array(bytes),
            ChannelFrame::Text(text) => c.dc.send_with_str(text),
        };
        sent.is_ok()
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
        self.pc.set_ondatachannel(None);
        if let Some(c) = self.channel.borrow_mut().take() {
            c.dc.set_onopen(None);
            c.dc.set_onclose(None);
            c.dc.set_onmessage(None);
            c.dc.close();
        }
        self.pc.close();
    }
}

impl Channel {
    fn attach(dc: RtcDataChannel, on_event: Handler) -> Self {
        dc.set_binary_type(web_sys::RtcDataChannelType::Arraybuffer);
        let cb = on_event.clone();
        let on_open = Closure::<dyn FnMut(_)>::new(move |_: Event| cb(LinkEvent::Open));
        let cb = on_event.clone();
        let on_close = Closure::<dyn FnMut(_)>::new(move |_: Event| cb(LinkEvent::Closed));
        let on_message = Closure::<dyn FnMut(_)>::new(move |e: MessageEvent| {
            let data = e.data();
            let frame = match data.as_string() {
                Some(text) => ChannelFrame::Text(text),
                None => ChannelFrame::Binary(Uint8Array::new(&data).to_vec()),
            };
            on_event(LinkEvent::Frame(frame));
        });
        dc.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        dc.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        dc.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        Self {
            dc,
            _handlers: [on_open, on_close],
            _on_message: on_message,
        }
    }
}

/// How many packets the connection's transport has received so far (its `transport`
/// statistics; the browser counts the other end's acknowledgements too, which go on
/// while that page is busy). `None` when the browser does not say.
pub async fn packets_received(pc: &RtcPeerConnection) -> Option<u64> {
    let report = JsFuture::from(pc.get_stats()).await.ok()?;
    let values: js_sys::Function = Reflect::get(&report, &"values".into())
        .ok()?
        .dyn_into()
        .ok()?;
    let entries = values.call0(&report).ok()?;
    for entry in js_sys::try_iter(&entries).ok()??.flatten() {
        let kind = Reflect::get(&entry, &"type".into()).ok()?.as_string();
        if kind.as_deref() == Some("transport") {
            let n = Reflect::get(&entry, &"packetsReceived".into())
                .ok()?
                .as_f64()?;
            return Some(n as u64);
        }
    }
    None
}

/// Creates our offer and applies it locally; returns the SDP to send.
pub async fn make_offer(pc: &RtcPeerConnection) -> Result<String, JsValue> {
    let offer = JsFuture::from(pc.create_offer()).await?;
    apply_local(pc, RtcSdpType::Offer, &offer).await
}

/// Creates our answer and applies it locally; returns the SDP to send.
pub async fn make_answer(pc: &RtcPeerConnection) -> Result<String, JsValue> {
    let answer = JsFuture::from(pc.create_answer()).await?;
    apply_local(pc, RtcSdpType::Answer, &answer).await
}

/// Applies the peer's offer or answer.
pub async fn apply_remote(
    pc: &RtcPeerConnection,
    kind: RtcSdpType,
    sdp: &str,
) -> Result<(), JsValue> {
    let init = RtcSessionDescriptionInit::new(kind);
    init.set_sdp(sdp);
    JsFuture::from(pc.set_remote_description(&init)).await?;
    Ok(())
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
