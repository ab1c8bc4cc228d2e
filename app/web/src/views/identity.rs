//! "Your ID" with a copy button, and the form to reach a friend by theirs.

use peerchat_peerjs::PeerId;
use yew::prelude::*;

use super::take_input;
use crate::platform::copy_to_clipboard;

/// Props of [`IdCard`].
#[derive(Properties, PartialEq)]
pub struct IdCardProps {
    /// Our peer id.
    pub id: PeerId,
    /// The element id of the code that shows it (unique in the page: the card shows in
    /// New chat and in Settings).
    #[prop_or(AttrValue::Static("my-id"))]
    pub dom_id: AttrValue,
}

/// Shows our id and copies it on request.
#[function_component]
pub fn IdCard(props: &IdCardProps) -> Html {
    let copied = use_state(|| false);
    let onclick = {
        let (id, copied) = (props.id.to_string(), copied.clone());
        Callback::from(move |_| {
            copy_to_clipboard(&id);
            copied.set(true);
        })
    };
    let label = format!("{}-label", props.dom_id);
    html! {
        <section class="card id-card" aria-labelledby={label.clone()}>
            <span id={label} class="label">{ "Your ID" }</span>
            <code id={props.dom_id.clone()} class="peer-id">{ props.id.to_string() }</code>
            <button type="button" aria-label="Copy your ID" {onclick}>
                { if *copied { "Copied" } else { "Copy" } }
            </button>
        </section>
    }
}

/// Props of [`ConnectForm`].
#[derive(Properties, PartialEq)]
pub struct ConnectFormProps {
    /// Our own id, which is not a friend's.
    pub my_id: PeerId,
    /// Called with a valid friend id.
    pub on_connect: Callback<PeerId>,
}

/// Type a friend's id, press Connect.
#[function_component]
pub fn ConnectForm(props: &ConnectFormProps) -> Html {
    let input = use_node_ref();
    let error = use_state(|| None::<String>);
    let onsubmit = {
        let (input, error) = (input.clone(), error.clone());
        let (cb, me) = (props.on_connect.clone(), props.my_id.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            match PeerId::parse(&take_input(&input)) {
                Ok(id) if id == me => error.set(Some(
                    "That is your own ID: paste your friend's ID instead.".into(),
                )),
                Ok(id) => {
                    error.set(None);
                    cb.emit(id);
                }
                Err(e) => error.set(Some(format!("{e}."))),
            }
        })
    };
    html! {
        <form class="card connect" {onsubmit}>
            <label for="friend-id">{ "Friend's ID" }</label>
            <input id="friend-id" ref={input} type="text" autocomplete="off" spellcheck="false" required=true />
            <button type="submit">{ "Connect" }</button>
            if let Some(e) = error.as_ref() { <p class="error" role="alert">{ e.clone() }</p> }
        </form>
    }
}
