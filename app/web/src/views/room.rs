//! A room on screen: its bar (name, who is online or typing), its messages and the
//! composer; who is in it, the invite and the history tools are in its info sheet
//! (`room_info`).

use std::rc::Rc;

use peerchat_chat::rooms_state::{RoomLine, RoomView};
use peerchat_chat::state::{Author, LineKey, Screen};

use peerchat_ids::RoomId;
use peerchat_peerjs::PeerId;
use yew::prelude::*;

use peerchat_chat::chat_list::{colour_of, initials, typing_words};

use super::chat_bar::ChatBar;
use super::composer::Composer;
use super::files::{use_attach, FileCard, FileWith};
use super::history::RoomHistoryActions;
use super::ignored;
use super::info_sheet::{use_info_sheet, InfoSheet, SheetState};
use super::lines::{notice, receipt, LineList, LineProps, ShowLine};
use super::recipient::RecipientPicker;
use super::room_info::RoomInfo;
use super::text::message_text;
use super::trust::MemberTrust;
use crate::platform::local_hh_mm;

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
    /// Members' keys: to tell two of one name apart and to verify them.
    #[prop_or_default]
    pub members: MemberTrust,
    /// Back to the list of chats.
    pub on_back: Callback<()>,
    /// What was being written here, as read back from the device.
    #[prop_or_default]
    pub draft: AttrValue,
    /// The text being written changed (to keep it on the device).
    #[prop_or_default]
    pub on_draft: Callback<(Screen, String)>,
    /// Turns the room's notifications off (true) or on.
    #[prop_or_default]
    pub on_mute: Callback<(RoomId, bool)>,
    /// Sends a file to the room; the callback given hears why it could not go.
    #[prop_or_default]
    pub on_attach: Callback<(RoomId, web_sys::File, Callback<String>)>,
}

/// The room on screen: its bar, messages and composer, and its info sheet.
#[function_component]
pub fn RoomScreen(props: &RoomScreenProps) -> Html {
    let r = &props.room;
    // Two members of one name are told apart by their keys' fingerprints.
    let names: Vec<&str> = r.members.iter().map(|m| m.name.as_str()).collect();
    let t = &props.members;
    let shown = |peer: &PeerId, name: &str| t.shown(peer, name, names.iter().copied());
    // Who the composer writes to; kept in state so the select always shows the truth.
    let recipient = use_state(|| None::<PeerId>);
    // The sheet's member list is drawn while it is closed too (only the heavy parts of
    // a member wait for it to open, see `RoomInfo`): it is kept current as members come
    // and go, and read by the end-to-end tests and the benchmark.
    let SheetState {
        open: info,
        on_toggle: on_info,
        on_close,
        ..
    } = use_info_sheet(r.room_id.to_string().into());
    let online: Vec<_> = r.members.iter().filter(|m| m.online).collect();
    // A private recipient who went offline is not offered any more: back to everyone.
    let to = (*recipient)
        .clone()
        .filter(|p| online.iter().any(|m| &m.peer == p));
    // The same callbacks while the room, the recipient and the app's are the same: a new
    // message then draws its line, not the composer again.
    let on_send = {
        let recipient = recipient.setter();
        use_callback(
            (props.on_send.clone(), r.room_id.clone(), to.clone()),
            move |text: String, (cb, room_id, to)| {
                let sent = cb.emit((room_id.clone(), to.clone(), text));
                // A whisper is one message: the next goes to everyone again, unless the
                // user picks someone again.
                if sent.is_ok() && to.is_some() {
                    recipient.set(None);
                }
                sent
            },
        )
    };
    let on_recipient = {
        let recipient = recipient.setter();
        use_callback((), move |to: Option<PeerId>, ()| recipient.set(to))
    };
    let on_typing = use_callback(
        (props.on_typing.clone(), r.room_id.clone()),
        |(), (cb, room_id)| cb.emit(room_id.clone()),
    );
    let (on_files, file_error) = use_attach(props.on_attach.clone(), r.room_id.clone());
    let typing = typing_words(&r.typing_names());
    // The same too: made anew, it drew the line list again for every drawing of the room
    // (a member's typing, a receipt).
    let on_older = use_callback(
        (props.history.on_older.clone(), r.room_id.clone()),
        |(), (cb, room_id)| cb.emit(room_id.clone()),
    );

    let chat = Screen::Room(r.room_id.clone());
    // Short enough for a phone's one-row composer.
    let placeholder = match to
        .as_ref()
        .and_then(|p| online.iter().find(|m| &m.peer == p))
    {
        Some(m) => format!("Private to {}", shown(&m.peer, &m.name)),
        None => "Message".to_owned(),
    };
    let title = if r.public {
        format!("# {}", r.name)
    } else {
        r.name.clone()
    };
    let subtitle = match &typing {
        Some(words) => html! { <bdi>{ words.clone() }</bdi> },
        None => html! { { format!("{} online", r.online_count()) } },
    };
    html! {
        <section class={classes!("chat", "room", info.then_some("info-open"))} aria-labelledby="room-title">
            <ChatBar heading_id="room-title" title={html! { <bdi>{ title }</bdi> }} {subtitle}
                subtitle_class={classes!(typing.is_some().then_some("typing"))}
                initials={initials(&r.name)} colour={colour_of(r.room_id.as_str())}
                on_back={props.on_back.clone()} info_open={info} {on_info}
                info_label="Room info" sheet_id="room-info" />
            <div class="chat-main">
                if r.public {
                    <p class="warn public-note">{ "Public topic: anyone who types this topic can join and read along." }</p>
                }
                if r.ignored > 0 {
                    <p class="note" role="status">{ ignored(r.ignored, "from this room") }</p>
                }
                if r.skipped > 0 {
                    <p class="warn" role="status">{ format!("{} stored messages are damaged and could not be shown.", r.skipped) }</p>
                }
                // Its file cards show this room's transfers (a file posted in two rooms
                // has a line in each).
                <ContextProvider<FileWith> context={FileWith(Screen::Room(r.room_id.clone()))}>
                    <LineList<RoomLine> key={r.room_id.to_string()} lines={r.lines.clone()}
                        stored_older={r.older.is_some()} {on_older} />
                </ContextProvider<FileWith>>
                if let Some(why) = file_error.as_ref() {
                    <p class="error file-error" role="alert">{ why.clone() }</p>
                }
                <Composer key={chat.tag()} chat={chat.clone()} restored={props.draft.clone()} on_draft={props.on_draft.clone()} input_id="room-message" {on_send} {on_typing} {placeholder} on_files={Some(on_files)}>
                    <RecipientPicker online={online.iter().map(|m| (m.peer.clone(), shown(&m.peer, &m.name))).collect::<Vec<_>>()}
                        to={to.clone()} on_pick={on_recipient} />
                </Composer>
            </div>
            <InfoSheet id="room-info" title="Room info" open={info} {on_close}>
                <RoomInfo room_id={r.room_id.clone()} invite={r.invite.clone()} muted={r.muted}
                    room_members={r.members.clone()} members={props.members.clone()} on_leave={props.on_leave.clone()}
                    history={props.history.clone()} on_mute={props.on_mute.clone()} open={info} />
            </InfoSheet>
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

    fn ts(&self) -> u64 {
        self.ts
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
        <li class={classes!("message", (l.author == Author::Me).then_some("mine"), l.whisper_to.is_some().then_some("whisper"), l.follows.then_some("follows"))}>
            <bdi class="from">{ l.name.clone() }</bdi>
            <time class="at">{ local_hh_mm(l.ts) }</time>
            if let Some(to) = &l.whisper_to {
                <span class="private">{
                    if l.author == Author::Me { html! { <>{ "private to " }<bdi>{ to.clone() }</bdi></> } } else { html! { "private" } }
                }</span>
            }
            <p class="text" dir="auto">{ message_text(&l.text) }</p>
            if let Some(offer) = &l.file {
                <FileCard offer={(**offer).clone()} />
            }
            { receipt(l.receipt, "Delivered to everyone online") }
        </li>
    }
}
