//! Stored history controls: import a file, a room's export and delete, and deleting
//! everything on this device.

use peerchat_ids::RoomId;
use peerchat_peerjs::PeerId;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use peerchat_node::saved::History;

use super::confirm::ConfirmButton;
use super::file_space::FilesSpaceTools;
use crate::transfer::Format;

/// Props of [`ImportForm`].
#[derive(Properties, PartialEq)]
pub struct ImportFormProps {
    /// Called with the chosen file.
    pub on_import: Callback<web_sys::File>,
}

/// Imports a history file exported with "Export (JSON)".
#[function_component]
pub fn ImportForm(props: &ImportFormProps) -> Html {
    let onchange = {
        let cb = props.on_import.clone();
        Callback::from(move |e: Event| {
            let input = e.target_unchecked_into::<HtmlInputElement>();
            if let Some(file) = input.files().and_then(|f| f.get(0)) {
                cb.emit(file);
            }
            // The same file can be chosen again.
            input.set_value("");
        })
    };
    html! {
        <div class="card import">
            <label for="import-input">{ "Import history" }</label>
            <p class="hint">{ "A file saved with “Export (JSON)”: its room and messages come back; messages already here are not doubled." }</p>
            <input id="import-input" type="file" accept=".json,application/json" {onchange} />
        </div>
    }
}

/// A room's history controls, each given the room's id: [`RoomHistoryTools`] uses the
/// export and delete, the room screen the paging.
#[derive(Clone, PartialEq)]
pub struct RoomHistoryActions {
    /// Loads the page before the oldest message shown.
    pub on_older: Callback<RoomId>,
    /// Exports a room's history to a file.
    pub on_export: Callback<(RoomId, Format)>,
    /// Deletes a room's history on this device.
    pub on_delete: Callback<RoomId>,
}

/// A conversation's history controls, each given the contact's id.
#[derive(Clone, PartialEq)]
pub struct ConversationHistoryActions {
    /// Exports the conversation's history to a file.
    pub on_export: Callback<(PeerId, Format)>,
    /// Deletes the conversation's history on this device.
    pub on_delete: Callback<PeerId>,
}

/// Props of [`HistoryTools`].
#[derive(Properties, PartialEq)]
pub struct HistoryToolsProps {
    /// Exports the history in a format.
    pub on_export: Callback<Format>,
    /// Deletes it here (confirmed).
    pub on_delete: Callback<()>,
    /// The delete button's label ("Delete this room's history").
    pub delete_label: AttrValue,
    /// What deleting does, asked before.
    pub question: AttrValue,
    /// Whose history (for the space its files take).
    pub history: History,
}

/// A room's or conversation's history: export it, or delete it here.
#[function_component]
pub fn HistoryTools(props: &HistoryToolsProps) -> Html {
    let export = |format: Format| props.on_export.reform(move |_: MouseEvent| format);
    html! {
        <details class="history-tools">
            <summary>{ "History" }</summary>
            <p class="hint">{ "Saved encrypted on this device. An exported file is not encrypted: keep it private." }</p>
            <button type="button" onclick={export(Format::Json)}>{ "Export (JSON)" }</button>
            <button type="button" onclick={export(Format::Markdown)}>{ "Export (Markdown)" }</button>
            <ConfirmButton label={props.delete_label.clone()} question={props.question.clone()}
                confirm="Delete history" on_confirm={props.on_delete.clone()} />
            <FilesSpaceTools history={props.history.clone()} />
        </details>
    }
}

/// Props of [`RoomHistoryTools`].
#[derive(Properties, PartialEq)]
pub struct RoomHistoryToolsProps {
    /// The room.
    pub room_id: RoomId,
    /// What to do.
    pub actions: RoomHistoryActions,
}

/// A room's history tools.
#[function_component]
pub fn RoomHistoryTools(props: &RoomHistoryToolsProps) -> Html {
    let id = props.room_id.clone();
    let on_export = {
        let id = id.clone();
        props.actions.on_export.reform(move |f| (id.clone(), f))
    };
    let on_delete = props.actions.on_delete.reform(move |()| id.clone());
    html! {
        <HistoryTools {on_export} {on_delete} delete_label="Delete this room's history"
            history={History::Room(props.room_id.clone())}
            question="Delete this room's messages on this device? Members keep theirs, and will not send these back." />
    }
}

/// Props of [`ConversationHistoryTools`].
#[derive(Properties, PartialEq)]
pub struct ConversationHistoryToolsProps {
    /// The contact.
    pub peer: PeerId,
    /// What to do.
    pub actions: ConversationHistoryActions,
}

/// A conversation's history tools.
#[function_component]
pub fn ConversationHistoryTools(props: &ConversationHistoryToolsProps) -> Html {
    let peer = props.peer.clone();
    let on_export = {
        let peer = peer.clone();
        props.actions.on_export.reform(move |f| (peer.clone(), f))
    };
    let on_delete = props.actions.on_delete.reform(move |()| peer.clone());
    html! {
        <HistoryTools {on_export} {on_delete} delete_label="Delete this conversation's history"
            history={History::Conversation(props.peer.clone())}
            question="Delete this conversation's messages on this device? Your contact keeps theirs." />
    }
}

/// Props of [`NotificationSettings`].
#[derive(Properties, PartialEq)]
pub struct NotificationSettingsProps {
    /// Notifications show the message's words (true) or only who wrote (false).
    pub on_notify_text: Callback<bool>,
}

/// Turning notifications on, and whether they show the message's words.
#[function_component]
pub fn NotificationSettings(props: &NotificationSettingsProps) -> Html {
    let allowed = use_state(crate::notify::allowed);
    let ask = {
        let allowed = allowed.clone();
        Callback::from(move |_| {
            let allowed = allowed.clone();
            wasm_bindgen_futures::spawn_local(async move {
                allowed.set(crate::notify::ask().await);
            });
        })
    };
    let words = use_state(crate::notify::shows_text);
    let on_words = {
        let (words, cb) = (words.clone(), props.on_notify_text.clone());
        Callback::from(move |e: Event| {
            let on = e
                .target_dyn_into::<web_sys::HtmlInputElement>()
                .is_some_and(|i| i.checked());
            crate::notify::set_shows_text(on);
            words.set(on);
            cb.emit(on);
        })
    };
    html! {
        <section class="card notifications" aria-labelledby="notifications-heading">
            <h3 id="notifications-heading">{ "Notifications" }</h3>
            if *allowed {
                <p class="hint">{ "Notifications are on: messages that arrive while PeerChat is in the background show up as notifications." }</p>
                <label class="check">
                    <input type="checkbox" checked={*words} onchange={on_words} />
                    { " Show the message's words in notifications (anyone who sees your lock screen can read them)" }
                </label>
            } else if crate::notify::supported() {
                <button type="button" onclick={ask}>{ "Turn on notifications" }</button>
            } else {
                <p class="hint">{ "This browser cannot show notifications." }</p>
            }
        </section>
    }
}

/// Props of [`DeviceData`].
#[derive(Properties, PartialEq)]
pub struct DeviceDataProps {
    /// Exports every room's and conversation's history, a file each.
    pub on_export_all: Callback<()>,
    /// Called once the user confirmed.
    pub on_erase: Callback<()>,
}

/// What PeerChat keeps on this device: export it all, or delete it all.
#[function_component]
pub fn DeviceData(props: &DeviceDataProps) -> Html {
    let export = props.on_export_all.reform(|_: MouseEvent| ());
    html! {
        <section class="card device-data" aria-labelledby="device-data-heading">
            <h3 id="device-data-heading">{ "Your data" }</h3>
            <p class="hint">{ "Your name, rooms and history are kept here, encrypted with your passphrase. An exported file is not encrypted: keep it private." }</p>
            <button type="button" onclick={export}>{ "Export all" }</button>
            <ConfirmButton label="Delete everything on this device"
                question="Delete your name, rooms and history on this device? This cannot be undone. Your friends keep their copies."
                confirm="Delete everything" on_confirm={props.on_erase.clone()} />
        </section>
    }
}
