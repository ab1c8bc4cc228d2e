//! A stranger's message request, in place of the composer: who it is, that nothing is
//! kept until the user accepts, and the two choices. And the list of blocked ids, each
//! with a way back.

use peerchat_peerjs::PeerId;
use yew::prelude::*;

/// What the user decides about a request (or a blocked id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestChoice {
    /// Talk with them: the conversation is kept from now on, with what they sent.
    Accept,
    /// Never hear from them again: their chat goes, their calls are not answered.
    Block,
    /// Take a block back.
    Unblock,
}

/// Props of [`RequestBar`].
#[derive(Properties, PartialEq)]
pub struct RequestBarProps {
    /// Who asks.
    pub peer: PeerId,
    /// Their name, as they gave it.
    pub name: String,
    /// The user's choice.
    pub on_choice: Callback<(PeerId, RequestChoice)>,
}

/// "Ann wants to chat with you" with Accept and Block.
#[function_component]
pub fn RequestBar(props: &RequestBarProps) -> Html {
    let choose = |choice: RequestChoice| {
        let (cb, peer) = (props.on_choice.clone(), props.peer.clone());
        Callback::from(move |_| cb.emit((peer.clone(), choice)))
    };
    html! {
        <div class="request-bar" role="group" aria-label="Message request">
            <p>
                <bdi>{ props.name.clone() }</bdi>{ " (ID " }<code class="peer-id">{ props.peer.to_string() }</code>
                { ") wants to chat with you. Nothing they send is saved until you accept; if you block them, they cannot reach you again." }
            </p>
            <div class="actions">
                <button type="button" onclick={choose(RequestChoice::Accept)}>{ "Accept" }</button>
                <button type="button" class="danger" onclick={choose(RequestChoice::Block)}>{ "Block" }</button>
            </div>
        </div>
    }
}

/// Props of [`BlockedList`].
#[derive(Properties, PartialEq)]
pub struct BlockedListProps {
    /// The blocked ids, with the names they had.
    pub blocked: Vec<(PeerId, Option<String>)>,
    /// The user's choice (only [`RequestChoice::Unblock`] here).
    pub on_choice: Callback<(PeerId, RequestChoice)>,
}

/// The blocked ids, each with Unblock (in Settings).
#[function_component]
pub fn BlockedList(props: &BlockedListProps) -> Html {
    let rows = props.blocked.iter().map(|(peer, name)| {
        let shown = name.clone().unwrap_or_else(|| peer.to_string());
        let onclick = {
            let (cb, peer) = (props.on_choice.clone(), peer.clone());
            Callback::from(move |_| cb.emit((peer.clone(), RequestChoice::Unblock)))
        };
        html! {
            <li key={peer.to_string()}>
                <bdi>{ shown.clone() }</bdi>{ " " }<code class="peer-id">{ peer.to_string() }</code>{ " " }
                <button type="button" class="secondary" aria-label={format!("Unblock {shown}")} {onclick}>{ "Unblock" }</button>
            </li>
        }
    });
    html! {
        <section class="card blocked" aria-labelledby="blocked-title">
            <h3 id="blocked-title">{ "Blocked" }</h3>
            if props.blocked.is_empty() {
                <p class="hint">{ "Nobody is blocked. Block someone from their message request." }</p>
            } else {
                <ul>{ for rows }</ul>
            }
        </section>
    }
}
