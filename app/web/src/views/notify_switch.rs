//! "Notifications for this chat": the switch in a room's or conversation's info sheet.

use yew::prelude::*;

/// Props of [`NotifySwitch`].
#[derive(Properties, PartialEq)]
pub struct NotifySwitchProps {
    /// Notifications are off for this chat.
    pub muted: bool,
    /// The user turned them off (`true`) or on (`false`).
    pub on_mute: Callback<bool>,
}

/// A checkbox, checked while the chat notifies.
#[function_component]
pub fn NotifySwitch(props: &NotifySwitchProps) -> Html {
    let onchange = props.on_mute.reform(|e: Event| {
        let on = e
            .target_dyn_into::<web_sys::HtmlInputElement>()
            .is_some_and(|i| i.checked());
        !on
    });
    html! {
        <label class="check chat-notifications">
            <input type="checkbox" checked={!props.muted} {onchange} />
            { " Notifications for this chat" }
        </label>
    }
}
