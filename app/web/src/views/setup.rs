//! First run: choose a display name.

use peerchat_chat::protocol::check_name;
use yew::prelude::*;

use super::take_input;

/// Props of [`NamePrompt`].
#[derive(Properties, PartialEq)]
pub struct NamePromptProps {
    /// Called with the checked name.
    pub on_submit: Callback<String>,
}

/// Asks for the user's display name.
#[function_component]
pub fn NamePrompt(props: &NamePromptProps) -> Html {
    let input = use_node_ref();
    let error = use_state(|| None::<String>);
    let onsubmit = {
        let (input, error, cb) = (input.clone(), error.clone(), props.on_submit.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            match check_name(&take_input(&input)) {
                Ok(name) => cb.emit(name),
                Err(e) => error.set(Some(format!("Please {e}."))),
            }
        })
    };
    html! {
        <form class="card setup" {onsubmit}>
            <h2>{ "Welcome to PeerChat" }</h2>
            <p>{ "Chat with friends directly, browser to browser. What should they call you?" }</p>
            <label for="name-input">{ "Your name" }</label>
            <input id="name-input" ref={input} type="text" maxlength="40" autocomplete="nickname" required=true />
            <button type="submit">{ "Start chatting" }</button>
            if let Some(e) = error.as_ref() { <p class="error" role="alert">{ e.clone() }</p> }
        </form>
    }
}
