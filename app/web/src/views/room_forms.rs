//! Create a private room, or join a public topic.

use peerchat_chat::room::{check_room_name, Invite};
use yew::prelude::*;

use super::take_input;

/// Props of [`RoomForms`].
#[derive(Properties, PartialEq)]
pub struct RoomFormsProps {
    /// Create a private room with this name.
    pub on_create: Callback<String>,
    /// Join this (public topic) room.
    pub on_join: Callback<Invite>,
}

/// Two small forms side by side.
#[function_component]
pub fn RoomForms(props: &RoomFormsProps) -> Html {
    let room_input = use_node_ref();
    let topic_input = use_node_ref();
    let error = use_state(|| None::<String>);
    let on_create = {
        let (input, error, cb) = (room_input.clone(), error.clone(), props.on_create.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            match check_room_name(&take_input(&input)) {
                Ok(name) => {
                    error.set(None);
                    cb.emit(name);
                }
                Err(e) => error.set(Some(format!("Not created: {e}."))),
            }
        })
    };
    let on_topic = {
        let (input, error, cb) = (topic_input.clone(), error.clone(), props.on_join.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            match check_room_name(&take_input(&input)) {
                Ok(topic) => {
                    error.set(None);
                    cb.emit(Invite::Topic { topic });
                }
                Err(e) => error.set(Some(format!("Not joined: {e}."))),
            }
        })
    };
    html! {
        <section class="card rooms-forms" aria-label="Rooms">
            <form class="inline-form" onsubmit={on_create}>
                <label for="room-name">{ "Room name" }</label>
                <input id="room-name" ref={room_input} type="text" maxlength="60" autocomplete="off" required=true />
                <button type="submit">{ "Create room" }</button>
            </form>
            <form class="inline-form" onsubmit={on_topic}>
                <label for="topic-name">{ "Public topic" }</label>
                <input id="topic-name" ref={topic_input} type="text" maxlength="60" autocomplete="off" required=true />
                <button type="submit">{ "Join topic" }</button>
            </form>
            if let Some(e) = error.as_ref() { <p class="error" role="alert">{ e.clone() }</p> }
        </section>
    }
}
