//! A room: who is in it, its messages, the invite to share, and the composer.

use std::rc::Rc;

use peerchat_chat::details::Subject;
use peerchat_chat::rooms_state::{Receipt, RoomLine, RoomView};
use peerchat_chat::state::{Author, LineKey};
use std::collections::{BTreeMap, BTreeSet};

use peerchat_chat::trust::distinct_name;
use peerchat_identity::PublicKey;
use peerchat_ids::RoomId;
use peerchat_peerjs::PeerId;
use web_sys::HtmlSelectElement;
use yew::prelude::*;

use super::confirm::ConfirmButton;
use super::details::ConnectionDetails;
use super::history::{RoomHistoryActions, RoomHistoryTools};
use super::lines::{notice, LineList, LineProps, ShowLine};
use super::qr::QrCode;
use super::trust::VerifyPanel;
use super::{ignored, send_input};
use crate::platform::{copy_to_clipboard, invite_url, local_hh_mm};

/// Props of [`RoomScreen`].
#[derive(Properties, PartialEq)]
pub struct RoomScreenProps {
    /// The room.
    pub room: RoomView,
    /// Sends to the room (`None`) or privately to one member; the error says what to do.
    pub on_send: Callback<(RoomId, Option<PeerId>, String), Result<(), String>>,
    /// Leaves the room.
    pub on_leave: Callback<RoomId>,
    /// Paging, export and deletion of the room's stored history.
    pub history: RoomHistoryActions,
    /// The user typed in the composer (of this room).
    pub on_typing: Callback<RoomId>,
    /// The keys members proved, to tell two of one name apart and to verify them.
    #[prop_or_default]
    pub keys: BTreeMap<PeerId, PublicKey>,
    /// Members' keys the user verified.
    #[prop_or_default]
    pub verified: BTreeSet<PublicKey>,
    /// Our own key (for safety numbers), once the node runs.
    #[prop_or_default]
    pub my_key: Option<PublicKey>,
    /// The user marks a member verified (or takes the mark back).
    #[prop_or_default]
    pub on_verify: Callback<(RoomId, PeerId, bool)>,
}

/// The room on screen.
#[function_component]
pub fn RoomScreen(props: &RoomScreenProps) -> Html {
    let r = &props.room;
    // Two members of one name are told apart by their keys' fingerprints.
    let names: Vec<&str> = r.members.iter().map(|m| m.name.as_str()).collect();
    let shown = |peer: &PeerId, name: &str| {
        distinct_name(name, props.keys.get(peer), names.iter().copied())
    };
    let input = use_node_ref();
    // Who the composer writes to; kept in state so the select always shows the truth.
    let recipient = use_state(|| None::<PeerId>);
    let error = use_state(|| None::<String>);
    let copied = use_state(|| false);
    let link = invite_url(&r.invite);
    let online: Vec<_> = r.members.iter().filter(|m| m.online).collect();
    // A private recipient who went offline is not offered any more: back to everyone.
    let to = (*recipient)
        .clone()
        .filter(|p| online.iter().any(|m| &m.peer == p));

    let onsubmit = {
        let (input, to, error) = (input.clone(), to.clone(), error.clone());
        let (cb, room_id) = (props.on_send.clone(), r.room_id.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            error.set(send_input(&input, |text| {
                cb.emit((room_id.clone(), to.clone(), text))
            }));
        })
    };
    let on_recipient = {
        let recipient = recipient.clone();
        Callback::from(move |e: Event| {
            let value = e.target_unchecked_into::<HtmlSelectElement>().value();
            recipient.set(PeerId::parse(&value).ok());
        })
    };
    let on_copy = {
        let (link, copied) = (link.clone(), copied.clone());
        Callback::from(move |_| {
            copy_to_clipboard(&link);
            copied.set(true);
        })
    };
    let on_input = {
        let (cb, room_id) = (props.on_typing.clone(), r.room_id.clone());
        Callback::from(move |_: InputEvent| cb.emit(room_id.clone()))
    };
    let typing = r.typing_names();
    let on_older = {
        let (cb, room_id) = (props.history.on_older.clone(), r.room_id.clone());
        Callback::from(move |()| cb.emit(room_id.clone()))
    };
    let on_leave = {
        let (cb, room_id) = (props.on_leave.clone(), r.room_id.clone());
        Callback::from(move |()| cb.emit(room_id.clone()))
    };

    // Short enough for a phone's one-row composer.
    let placeholder = match to
        .as_ref()
        .and_then(|p| online.iter().find(|m| &m.peer == p))
    {
        Some(m) => format!("Private to {}", shown(&m.peer, &m.name)),
        None => "Message".to_owned(),
    };
    html! {
        <section class="card room" aria-labelledby="room-title">
            <div class="room-head">
                <h2 id="room-title">{ if r.public { format!("# {}", r.name) } else { r.name.clone() } }</h2>
                <ConfirmButton label="Leave room"
                    question="Leave this room for good? Its history on this device is deleted (export it first to keep it); members keep theirs."
                    confirm="Leave and delete" on_confirm={on_leave} />
            </div>
            if r.public {
                <p class="warn public-note">{ "Public topic: anyone who types this topic can join and read along." }</p>
            }
            <details class="invite">
                <summary>{ "Invite people" }</summary>
                <p>{ "Anyone with this link can join the room and read it. Send it privately." }</p>
                <code id="invite-link" class="invite-link">{ link.clone() }</code>
                <button type="button" aria-label="Copy invite link" onclick={on_copy}>
                    { if *copied { "Copied" } else { "Copy link" } }
                </button>
                <QrCode text={link} label="QR code of the invite link" />
            </details>
            <ul class="members" aria-label="Members">
                <li class="member online">{ "You" }</li>
                { for r.members.iter().map(|m| {
                    let key = props.keys.get(&m.peer).copied();
                    let verified = key.is_some_and(|k| props.verified.contains(&k));
                    let on_verified = {
                        let (cb, room, peer) = (props.on_verify.clone(), r.room_id.clone(), m.peer.clone());
                        Callback::from(move |v| cb.emit((room.clone(), peer.clone(), v)))
                    };
                    html! {
                        <li class={classes!("member", m.online.then_some("online"))}>
                            { shown(&m.peer, &m.name) }
                            if verified {
                                <span class="badge verified" title="Safety number verified">{ " ✓" }</span>
                            }
                            <span class="presence">{ if m.online { " · online" } else { " · offline" } }</span>
                            if let (Some(mine), Some(theirs)) = (props.my_key, key) {
                                <VerifyPanel name={shown(&m.peer, &m.name)} {mine} {theirs} {verified} {on_verified} />
                            }
                            <ConnectionDetails subject={Subject::Member { room: r.room_id.clone(), peer: m.peer.clone() }} />
                        </li>
                    }
                }) }
            </ul>
            <RoomHistoryTools room_id={r.room_id.clone()} actions={props.history.clone()} />
            if r.ignored > 0 {
                <p class="note" role="status">{ ignored(r.ignored, "from this room") }</p>
            }
            if r.skipped > 0 {
                <p class="warn" role="status">{ format!("{} stored messages are damaged and could not be shown.", r.skipped) }</p>
            }
            <LineList<RoomLine> key={r.room_id.to_string()} lines={r.lines.clone()}
                stored_older={r.older.is_some()} {on_older} />
            <p class="typing" aria-live="polite">{
                match typing.as_slice() {
                    [] => String::new(),
                    [one] => format!("{one} is typing…"),
                    [one, two] => format!("{one} and {two} are typing…"),
                    _ => "Several people are typing…".to_owned(),
                }
            }</p>
            <form class="composer" {onsubmit}>
                <label for="recipient" class="visually-hidden">{ "Send to" }</label>
                <select id="recipient" onchange={on_recipient}>
                    <option value="" selected={to.is_none()}>{ "Everyone" }</option>
                    { for online.iter().map(|m| html! {
                        <option key={m.peer.to_string()} value={m.peer.to_string()}
                            selected={to.as_ref() == Some(&m.peer)}>
                            { format!("{} (private)", shown(&m.peer, &m.name)) }
                        </option>
                    }) }
                </select>
                <label for="room-message" class="visually-hidden">{ "Message" }</label>
                <input id="room-message" ref={input} type="text" maxlength="2000" autocomplete="off"
                    {placeholder} oninput={on_input} />
                <button type="submit">{ "Send" }</button>
            </form>
            if let Some(e) = error.as_ref() { <p class="error" role="alert">{ e.clone() }</p> }
        </section>
    }
}

impl ShowLine for RoomLine {
    fn view(key: LineKey, line: &Rc<Self>) -> Html {
        html! { <RoomLineView key={key.get()} line={line.clone()} /> }
    }

    fn mine(&self) -> bool {
        self.author == Author::Me && !self.notice
    }
}

/// One line of a room: a message, or a notice of who came or went.
#[function_component]
fn RoomLineView(props: &LineProps<RoomLine>) -> Html {
    let l = &props.line;
    if l.notice {
        return notice(&l.name, &l.text, l.ts);
    }
    html! {
        <li class={classes!("message", (l.author == Author::Me).then_some("mine"), l.whisper_to.is_some().then_some("whisper"))}>
            <span class="from">{ l.name.clone() }</span>
            <time class="at">{ local_hh_mm(l.ts) }</time>
            if let Some(to) = &l.whisper_to {
                <span class="private">{
                    if l.author == Author::Me { format!("private to {to}") } else { "private".to_owned() }
                }</span>
            }
            <p class="text">{ l.text.clone() }</p>
            { receipt(l.receipt) }
        </li>
    }
}

/// Where one of our messages has got, as a small mark with words for screen readers.
fn receipt(r: Option<Receipt>) -> Html {
    match r {
        None => Html::default(),
        Some(Receipt::Sent) => html! { <span class="receipt" title="Sent">{ "✓ sent" }</span> },
        Some(Receipt::Delivered) => html! {
            <span class="receipt delivered" title="Delivered to everyone online">{ "✓✓ delivered" }</span>
        },
    }
}
