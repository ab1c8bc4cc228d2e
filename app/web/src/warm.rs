//! Runs the room code once while the app is idle, so a first join does not run it cold
//! (see `peerchat_chat::room::warm_up`), and draws a room screen off the page for the same
//! reason (see `peerchat_chat::state::rehearsed_room`).

use gloo_timers::callback::Timeout;
use peerchat_chat::state::rehearsed_room;
use web_sys::Element;
use yew::Callback;

use crate::platform::wall_ms;
use crate::views::history::RoomHistoryActions;
use crate::views::room::{RoomScreen, RoomScreenProps};

/// Rounds in all, and per task: a few milliseconds each, never one long task.
const ROUNDS: u32 = 40;
const ROUNDS_PER_TASK: u32 = 4;
/// Started this long after the node: past unlocking and the first screen.
const FIRST_AFTER_MS: u32 = 1_500;
const BETWEEN_MS: u32 = 50;
/// Members of the room drawn off screen: a room of 16 as its last joiner sees it.
const REHEARSED_MEMBERS: usize = 15;

/// Schedules the warm-up.
pub fn warm_up_soon() {
    Timeout::new(FIRST_AFTER_MS, || run(ROUNDS)).forget();
}

fn run(left: u32) {
    if left == 0 {
        let off_page = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.create_element("div").ok());
        if let Some(root) = off_page {
            rehearse_room_screen(root);
        }
        return;
    }
    let now = left.min(ROUNDS_PER_TASK);
    peerchat_chat::room::warm_up(now);
    Timeout::new(BETWEEN_MS, move || run(left - now)).forget();
}

/// Draws a room screen into `root`, with one member fewer online than it then shows (so
/// the second drawing runs the diffing a join's drawings run), and takes it down again.
/// The warm-up gives it an element never put in the page: nothing is laid out or shown.
pub fn rehearse_room_screen(root: Element) {
    let mut screen = yew::Renderer::<RoomScreen>::with_root_and_props(
        root,
        rehearsal_props(REHEARSED_MEMBERS - 1),
    )
    .render();
    Timeout::new(BETWEEN_MS, move || {
        screen.update(rehearsal_props(REHEARSED_MEMBERS));
        Timeout::new(BETWEEN_MS, move || screen.destroy()).forget();
    })
    .forget();
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
    }
}
