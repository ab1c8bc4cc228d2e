//! The bar on top of an open chat: back to the list, who or what it is, how it stands
//! ("3 online", "Ann is typing…", "Connected to Bob."), and the button for its info sheet.

use yew::prelude::*;

use super::avatar::Avatar;

/// Props of [`ChatBar`].
#[derive(Properties, PartialEq)]
pub struct ChatBarProps {
    /// The heading's id, which names the chat's section.
    pub heading_id: AttrValue,
    /// The heading's content.
    pub title: Html,
    /// The line under it.
    pub subtitle: Html,
    /// Classes of that line.
    #[prop_or_default]
    pub subtitle_class: Classes,
    /// The avatar's initials.
    pub initials: AttrValue,
    /// The avatar's colour.
    pub colour: u8,
    /// Back to the list.
    pub on_back: Callback<()>,
    /// The info sheet is open.
    pub info_open: bool,
    /// Opens or closes the info sheet.
    pub on_info: Callback<()>,
    /// The info button's name ("Room info").
    pub info_label: AttrValue,
    /// The info sheet's id.
    pub sheet_id: AttrValue,
}

/// Back, avatar, name and state, info.
#[function_component]
pub fn ChatBar(props: &ChatBarProps) -> Html {
    let on_back = props.on_back.reform(|_: MouseEvent| ());
    let on_info = props.on_info.reform(|_: MouseEvent| ());
    html! {
        <header class="chat-bar">
            <button type="button" class="icon back" aria-label="Back to chats" onclick={on_back}>
                <span aria-hidden="true">{ "‹" }</span>
            </button>
            <Avatar initials={props.initials.clone()} colour={props.colour} />
            <div class="chat-title">
                <h2 id={props.heading_id.clone()} tabindex="-1">{ props.title.clone() }</h2>
                <p class={classes!("chat-sub", props.subtitle_class.clone())} aria-live="polite">
                    { props.subtitle.clone() }
                </p>
            </div>
            <button type="button" class="icon info-button" aria-label={props.info_label.clone()}
                aria-expanded={props.info_open.to_string()} aria-controls={props.sheet_id.clone()}
                onclick={on_info}>
                <span aria-hidden="true">{ "i" }</span>
            </button>
        </header>
    }
}
