//! What the user sees of a contact's key: a warning when someone else answers on their
//! id (held until the user decides), a tampered connection, an unverified contact, and
//! the safety number to compare (with its QR code) and mark as verified.

use peerchat_chat::trust::{distinct_name, KeyChange, PeerTrust};
use peerchat_identity::{safety_number, PublicKey};
use peerchat_ids::{RoomId, VecMap, VecSet};
use peerchat_peerjs::PeerId;
use yew::prelude::*;

use super::qr::QrCode;

/// What a room's screens know of its members' keys, and how the user marks one verified.
#[derive(Clone, PartialEq, Default)]
pub struct MemberTrust {
    /// The key each member proved on its own link.
    pub keys: VecMap<PeerId, PublicKey>,
    /// Members' keys the user verified.
    pub verified: VecSet<PublicKey>,
    /// Our own key (for safety numbers), once the node runs.
    pub my_key: Option<PublicKey>,
    /// The user marks a member verified (or takes the mark back).
    pub on_verify: Callback<(RoomId, PeerId, bool)>,
}

impl MemberTrust {
    /// How to show member `peer` called `name` among `names`: two members of one name
    /// are told apart by their keys' fingerprints.
    pub fn shown<'a>(
        &self,
        peer: &PeerId,
        name: &str,
        names: impl IntoIterator<Item = &'a str>,
    ) -> String {
        distinct_name(name, self.keys.get(peer), names)
    }
}

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
    // The peer's name is isolated (first strong isolate … pop), as `<bdi>` would: a
    // right-to-left name must not turn the sentence around it.
    let name = format!("\u{2068}{name}\u{2069}");
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
    match (props.my_key, t.key) {
        (Some(mine), Some(theirs)) => {
            let cb = props.on_choice.clone();
            let on_verified = Callback::from(move |v| cb.emit(TrustChoice::Verified(v)));
            html! { <VerifyPanel name={name.clone()} {mine} {theirs} verified={t.verified} {on_verified} /> }
        }
        (_, None) => html! {
            <p class="trust note" role="status">
                { format!("Unverified: {name} uses an app without PeerChat keys, so who is on the other end cannot be checked.") }
            </p>
        },
        // Our key is not known yet (the node is starting): nothing to compare with.
        (None, Some(_)) => html! {},
    }
}

/// Props of [`VerifyPanel`].
#[derive(Properties, PartialEq)]
pub struct VerifyPanelProps {
    /// Their name as shown.
    pub name: String,
    /// Our key.
    pub mine: PublicKey,
    /// Their key, as proven on their link.
    pub theirs: PublicKey,
    /// The user marked it verified.
    pub verified: bool,
    /// The user marks it verified (`true`) or takes the mark back.
    pub on_verified: Callback<bool>,
}

/// A contact's or a room member's safety number with its QR code, and the verified mark.
#[function_component]
pub fn VerifyPanel(props: &VerifyPanelProps) -> Html {
    // Deriving the number (5,200 rounds of SHA-512 per key) and its QR code takes tens of
    // milliseconds: only once the panel is opened, once per pair of keys, never on a
    // render of the conversation — nor for each member of a room joining (a room of 16
    // spent 1.4 s of its join on numbers nobody looked at).
    let open = use_state(|| false);
    let number = use_memo((props.mine, props.theirs, *open), |(mine, theirs, open)| {
        open.then(|| safety_number(mine, theirs).to_string())
    });
    let ontoggle = {
        let open = open.clone();
        Callback::from(move |e: Event| {
            open.set(
                e.target_unchecked_into::<web_sys::HtmlDetailsElement>()
                    .open(),
            )
        })
    };
    let mark = |verified: bool| {
        let cb = props.on_verified.clone();
        Callback::from(move |_| cb.emit(verified))
    };
    let name = &props.name;
    html! {
        <details class="trust verify" {ontoggle}>
            <summary>
                if props.verified {
                    <span class="badge verified">{ "✓ Verified" }</span>{ " " }
                }
                { format!("Verify {name}") }
            </summary>
            <p>{ format!("Compare this safety number with the one on {name}'s screen, in person or on a call. If they match, nobody is in between.") }</p>
            if let Some(number) = (*number).clone() {
                <p class="safety-number" aria-label="Safety number">{ number.clone() }</p>
                <QrCode text={number} label={format!("Safety number with {name} as a QR code")} />
            }
            if props.verified {
                <button type="button" class="secondary" onclick={mark(false)}>{ "Clear verified mark" }</button>
            } else {
                <button type="button" onclick={mark(true)}>{ "Mark as verified" }</button>
            }
        </details>
    }
}
