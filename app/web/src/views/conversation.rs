//! The open one-to-one conversation: its bar (who, how the link stands), the messages,
//! the composer, and its info sheet.

use std::rc::Rc;

use peerchat_chat::details::Subject;
use peerchat_chat::state::{Author, ChannelStatus, Conversation, Line, LineKey, Screen};
use peerchat_chat::trust::PeerTrust;
use peerchat_identity::PublicKey;
use peerchat_peerjs::PeerId;
use yew::prelude::*;

use peerchat_chat::chat_list::{colour_of, initials, presence};

use super::chat_bar::ChatBar;
use super::composer::Composer;
use super::details::ConnectionDetails;
use super::files::{use_attach, FileCard, FileWith};
use super::history::{ConversationHistoryActions, ConversationHistoryTools};
use super::ignored;
use super::info_sheet::{use_info_sheet, InfoSheet, SheetState};
use super::lines::{notice, receipt, LineList, LineProps, ShowLine};
use super::notify_switch::NotifySwitch;
use super::request::{RequestBar, RequestChoice};
use super::text::message_text;
use super::trust::{key_status, TrustChoice, TrustPanel};
use crate::platform::local_hh_mm;
use peerchat_node::requests::REQUEST_HELD;

/// Props of [`ConversationView`].
#[derive(Properties, PartialEq)]
pub struct ConversationViewProps {
    /// The conversation.
    pub conversation: Conversation,
    /// Sends a message; the error says what to do.
    pub on_send: Callback<(PeerId, String), Result<(), String>>,
    /// Connects (again) to the peer.
    pub on_connect: Callback<PeerId>,
    /// Shows the page of stored lines before the oldest shown.
    pub on_older: Callback<PeerId>,
    /// What we know of the peer's key.
    pub trust: PeerTrust,
    /// Our own key, for the safety number.
    pub my_key: Option<PublicKey>,
    /// The user's decision about the peer's key.
    pub on_trust: Callback<(PeerId, TrustChoice)>,
    /// Back to the list of chats.
    pub on_back: Callback<()>,
    /// What was being written here, as read back from the device.
    #[prop_or_default]
    pub draft: AttrValue,
    /// The text being written changed (to keep it on the device).
    #[prop_or_default]
    pub on_draft: Callback<(Screen, String)>,
    /// The user's decision about a message request.
    pub on_request: Callback<(PeerId, RequestChoice)>,
    /// Notifications for the conversation turned off (`true`) or on.
    pub on_mute: Callback<(PeerId, bool)>,
    /// Export and deletion of the conversation's stored history.
    pub history: ConversationHistoryActions,
    /// Sends a file; the callback given hears why it could not go.
    pub on_attach: Callback<(PeerId, web_sys::File, Callback<String>)>,
}

/// "Connected to Bob." and the like, with the name isolated (a name written right to left
/// or carrying direction marks does not turn the app's words around).
fn status_words(name: &str, status: &ChannelStatus) -> Html {
    let name = html! { <bdi>{ name.to_owned() }</bdi> };
    match status {
        ChannelStatus::Connecting => html! { <>{ "Connecting to " }{ name }{ "…" }</> },
        ChannelStatus::Open => html! { <>{ "Connected to " }{ name }{ "." }</> },
        ChannelStatus::Unavailable => html! {
            <>{ name }{ " is not online. Ask them to open PeerChat, then press Connect again." }</>
        },
        ChannelStatus::Closed => html! {
            <>{ name }{ " left the conversation. Press Connect to reach them again." }</>
        },
        ChannelStatus::NotConnected => {
            html! { <>{ "Not connected. Press Connect to reach " }{ name }{ "." }</> }
        }
        ChannelStatus::Failed(why) => html! {
            <>{ "Could not connect to " }{ name }{ format!(": {why}. Press Connect to try again.") }</>
        },
    }
}

/// The conversation's bar, messages and composer, and its info sheet (verification,
/// connection details).
#[function_component]
pub fn ConversationView(props: &ConversationViewProps) -> Html {
    let c = &props.conversation;
    let SheetState {
        open: info,
        drawn: sheet_drawn,
        on_toggle: on_info,
        on_close,
    } = use_info_sheet(c.peer.to_string().into());
    // The same callbacks while the conversation and the app's are the same: a new
    // message then draws its line, not the composer and panels again.
    let on_send = use_callback(
        (props.on_send.clone(), c.peer.clone()),
        |text: String, (cb, peer)| cb.emit((peer.clone(), text)),
    );
    let (on_files, file_error) = use_attach(props.on_attach.clone(), c.peer.clone());
    let name = c.display_name();
    let held = key_status(name, &props.trust);
    let open = c.status == ChannelStatus::Open && props.trust.changed.is_none();
    let can_connect = c.status != ChannelStatus::Open && c.status != ChannelStatus::Connecting;
    let on_choice = use_callback(
        (props.on_trust.clone(), c.peer.clone()),
        |choice, (cb, peer)| cb.emit((peer.clone(), choice)),
    );
    let on_connect = use_callback(
        (props.on_connect.clone(), c.peer.clone()),
        |_: MouseEvent, (cb, peer)| cb.emit(peer.clone()),
    );
    let on_older = use_callback(
        (props.on_older.clone(), c.peer.clone()),
        |(), (cb, peer)| cb.emit(peer.clone()),
    );
    let on_mute = use_callback(
        (props.on_mute.clone(), c.peer.clone()),
        |muted, (cb, peer)| cb.emit((peer.clone(), muted)),
    );
    let trust = html! {
        <TrustPanel name={name.to_owned()} trust={props.trust.clone()} my_key={props.my_key} {on_choice} />
    };
    let chat = Screen::Conversation(c.peer.clone());
    // While all is well the bar says so; otherwise a line under it says what is wrong
    // and what to do.
    let (subtitle, strip) = match &held {
        Some(why) => (
            html! { { "see the warning below" } },
            Some(html! { { why.clone() } }),
        ),
        None if open => (
            html! { <span class="conversation-status">{ status_words(name, &c.status) }</span> },
            None,
        ),
        None => (
            html! { { presence(&c.status) } },
            Some(status_words(name, &c.status)),
        ),
    };
    html! {
        <section class={classes!("chat", "conversation", info.then_some("info-open"))} aria-labelledby="conversation-title">
            <ChatBar heading_id="conversation-title"
                title={html! { <><span class="visually-hidden">{ "Chat with " }</span><bdi>{ name.to_owned() }</bdi></> }}
                {subtitle} initials={initials(name)} colour={colour_of(c.peer.as_str())}
                on_back={props.on_back.clone()} info_open={info} {on_info}
                info_label="Contact info" sheet_id="contact-info" />
            <div class="chat-main">
                if let Some(strip) = strip {
                    <p class={classes!("conversation-status", "warn", held.is_some().then_some("alert"))} role="status">
                        { strip }
                        if can_connect {
                            { " " }<button type="button" class="secondary" aria-label={format!("Connect to {name}")} onclick={on_connect}>{ "Connect" }</button>
                        }
                    </p>
                }
                // A key in question is decided here, in front of the conversation.
                if props.trust.changed.is_some() { { trust.clone() } }
                // Its file cards show the transfers with this contact (a file sent to
                // two contacts has one with each).
                <ContextProvider<FileWith> context={FileWith(Screen::Conversation(c.peer.clone()))}>
                    <LineList<Line> key={c.peer.to_string()} lines={c.lines.clone()}
                        stored_older={c.older.is_some()} {on_older} />
                </ContextProvider<FileWith>>
                if c.dropped > 0 && c.request {
                    <p class="note" role="status">{ format!(
                        "{} of their messages were not kept: a request keeps at most {REQUEST_HELD} until you accept, and nothing unreadable.",
                        c.dropped) }</p>
                } else if c.dropped > 0 {
                    <p class="note" role="status">{ ignored(c.dropped, "from this peer") }</p>
                }
                if c.request {
                    <RequestBar peer={c.peer.clone()} name={name.to_owned()} on_choice={props.on_request.clone()} />
                } else {
                    if let Some(why) = file_error.as_ref() {
                        <p class="error file-error" role="alert">{ why.clone() }</p>
                    }
                    <Composer key={chat.tag()} chat={chat.clone()} restored={props.draft.clone()} on_draft={props.on_draft.clone()} input_id="message-input" {on_send} disabled={!open} on_files={Some(on_files)}
                        placeholder={ if open { "Write a message" } else { "Not connected" } } />
                }
            </div>
            // What the sheet holds is drawn once it is opened for this conversation:
            // drawn with it, it was most of the first drawing of a new conversation,
            // which comes as the call opens, on both sides (one traced call: the
            // caller's drawing took 8.7 ms of script, 2.1 ms without it), and the call
            // showed open later (click to open on both sides, against the official
            // client in the same runs, 5 alternating rounds of 4-6 runs: 1.03, 1.50,
            // 1.19, 1.19, 1.13x against 1.29, 1.31, 1.37, 1.33, 1.35x).
            <InfoSheet id="contact-info" title="Contact info" open={info} {on_close}>
                if sheet_drawn {
                    <p class="hint">{ "ID " }<code class="peer-id">{ c.peer.to_string() }</code></p>
                    if props.trust.changed.is_none() { { trust } }
                    <ConnectionDetails subject={Subject::Conversation(c.peer.clone())} />
                    if !c.request {
                        <NotifySwitch muted={c.muted} {on_mute} />
                    }
                    <ConversationHistoryTools peer={c.peer.clone()} actions={props.history.clone()} />
                }
            </InfoSheet>
        </section>
    }
}

impl ShowLine for Line {
    fn view(key: LineKey, line: &Rc<Self>) -> Html {
        html! { <ConversationLine key={key.get()} line={line.clone()} /> }
    }

    fn mine(&self) -> bool {
        self.author == Author::Me && !self.notice
    }

    fn ts(&self) -> u64 {
        self.ts
    }
}

/// One line of a conversation: a message, or a notice (a new name).
#[function_component]
fn ConversationLine(props: &LineProps<Line>) -> Html {
    let l = &props.line;
    if l.notice {
        return notice(&l.name, &l.text, l.ts);
    }
    html! {
        <li class={classes!("message", (l.author == Author::Me).then_some("mine"))}>
            <bdi class="from">{ l.name.clone() }</bdi>
            <time class="at">{ local_hh_mm(l.ts) }</time>
            <p class="text" dir="auto">{ message_text(&l.text) }</p>
            if let Some(offer) = &l.file {
                <FileCard offer={offer.clone()} />
            }
            { receipt(l.receipt, "Delivered") }
        </li>
    }
}
