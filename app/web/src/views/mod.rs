//! Presentational components. They get data and callbacks; they own no network state.
//! Everything a peer supplies is rendered as text nodes, never as markup.

pub mod avatar;
pub mod chat_bar;
pub mod composer;
pub mod confirm;
pub mod conversation;
pub mod details;
pub mod file_quota;
pub mod file_space;
pub mod files;
pub mod history;
pub mod identity;
pub mod info_sheet;
pub mod lines;
pub mod name;
pub mod nav;
pub mod notify_switch;
mod qr;
mod recipient;
pub mod request;
pub mod room;
pub mod room_forms;
pub mod room_info;
pub mod settings;
pub mod setup;
pub mod share;
pub mod status;
mod text;
pub mod trust;
pub mod update;

use wasm_bindgen::JsCast;
use web_sys::HtmlInputElement;
use yew::NodeRef;

/// "3 unreadable messages from this room were ignored." (or one message, was).
pub(crate) fn ignored(n: u64, from: &str) -> String {
    if n == 1 {
        format!("1 unreadable message {from} was ignored.")
    } else {
        format!("{n} unreadable messages {from} were ignored.")
    }
}

/// Takes the value out of an input, as the JS string it is, leaving the box empty.
fn take_value(input: &NodeRef) -> Option<js_sys::JsString> {
    let el = input.cast::<HtmlInputElement>()?;
    let value = js_sys::Reflect::get(&el, &"value".into())
        .ok()?
        .dyn_into()
        .ok();
    el.set_value("");
    value
}

/// Takes the text out of an input, leaving it empty.
pub(crate) fn take_input(input: &NodeRef) -> String {
    take_value(input).map(String::from).unwrap_or_default()
}

/// Takes a passphrase out of its input, leaving it empty: read from the box's value
/// without a copy on the way (see `passphrase_of`), and zeroed once dropped (see
/// [`peerchat_vault::Passphrase`]).
pub(crate) fn take_passphrase(input: &NodeRef) -> peerchat_vault::Passphrase {
    take_value(input)
        .map(|js| peerchat_kdf_worker::passphrase_of(&js))
        .unwrap_or_default()
}
