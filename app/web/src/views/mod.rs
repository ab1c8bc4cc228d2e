//! Presentational components. They get data and callbacks; they own no network state.
//! Everything a peer supplies is rendered as text nodes, never as markup.

pub mod conversation;
pub mod identity;
pub mod setup;
pub mod status;

use web_sys::HtmlInputElement;
use yew::NodeRef;

/// Takes the text out of an input, leaving it empty.
pub(crate) fn take_input(input: &NodeRef) -> String {
    input
        .cast::<HtmlInputElement>()
        .map(|el| {
            let v = el.value();
            el.set_value("");
            v
        })
        .unwrap_or_default()
}
