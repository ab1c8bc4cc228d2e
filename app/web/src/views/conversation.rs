//! The open one-to-one conversation.

use std::rc::Rc;

use peerchat_chat::details::Subject;
use peerchat_chat::state::{Author, ChannelStatus, Conversation, Line, LineKey};
use peerchat_chat::trust::PeerTrust;
use peerchat_identity::PublicKey;
use peerchat_peerjs::PeerId;
use yew::prelude::*;

use super::details::ConnectionDetails;
use super::lines::{notice, LineList, LineProps, ShowLine};
use super::trust::{key_status, TrustChoice, TrustPanel};
use super::{ignored, send_input};
use crate::platform::local_hh_mm;

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
}

/// Messages and the composer.
#[function_component]
pub fn ConversationView(props: &ConversationViewProps) -> Html {
    let c = &props.conversation;
    let input = use_node_ref();
    let error = use_state(|| None::<String>);
    let onsubmit = {
        let (input, error, cb, peer) = (
            input.clone(),
            error.clone(),
            props.on_send.clone(),
            c.peer.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            error.set(send_input(&input, |text| cb.emit((peer.clone(), text))));
        })
    };
    let name = c.display_name();
    let status = match c.status {
        ChannelStatus::Connecting => format!("Connecting to {name}…"),
        ChannelStatus::Open => format!("Connected to {name}."),
        ChannelStatus::Unavailable => {
            format!("{name} is not online. Ask them to open PeerChat, then press Connect again.")
        }
        ChannelStatus::Closed => {
            format!("{name} left the conversation. Press Connect to reach them again.")
        }
        ChannelStatus::NotConnected => format!("Not connected. Press Connect to reach {name}."),
        ChannelStatus::Failed(why) => {
            format!("Could not connect to {name}: {why}. Press Connect to try again.")
        }
    };
    let held = key_status(name, &props.trust);
    let status = held.clone().unwrap_or(status);
    let open = c.status == ChannelStatus::Open && props.trust.changed.is_none();
    let can_connect = c.status != ChannelStatus::Open && c.status != ChannelStatus::Connecting;
    let on_choice = {
        let (cb, peer) = (props.on_trust.clone(), c.peer.clone());
        Callback::from(move |choice| cb.emit((peer.clone(), choice)))
    };
    let on_connect = {
        let (cb, peer) = (props.on_connect.clone(), c.peer.clone());
        Callback::from(move |_| cb.emit(peer.clone()))
    };
    let on_older = {
        let (cb, peer) = (props.on_older.clone(), c.peer.clone());
        Callback::from(move |()| cb.emit(peer.clone()))
    };
    html! {
        <section class="card conversation" aria-labelledby="conversation-title">
            <h2 id="conversation-title">{ format!("Chat with {name}") }</h2>
            <p class={classes!("conversation-status", (!open).then_some("warn"), held.is_some().then_some("alert"))} role="status">
                { status }
                if can_connect {
                    { " " }<button type="button" class="secondary" aria-label={format!("Connect to {name}")} onclick={on_connect}>{ "Connect" }</button>
                }
            </p>
            <TrustPanel name={name.to_owned()} trust={props.trust.clone()} my_key={props.my_key} {on_choice} />
            <ConnectionDetails subject={Subject::Conversation(c.peer.clone())} />
            <LineList<Line> key={c.peer.to_string()} lines={c.lines.clone()}
                stored_older={c.older.is_some()} {on_older} />
            if c.dropped > 0 {
                <p class="note" role="status">{ ignored(c.dropped, "from this peer") }</p>
            }
            <form class="composer" {onsubmit}>
                <label for="message-input" class="visually-hidden">{ "Message" }</label>
                <input id="message-input" ref={input} type="text" maxlength="2000"
                    placeholder={ if open { "Write a message" } else { "Not connected" } }
                    disabled={!open} autocomplete="off" />
                <button type="submit" disabled={!open}>{ "Send" }</button>
            </form>
            if let Some(e) = error.as_ref() { <p class="error" role="alert">{ e.clone() }</p> }
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
            <span class="from">{ l.name.clone() }</span>
            <time class="at">{ local_hh_mm(l.ts) }</time>
            <p class="text">{ l.text.clone() }</p>
        </li>
    }
}
