//! What the user sees of a contact's key: a warning when someone else answers on their
//! id (held until the user decides), a tampered connection, an unverified contact, and
//! the safety number to compare (with its QR code) and mark as verified.

use peerchat_chat::trust::{KeyChange, PeerTrust};
use peerchat_identity::{safety_number, PublicKey};
use yew::prelude::*;

use super::qr::QrCode;

/// What the user decided about a contact's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrustChoice {
    /// Take the new key (their new device, say).
    Accept,
    /// Refuse it: the link closes, the old key stays.
    Refuse,
    /// Safety numbers compared (or the mark taken back).
    Verified(bool),
}

/// Props of [`TrustPanel`].
#[derive(Properties, PartialEq)]
pub struct TrustPanelProps {
    /// The contact's name as shown.
    pub name: String,
    /// What we know of their key.
    pub trust: PeerTrust,
    /// Our own key (for the safety number), once the node runs.
    pub my_key: Option<PublicKey>,
    /// The user's decision.
    pub on_choice: Callback<TrustChoice>,
}

/// The status line for a conversation whose contact's key is in question, if it is.
pub fn key_status(name: &str, trust: &PeerTrust) -> Option<String> {
    match trust.changed {
        Some(KeyChange::NewKey(_)) => Some(format!(
            "Someone is answering as {name} with a different safety number. It may be {name} on a new device, or someone else using their id. Nothing from them is shown until you decide."
        )),
        Some(KeyChange::NoKey) => Some(format!(
            "Someone is answering as {name} but cannot prove it is {name} (no PeerChat key). Nothing from them is shown until you decide."
        )),
        None if trust.tampered => Some(format!(
            "The connection to {name} was tampered with: something between you (the broker, perhaps) tried to read it, so it was closed. Try again, or use another broker or network."
        )),
        None => None,
    }
}

/// The key warning, or the verify section.
#[function_component]
pub fn TrustPanel(props: &TrustPanelProps) -> Html {
    // Deriving the number takes milliseconds: once per pair of keys, not on every render
    // of the conversation (each message is one).
    let number = use_memo((props.my_key, props.trust.key), |keys| match keys {
        (Some(mine), Some(theirs)) => Some(safety_number(mine, theirs).to_string()),
        _ => None,
    });
    let choose = |choice: TrustChoice| {
        let cb = props.on_choice.clone();
        Callback::from(move |_| cb.emit(choice))
    };
    let name = &props.name;
    let t = &props.trust;
    if t.changed.is_some() {
        return html! {
            <div class="trust warn" role="alert">
                <button type="button" onclick={choose(TrustChoice::Accept)}>{ "Accept the new safety number" }</button>
                { " " }
                <button type="button" class="secondary" onclick={choose(TrustChoice::Refuse)}>{ "Refuse and disconnect" }</button>
            </div>
        };
    }
    let Some(number) = (*number).clone() else {
        return html! {
            <p class="trust note" role="status">
                { format!("Unverified: {name} uses an app without PeerChat keys, so who is on the other end cannot be checked.") }
            </p>
        };
    };
    html! {
        <details class="trust verify">
            <summary>
                if t.verified {
                    <span class="badge verified">{ "✓ Verified" }</span>{ " " }
                }
                { format!("Verify {name}") }
            </summary>
            <p>{ format!("Compare this safety number with the one on {name}'s screen, in person or on a call. If they match, nobody is in between.") }</p>
            <p class="safety-number" aria-label="Safety number">{ number.clone() }</p>
            <QrCode text={number} label={format!("Safety number with {name} as a QR code")} />
            if t.verified {
                <button type="button" class="secondary" onclick={choose(TrustChoice::Verified(false))}>{ "Clear verified mark" }</button>
            } else {
                <button type="button" onclick={choose(TrustChoice::Verified(true))}>{ "Mark as verified" }</button>
            }
        </details>
    }
}
