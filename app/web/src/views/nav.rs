//! The list of rooms and conversations, to switch between them.

use peerchat_chat::rooms_state::RoomView;
use peerchat_chat::state::{Conversation, Screen};
use yew::prelude::*;

/// Props of [`ChatList`].
#[derive(Properties, PartialEq)]
pub struct ChatListProps {
    /// Rooms we are in.
    pub rooms: Vec<RoomView>,
    /// One-to-one conversations.
    pub conversations: Vec<Conversation>,
    /// What is on screen.
    pub active: Option<Screen>,
    /// Switch screens.
    pub on_select: Callback<Screen>,
}

/// Buttons for every room (with members online) and conversation; hidden while there is
/// at most one thing to show.
#[function_component]
pub fn ChatList(props: &ChatListProps) -> Html {
    if props.rooms.len() + props.conversations.len() < 2 {
        return html! {};
    }
    let item = |screen: Screen, label: String, unread: usize| {
        let label = match unread {
            0 => label,
            n => format!("{label} · {n} unread"),
        };
        let current = props.active.as_ref() == Some(&screen);
        let onclick = props.on_select.reform(move |_| screen.clone());
        html! {
            <li>
                <button type="button" aria-current={current.then_some("true")} {onclick}>{ label }</button>
            </li>
        }
    };
    html! {
        <nav class="chat-list" aria-label="Rooms and conversations">
            <ul>
                { for props.rooms.iter().map(|r| item(
                    Screen::Room(r.room_id.clone()),
                    format!("{}{} · {} online", if r.public { "# " } else { "" }, r.name, r.online_count()),
                    r.unread,
                )) }
                { for props.conversations.iter().map(|c| item(
                    Screen::Conversation(c.peer.clone()),
                    c.display_name().to_owned(),
                    c.unread,
                )) }
            </ul>
        </nav>
    }
}
