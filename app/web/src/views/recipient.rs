//! Whom a room's next message goes to: everyone, or privately one member online.

use peerchat_peerjs::PeerId;
use web_sys::HtmlSelectElement;
use yew::prelude::*;

/// Props of [`RecipientPicker`].
#[derive(Properties, PartialEq)]
pub struct RecipientPickerProps {
    /// The members online, each with the name to show.
    pub online: Vec<(PeerId, String)>,
    /// Whom the next message goes to (`None`: everyone).
    pub to: Option<PeerId>,
    /// The user picked someone (or everyone).
    pub on_pick: Callback<Option<PeerId>>,
}

/// The list before the composer's box. A component of its own, compared by what it
/// shows, so that a new message in the room does not draw the composer around it again.
#[function_component]
pub fn RecipientPicker(props: &RecipientPickerProps) -> Html {
    let select = use_node_ref();
    {
        // The list shows whom the next message goes to, also after the app changed it:
        // once the user picked an option, its `selected` attribute no longer moves it.
        let select = select.clone();
        use_effect_with(props.to.clone(), move |to| {
            if let Some(el) = select.cast::<HtmlSelectElement>() {
                el.set_value(to.as_ref().map_or("", PeerId::as_str));
            }
        });
    }
    let onchange = props.on_pick.reform(|e: Event| {
        PeerId::parse(&e.target_unchecked_into::<HtmlSelectElement>().value()).ok()
    });
    html! {
        <>
            <label for="recipient" class="visually-hidden">{ "Send to" }</label>
            <select id="recipient" ref={select} {onchange}>
                <option value="" selected={props.to.is_none()}>{ "Everyone" }</option>
                { for props.online.iter().map(|(peer, name)| html! {
                    <option key={peer.to_string()} value={peer.to_string()}
                        selected={props.to.as_ref() == Some(peer)}>
                        { format!("{name} (private)") }
                    </option>
                }) }
            </select>
        </>
    }
}
