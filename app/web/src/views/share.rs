//! The bar that offers what another app shared (see `crate::share`): in the list of
//! chats it asks which chat it goes to; with a chat open it offers Send there, or
//! Discard. Until then the share waits, also across restarts.

use yew::prelude::*;

/// Props of [`ShareBar`].
#[derive(Properties, PartialEq)]
pub struct ShareBarProps {
    /// What waits, in a few words ("photo.jpg (2.1 MB) and a text").
    pub summary: AttrValue,
    /// The open chat's name, if one is open.
    #[prop_or_default]
    pub target: Option<AttrValue>,
    /// Why the last Send failed, in the user's words.
    #[prop_or_default]
    pub error: Option<AttrValue>,
    /// Sending is under way (Send is disabled meanwhile).
    #[prop_or_default]
    pub busy: bool,
    /// Sends it to the open chat.
    pub on_send: Callback<()>,
    /// Forgets it.
    pub on_discard: Callback<()>,
}

/// What was shared, and where it goes.
#[function_component]
pub fn ShareBar(props: &ShareBarProps) -> Html {
    let send = props.on_send.reform(|_: MouseEvent| ());
    let discard = props.on_discard.reform(|_: MouseEvent| ());
    html! {
        <div class="banner share" role="region" aria-label="Shared with PeerChat">
            <p>
                if let Some(target) = &props.target {
                    { format!("Send {} to {target}?", props.summary) }
                } else {
                    { format!("Shared with PeerChat: {}. Choose the chat it goes to.", props.summary) }
                }
            </p>
            if props.target.is_some() {
                <button type="button" class="primary" onclick={send} disabled={props.busy}>{ "Send here" }</button>
            }
            <button type="button" onclick={discard}>{ "Discard" }</button>
            if let Some(e) = &props.error {
                <p class="error" role="alert">{ e.clone() }</p>
            }
        </div>
    }
}
