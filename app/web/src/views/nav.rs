//! The home screen's list of chats (rooms and conversations), as the core orders and
//! words it (`peerchat_chat::chat_list`).

use peerchat_chat::chat_list::ChatEntry;
use peerchat_chat::state::Screen;
use yew::prelude::*;

use super::avatar::Avatar;
use crate::platform::local_hh_mm;

/// Props of [`ChatList`].
#[derive(Properties, PartialEq)]
pub struct ChatListProps {
    /// Every chat, in the order to show.
    pub entries: Vec<ChatEntry>,
    /// Opens a chat.
    pub on_select: Callback<Screen>,
}

/// One row per chat: avatar, name, time of the last message, its preview (or who is
/// typing, or how the chat stands) and the unread count.
#[function_component]
pub fn ChatList(props: &ChatListProps) -> Html {
    if props.entries.is_empty() {
        return html! {
            <p class="hint empty-list">{ "No chats yet. Start one with New chat: share your ID, connect to a friend's, or create a room." }</p>
        };
    }
    let item = |(i, e): (usize, &ChatEntry)| {
        let onclick = {
            let screen = e.screen.clone();
            props.on_select.reform(move |_| screen.clone())
        };
        let line = if e.typing {
            "typing…".to_owned()
        } else {
            e.preview.clone().unwrap_or_else(|| e.status.clone())
        };
        // The button is named by what it shows (the name), then how the chat stands, for
        // screen readers only; the last message and its time describe it.
        let label = e.label();
        let rest = label
            .strip_prefix(e.name.as_str())
            .unwrap_or_default()
            .to_owned();
        let described = format!("chat-item-{i}");
        html! {
            <li key={key(&e.screen)}>
                <button type="button" class="chat-item" aria-current={e.current.then_some("true")}
                    aria-describedby={described.clone()} {onclick}>
                    <Avatar initials={e.initials.clone()} colour={e.colour} />
                    <span class="chat-item-main">
                        <span class="chat-item-row">
                            <span class="chat-name"><bdi>{ e.name.clone() }</bdi><span class="visually-hidden">{ rest }</span></span>
                            if let Some(ts) = e.last_ts { <time aria-hidden="true">{ local_hh_mm(ts) }</time> }
                        </span>
                        <span class="chat-item-row" id={described} aria-hidden="true">
                            <bdi class={classes!("chat-preview", e.typing.then_some("typing-now"))}>{ line }</bdi>
                            if e.request { <span class="request-badge">{ "Request" }</span> }
                            if e.unread > 0 { <span class="unread-count">{ e.unread }</span> }
                        </span>
                    </span>
                </button>
            </li>
        }
    };
    html! {
        <nav class="chat-list" aria-label="Rooms and conversations">
            <ul>{ for props.entries.iter().enumerate().map(item) }</ul>
        </nav>
    }
}

/// A list item's key: the chat, whatever its label says now.
fn key(screen: &Screen) -> String {
    match screen {
        Screen::Room(id) => format!("room/{}", id.as_str()),
        Screen::Conversation(peer) => format!("peer/{}", peer.as_str()),
    }
}
