//! A chat's avatar: its initials on a colour fixed by its id (both from the core's
//! `chat_list`). Decoration only: the name beside it says the same.

use yew::prelude::*;

/// Props of [`Avatar`].
#[derive(Properties, PartialEq)]
pub struct AvatarProps {
    /// Up to two initials.
    pub initials: AttrValue,
    /// Which of the stylesheet's colours.
    pub colour: u8,
}

/// Initials in a coloured circle, hidden from screen readers.
#[function_component]
pub fn Avatar(props: &AvatarProps) -> Html {
    // A class per colour: the page's CSP refuses inline styles.
    html! {
        <span class={classes!("avatar", format!("colour-{}", props.colour))} aria-hidden="true">
            { props.initials.clone() }
        </span>
    }
}
