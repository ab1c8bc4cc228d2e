//! What a room's info sheet holds: who is in it (online or not, with each member's
//! connection details), the invite link and its QR code, the history tools, and leaving.

use peerchat_chat::details::Subject;
use peerchat_chat::rooms_state::{online_count, MemberView};
use peerchat_ids::RoomId;
use peerchat_peerjs::PeerId;
use yew::prelude::*;

use super::confirm::ConfirmButton;
use super::details::ConnectionDetails;
use super::history::{RoomHistoryActions, RoomHistoryTools};
use super::notify_switch::NotifySwitch;
use super::qr::QrCode;
use super::trust::{MemberTrust, VerifyPanel};
use crate::platform::{copy_to_clipboard, invite_url};

/// Props of [`RoomInfo`].
#[derive(Properties, PartialEq)]
pub struct RoomInfoProps {
    /// The room's id.
    pub room_id: RoomId,
    /// Its invite link's fragment.
    pub invite: String,
    /// The user turned its notifications off.
    pub muted: bool,
    /// Its members other than us. (Not the whole room: a new message, or someone typing,
    /// does not draw the sheet again.)
    pub room_members: Vec<MemberView>,
    /// Members' keys: to tell two of one name apart and to verify them.
    pub members: MemberTrust,
    /// Leaves the room.
    pub on_leave: Callback<RoomId>,
    /// Export and deletion of the room's stored history.
    pub history: RoomHistoryActions,
    /// Turns the room's notifications off (true) or on.
    pub on_mute: Callback<(RoomId, bool)>,
    /// Whether the sheet is open. Each member's safety-number and connection panels, and
    /// the invite's QR code, are made only then: made while closed, for every member of
    /// a room of 16 coming online, they were most of a newcomer's render work (100–240 ms
    /// a render) for panels nobody saw.
    pub open: bool,
}

/// Members, invite, history, leave.
#[function_component]
pub fn RoomInfo(props: &RoomInfoProps) -> Html {
    let members = &props.room_members;
    let names: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
    let t = &props.members;
    let shown = |peer: &PeerId, name: &str| t.shown(peer, name, names.iter().copied());
    let copied = use_state(|| false);
    let link = invite_url(&props.invite);
    let on_copy = {
        let (link, copied) = (link.clone(), copied.clone());
        Callback::from(move |_| {
            copy_to_clipboard(&link);
            copied.set(true);
        })
    };
    let on_leave = {
        let (cb, room_id) = (props.on_leave.clone(), props.room_id.clone());
        Callback::from(move |()| cb.emit(room_id.clone()))
    };
    let on_mute = {
        let (cb, room_id) = (props.on_mute.clone(), props.room_id.clone());
        Callback::from(move |muted| cb.emit((room_id.clone(), muted)))
    };
    html! {
        <>
            <NotifySwitch muted={props.muted} {on_mute} />
            <h4 class="sheet-section">{ format!("Members · {} online", online_count(members)) }</h4>
            <ul class="members" aria-label="Members">
                <li class="member online">{ "You" }</li>
                { for members.iter().map(|m| {
                    let key = t.keys.get(&m.peer).copied();
                    let verified = key.is_some_and(|k| t.verified.contains(&k));
                    let on_verified = {
                        let (cb, room, peer) = (t.on_verify.clone(), props.room_id.clone(), m.peer.clone());
                        Callback::from(move |v| cb.emit((room.clone(), peer.clone(), v)))
                    };
                    html! {
                        <li class={classes!("member", m.online.then_some("online"))}>
                            <bdi>{ shown(&m.peer, &m.name) }</bdi>
                            if verified {
                                <span class="badge verified" title="Safety number verified">{ " ✓" }</span>
                            }
                            <span class="presence">{ if m.online { " · online" } else { " · offline" } }</span>
                            if props.open {
                                if let (Some(mine), Some(theirs)) = (t.my_key, key) {
                                    <VerifyPanel name={shown(&m.peer, &m.name)} {mine} {theirs} {verified} {on_verified} />
                                }
                                <ConnectionDetails subject={Subject::Member { room: props.room_id.clone(), peer: m.peer.clone() }} />
                            }
                        </li>
                    }
                }) }
            </ul>
            <details class="invite">
                <summary>{ "Invite people" }</summary>
                <p>{ "Anyone with this link can join the room and read it. Send it privately." }</p>
                <code id="invite-link" class="invite-link">{ link.clone() }</code>
                <button type="button" aria-label="Copy invite link" onclick={on_copy}>
                    { if *copied { "Copied" } else { "Copy link" } }
                </button>
                if props.open {
                    <QrCode text={link} label="QR code of the invite link" />
                }
            </details>
            <RoomHistoryTools room_id={props.room_id.clone()} actions={props.history.clone()} />
            <ConfirmButton label="Leave room"
                question="Leave this room for good? Its history on this device is deleted (export it first to keep it); members keep theirs."
                confirm="Leave and delete" on_confirm={on_leave} />
        </>
    }
}
