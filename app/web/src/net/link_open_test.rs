//! Two links in one page of headless Chromium whose data channels' `open` events are
//! never heard (an `onopen` set is dropped; the event may come late, after a frame):
//! the end that answered reports its link open all the same when the peer's channel is
//! announced, and what it sends arrives.

use std::cell::RefCell;
use std::rc::Rc;

use gloo_timers::future::TimeoutFuture;
use peerchat_node::LinkEvent;
use peerchat_peerjs::data::ChannelFrame;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;
use web_sys::RtcSdpType;

use super::{apply_remote, make_answer, make_offer, Link, Setup};

wasm_bindgen_test_configure!(run_in_browser);

/// What one end's link reported.
type Heard = Rc<RefCell<Vec<LinkEvent>>>;

/// A link (the offerer's when `label` is given) and what it reports.
fn link(label: Option<&str>) -> (Link, Heard) {
    let heard = Heard::default();
    let into = heard.clone();
    let setup = Setup::new(&[], None);
    let link = Link::new(&setup, label, move |e| into.borrow_mut().push(e)).unwrap();
    (link, heard)
}

/// Hands the candidates one end gathered so far to the other end.
fn trickle(from: &Heard, to: &Link) {
    from.borrow_mut().retain(|e| match e {
        LinkEvent::Candidate(c) => {
            to.add_candidate(c);
            false
        }
        _ => true,
    });
}

/// Runs `js` in the page.
fn run(js: &str) {
    js_sys::Function::new_no_args(js)
        .call0(&JsValue::NULL)
        .unwrap();
}

/// Waits up to 15 s for `done`, trickling candidates both ways meanwhile.
async fn until(ends: [(&Heard, &Link); 2], done: impl Fn() -> bool) -> bool {
    for _ in 0..600 {
        trickle(ends[0].0, ends[1].1);
        trickle(ends[1].0, ends[0].1);
        if done() {
            return true;
        }
        TimeoutFuture::new(25).await;
    }
    false
}

/// Drops every `onopen` set on a data channel while it lives; the browser's own setter
/// is back once it is dropped, however the test ends.
struct OpenUnheard;

impl OpenUnheard {
    fn new() -> Self {
        run("window.__ownOnopen = Object.getOwnPropertyDescriptor(RTCDataChannel.prototype, 'onopen');
             Object.defineProperty(RTCDataChannel.prototype, 'onopen', {
               configurable: true, get() { return null; }, set(_) {},
             });");
        Self
    }
}

impl Drop for OpenUnheard {
    fn drop(&mut self) {
        run("Object.defineProperty(RTCDataChannel.prototype, 'onopen', window.__ownOnopen);");
    }
}

#[wasm_bindgen_test]
async fn the_answering_end_is_open_without_an_open_event() {
    let unheard = OpenUnheard::new();
    // Chromium gathers host candidates only for a page that may use the microphone
    // (webdriver.json grants it to a fake one), and loopback ones only with
    // `--allow-loopback-in-peer-connection` (there too): the test's network has nothing
    // else.
    let media = web_sys::window()
        .unwrap()
        .navigator()
        .media_devices()
        .unwrap();
    let constraints = web_sys::MediaStreamConstraints::new();
    constraints.set_audio(&JsValue::TRUE);
    let stream = media.get_user_media_with_constraints(&constraints).unwrap();
    wasm_bindgen_futures::JsFuture::from(stream).await.unwrap();
    let (offerer, offerer_heard) = link(Some("dc_open_test"));
    let (answerer, answerer_heard) = link(None);
    let offer = make_offer(&offerer.pc()).await.unwrap();
    apply_remote(&answerer.pc(), RtcSdpType::Offer, &offer)
        .await
        .unwrap();
    let answer = make_answer(&answerer.pc()).await.unwrap();
    apply_remote(&offerer.pc(), RtcSdpType::Answer, &answer)
        .await
        .unwrap();
    let ends = [(&offerer_heard, &offerer), (&answerer_heard, &answerer)];

    let opened = until(ends, || answerer_heard.borrow().contains(&LinkEvent::Open)).await;
    drop(unheard);
    assert!(opened, "the answerer heard {:?}", answerer_heard.borrow());

    let hello = LinkEvent::Frame(ChannelFrame::Text("hello".into()));
    assert!(answerer.send(&ChannelFrame::Text("hello".into())));
    let arrived = until(ends, || offerer_heard.borrow().contains(&hello)).await;
    assert!(arrived, "the offerer heard {:?}", offerer_heard.borrow());
}
