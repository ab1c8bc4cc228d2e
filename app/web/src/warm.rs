//! Runs the room code once while the app is idle, so a first join does not run it cold
//! (see `peerchat_chat::room::warm_up`), has throwaway nodes rehearse a call and a room
//! for the same reason (see `peerchat_node::rehearsal`), draws a room screen and a
//! conversation screen off the page likewise, the second also as a stranger's request
//! (see `peerchat_chat::state::rehearsed_room` and `rehearsed_conversation`), and lays
//! out the symbols and styles of the chat screens once, hidden, so the fonts they need
//! are found by then. Each step waits for a moment nothing is being read from storage,
//! no link is being set up and no message came or went (`Node::quiet`) and the page has
//! nothing else to do, so that the warm-up never delays what it is there to speed up.

use std::rc::Rc;

use gloo_timers::callback::Timeout;
use peerchat_chat::state::{rehearsed_conversation, rehearsed_room, ChannelStatus, Conversation};
use peerchat_node::rehearsal::{Reached, Rehearsal};
use peerchat_peerjs::data::ChannelFrame;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement};
use yew::Callback;

use crate::net::{Link, Setup};
use crate::platform::{wall_ms, when_idle};
use crate::views::conversation::{ConversationView, ConversationViewProps};
use crate::views::history::{ConversationHistoryActions, RoomHistoryActions};
use crate::views::room::{RoomScreen, RoomScreenProps};

/// Rounds in all, and per task: a few milliseconds each, never one long task.
const ROUNDS: u32 = 40;
const ROUNDS_PER_TASK: u32 = 4;
/// Started this long after the node, and then only once it is quiet (which it is not
/// while it reads back what the user unlocked): what it warms up is a first call or
/// join, which can come a second after the app opens (a contact tapped at once). Started
/// after 1.5 s, the warm-up had not run when the benchmark's call came, 1 s after setup:
/// 60.8–61.8 ms to connect against 49.9–52.3 ms when it had (2 × 3 runs each).
const FIRST_AFTER_MS: u32 = 200;
const BETWEEN_MS: u32 = 50;
/// Steps of the nodes' rehearsal per task (see `peerchat_node::rehearsal`; it takes
/// about 200 in all).
const REHEARSAL_STEPS: u32 = 25;
/// Members of the room drawn off screen: a room of 16 as its last joiner sees it.
const REHEARSED_MEMBERS: usize = 15;

/// The symbols the chat screens draw beyond the home screen's letters (a file line's
/// paper clip, the back arrow, ticks, dots), each in the styles they use there.
pub const CHAT_SYMBOLS: &str = "📎‹·✓…↓×“”🙂⚙";

/// The faces the style sheet draws text in, as classes of the sample (`.font-warm` in
/// `public/style.css`): its family at weights 400, 600 and 700 and in italic at 400, the
/// chat bar's serif info button at 700, and monospace (safety numbers, IDs) at 400. A test
/// holds this list to the style sheet's rules. Only these: each face laid out keeps its
/// font and caches in the page for good, and the sample once had every weight in every
/// style of every family (18 faces, 12 of them drawn nowhere). A page set up and idle for
/// 12 s then held 100.0 MiB (renderer PSS, median of 4), 94.7 MiB with these 6, and
/// 89.5 MiB with no sample at all.
pub const FACES: [&str; 6] = ["", "w6", "w7", "it", "serif w7", "mono"];

/// Every font size the style sheet sets (`public/style.css`; a test holds this list to
/// it). The browser asks for a font's rendering settings once per size as well as per
/// weight and style.
pub const FONT_SIZES: [&str; 10] = [
    "1rem", "0.75rem", "0.8rem", "0.85rem", "0.9rem", "0.95rem", "1.05rem", "1.1rem", "1.4rem",
    "1.6rem",
];

/// A step of the warm-up due while `quiet` says no is asked again this much later.
pub const BUSY_RETRY_MS: u32 = 500;

/// Whether the app is quiet enough for a step of the warm-up (see `Node::quiet`).
pub type Quiet = Rc<dyn Fn() -> bool>;

/// Makes the page's first WebRTC connection now, and schedules the rest of the warm-up,
/// each step of it for a moment `quiet` says yes: a warm-up that ran into a call on a
/// 2-core machine made the call take twice as long.
pub fn warm_up_soon(quiet: Quiet) {
    warm_webrtc();
    when_quiet(quiet.clone(), FIRST_AFTER_MS, |_| {
        warm_link();
    });
    when_quiet(quiet.clone(), FIRST_AFTER_MS, |quiet| {
        warm_font_sizes(0, quiet)
    });
    when_quiet(quiet.clone(), FIRST_AFTER_MS, |quiet| {
        rehearse_nodes(Box::default(), quiet, drop)
    });
    when_quiet(quiet, FIRST_AFTER_MS, |quiet| run(ROUNDS, quiet));
}

/// Runs `rehearsal` on, [`REHEARSAL_STEPS`] at a time, the first batch now and each
/// next one in a moment `quiet` says yes; once it is over, hands `done` how far it got.
pub fn rehearse_nodes(
    mut rehearsal: Box<Rehearsal>,
    quiet: Quiet,
    done: impl FnOnce(Reached) + 'static,
) {
    if rehearsal.step(REHEARSAL_STEPS) {
        when_quiet(quiet, BETWEEN_MS, move |quiet| {
            rehearse_nodes(rehearsal, quiet, done)
        });
    } else {
        done(rehearsal.reached());
    }
}

/// Runs `step` `after_ms` from now, or as soon after as `quiet` says yes (asking every
/// [`BUSY_RETRY_MS`]), in a moment the page has nothing else to do, however long that
/// takes: a burst of 500 messages sent while the warm-up ran spent 400 ms of the
/// sender's page laying out the font sample next to a conversation growing line by line.
/// `step` is handed `quiet`, to schedule the next one with.
pub fn when_quiet(quiet: Quiet, after_ms: u32, step: impl FnOnce(Quiet) + 'static) {
    Timeout::new(after_ms, move || {
        when_idle(None, move || {
            if quiet() {
                step(quiet);
            } else {
                when_quiet(quiet, BUSY_RETRY_MS, step);
            }
        });
    })
    .forget();
}

/// Lays out the font sample at each of [`FONT_SIZES`] from the `next`th on, one size per
/// task.
fn warm_font_sizes(next: usize, quiet: Quiet) {
    if let Some(size) = FONT_SIZES.get(next) {
        let _ = warm_fonts(size);
        when_quiet(quiet, BETWEEN_MS, move |quiet| {
            warm_font_sizes(next + 1, quiet)
        });
    }
}

/// Lays out [`CHAT_SYMBOLS`] at font size `size` in a hidden element and takes it down
/// again. A symbol the page's font lacks is looked up in the system's fonts by the
/// browser, an emoji font loaded whole; and each size, weight and style of a font needs
/// its rendering settings asked of the browser, a synchronous request. The first room
/// screen a newcomer drew waited 150 ms on the symbols (Chromium on Linux, nine font
/// requests to a browser busy with the join), in the middle of its handshakes; with them
/// warmed, still 106 ms on two sizes only the room screen uses (a Chrome trace of the last
/// joiner of a room of 16: `GetWebFontRenderStyleForStrike`, 55 and 51 ms, in one layout).
/// Now that happens here, while the app is idle. Returns the width it was laid out at
/// (0: it was not).
pub fn warm_fonts(size: &str) -> i32 {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return 0;
    };
    let (Some(body), Ok(sample)) = (doc.body(), doc.create_element("div")) else {
        return 0;
    };
    sample.set_class_name("font-warm");
    let _ = sample.set_attribute("aria-hidden", "true");
    // Through the CSSOM: the page's policy refuses style attributes.
    if let Some(sample) = sample.dyn_ref::<HtmlElement>() {
        let _ = sample.style().set_property("font-size", size);
    }
    // Every face the screens use (see `FACES`), each with the symbols and the letters.
    let text = format!("{CHAT_SYMBOLS}Aa1");
    for face in FACES {
        if let Ok(span) = doc.create_element("span") {
            span.set_class_name(face);
            span.set_text_content(Some(&text));
            let _ = sample.append_child(&span);
        }
    }
    if body.append_child(&sample).is_err() {
        return 0;
    }
    // Reading its size lays it out now, fonts and all.
    let width = sample.client_width();
    sample.remove();
    width
}

/// Makes a peer connection with a data channel and closes it again. The page's first
/// connection sets up the browser's WebRTC machinery (its threads, the network list):
/// about 25 ms of the main thread (Chromium on Linux), which a newcomer spent in the
/// middle of its join, on the call to the room before any member could call it. The
/// official client pays it when it loads (its support check makes a connection).
/// Nothing is offered or gathered: no address is looked up, no packet sent. Returns
/// whether a connection was made and is closed again.
pub fn warm_webrtc() -> bool {
    let Ok(pc) = web_sys::RtcPeerConnection::new() else {
        return false;
    };
    let dc = pc.create_data_channel("warm-up");
    dc.close();
    pc.close();
    pc.connection_state() == web_sys::RtcPeerConnectionState::Closed
}

/// Makes a caller's link with the app's own code (its connection, both channels and
/// their handlers), queues a frame on each channel and takes it down again, in a quiet
/// moment (at unlock, [`warm_webrtc`] stays as small as it was). Nothing is offered: no
/// address is looked up, no packet sent. The code that makes a link runs cold on the
/// first call otherwise, compiled function by function as the call goes (Chrome trace
/// of the benchmark's call: 60 functions on each side). Returns whether it was made,
/// took the frames, made no offer nor gathered anything, and is closed again.
pub fn warm_link() -> bool {
    let Ok(link) = Link::new(&Setup::new(&[], None), Some("warm-up"), drop) else {
        return false;
    };
    // Queued: neither channel opens.
    let queued = link.send(&ChannelFrame::Text(String::new())) && link.send_chunk(Vec::new());
    let pc = link.pc();
    let read = |name: &str| js_sys::Reflect::get(&pc, &name.into()).unwrap_or_default();
    let quiet = read("localDescription").is_null()
        && read("iceGatheringState").as_string().as_deref() == Some("new");
    drop(link);
    queued && quiet && pc.connection_state() == web_sys::RtcPeerConnectionState::Closed
}

fn run(left: u32, quiet: Quiet) {
    if left == 0 {
        for (step, screen) in [
            rehearse_room_screen as fn(Element, Quiet),
            rehearse_conversation_screen,
            rehearse_request_screen,
        ]
        .into_iter()
        .enumerate()
        {
            // One screen per quiet moment, one after the other.
            when_quiet(quiet.clone(), step as u32 * BETWEEN_MS, move |quiet| {
                if let Some(root) = off_page() {
                    screen(root, quiet);
                }
            });
        }
        return;
    }
    let now = left.min(ROUNDS_PER_TASK);
    peerchat_chat::room::warm_up(now);
    when_quiet(quiet, BETWEEN_MS, move |quiet| run(left - now, quiet));
}

/// An element never put in the page: what is drawn there is never laid out or shown.
fn off_page() -> Option<Element> {
    web_sys::window()?.document()?.create_element("div").ok()
}

/// Draws a conversation screen into `root` as a call to a friend brings it ("Connecting…",
/// then open), and takes it down again. A caller's first conversation screen, drawn once
/// the call opens, took 19 ms of its main thread (Chrome trace) before "Connected" showed;
/// rehearsed, click to open on both sides went from 51.7-53.2 to 47.2-48.5 ms (medians
/// of 3, 3 interleaved rounds).
pub fn rehearse_conversation_screen(root: Element, quiet: Quiet) {
    rehearse_open_conversation(root, quiet, |c| c.status = ChannelStatus::Connecting);
}

/// Draws a stranger's first call into `root` as the callee's screen shows it once the
/// call opens (the request bar in place of the composer), then accepted, and takes it down
/// again. The callee draws that screen in the task that opens the call, with the
/// request bar's code never run before: 15 functions compiled on first use (1.3 ms of
/// the 4.2 ms that render took, Chrome trace of the benchmark's callee) before
/// "Connected" showed.
pub fn rehearse_request_screen(root: Element, quiet: Quiet) {
    rehearse_open_conversation(root, quiet, |c| c.request = true);
}

/// Draws the rehearsed conversation into `root` as `before` leaves it, then open, and
/// takes it down again.
fn rehearse_open_conversation(root: Element, quiet: Quiet, before: impl FnOnce(&mut Conversation)) {
    let open = rehearsed_conversation(wall_ms());
    let mut first = open.clone();
    before(&mut first);
    rehearse::<ConversationView>(
        root,
        conversation_props(first),
        conversation_props(open),
        quiet,
    );
}

/// Draws `C` into `root` with `first`, then, in a moment `quiet` says yes, again with
/// `then` (running the diffing a second drawing runs), and takes it down again.
fn rehearse<C: yew::BaseComponent>(
    root: Element,
    first: C::Properties,
    then: C::Properties,
    quiet: Quiet,
) {
    let mut screen = yew::Renderer::<C>::with_root_and_props(root, first).render();
    when_quiet(quiet, BETWEEN_MS, move |_| {
        screen.update(then);
        Timeout::new(BETWEEN_MS, move || screen.destroy()).forget();
    });
}

fn conversation_props(conversation: Conversation) -> ConversationViewProps {
    ConversationViewProps {
        conversation,
        on_send: Callback::from(|_| Ok(())),
        on_connect: Callback::noop(),
        on_older: Callback::noop(),
        trust: Default::default(),
        my_key: None,
        on_trust: Callback::noop(),
        on_back: Callback::noop(),
        on_request: Callback::noop(),
        on_mute: Callback::noop(),
        history: ConversationHistoryActions {
            on_export: Callback::noop(),
            on_delete: Callback::noop(),
        },
        on_attach: Callback::noop(),
        draft: Default::default(),
        on_draft: Callback::noop(),
    }
}

/// Draws a room screen into `root`, with one member fewer online than it then shows (so
/// the second drawing runs the diffing a join's drawings run), and takes it down again.
/// The warm-up gives it an element never put in the page: nothing is laid out or shown.
pub fn rehearse_room_screen(root: Element, quiet: Quiet) {
    rehearse::<RoomScreen>(
        root,
        rehearsal_props(REHEARSED_MEMBERS - 1),
        rehearsal_props(REHEARSED_MEMBERS),
        quiet,
    );
}

fn rehearsal_props(members: usize) -> RoomScreenProps {
    RoomScreenProps {
        room: rehearsed_room(members, wall_ms()),
        on_send: Callback::from(|_| Ok(())),
        on_leave: Callback::noop(),
        history: RoomHistoryActions {
            on_older: Callback::noop(),
            on_export: Callback::noop(),
            on_delete: Callback::noop(),
        },
        on_typing: Callback::noop(),
        members: Default::default(),
        on_back: Callback::noop(),
        on_mute: Callback::noop(),
        on_attach: Callback::noop(),
        draft: Default::default(),
        on_draft: Callback::noop(),
    }
}
