//! Before the chat: first run (name and passphrase) and later runs (unlock).

use peerchat_chat::protocol::check_name;
use peerchat_chat::room::Invite;
use peerchat_vault::profile::check_new_passphrase;
use peerchat_vault::Passphrase;
use yew::prelude::*;

use super::confirm::ConfirmButton;
use super::take_passphrase;

/// Props of [`SetupForm`].
#[derive(Properties, PartialEq)]
pub struct SetupFormProps {
    /// A name saved by an earlier PeerChat, to offer.
    #[prop_or_default]
    pub name: Option<String>,
    /// Called with the checked name and passphrase.
    pub on_submit: Callback<(String, Passphrase)>,
    /// Working (the key is being derived).
    pub busy: bool,
    /// What went wrong last time.
    #[prop_or_default]
    pub error: Option<String>,
    /// The room of the invite link the app was opened with.
    #[prop_or_default]
    pub invited_to: Option<Invite>,
}

/// First run: a display name and a passphrase, typed twice.
#[function_component]
pub fn SetupForm(props: &SetupFormProps) -> Html {
    let (name, pass, confirm) = (use_node_ref(), use_node_ref(), use_node_ref());
    let error = use_state(|| None::<String>);
    // What the user typed as their name stays, whatever goes wrong with the passphrase.
    let typed_name = use_state(|| props.name.clone().unwrap_or_default());
    let on_name = {
        let typed_name = typed_name.clone();
        Callback::from(move |e: InputEvent| {
            typed_name.set(
                e.target_unchecked_into::<web_sys::HtmlInputElement>()
                    .value(),
            )
        })
    };
    let onsubmit = {
        let (name, pass, confirm, error) =
            (name.clone(), pass.clone(), confirm.clone(), error.clone());
        let cb = props.on_submit.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let n = match check_name(&input_value(&name)) {
                Ok(n) => n,
                Err(e) => return error.set(Some(format!("Please {e}."))),
            };
            let (p, c) = (take_passphrase(&pass), take_passphrase(&confirm));
            match check_new_passphrase(p.as_str(), c.as_str()) {
                Ok(()) => {
                    error.set(None);
                    cb.emit((n, p));
                }
                Err(e) => error.set(Some(e)),
            }
        })
    };
    let shown = (*error).clone().or_else(|| props.error.clone());
    html! {
        <form class="card setup" {onsubmit}>
            <h2>{ "Welcome to PeerChat" }</h2>
            { invited(props.invited_to.as_ref(), "join") }
            <p>{ "Chat with friends directly, browser to browser. What should they call you?" }</p>
            <label for="name-input">{ "Your name" }</label>
            <input id="name-input" ref={name} type="text" maxlength="40" autocomplete="nickname"
                required=true value={(*typed_name).clone()} oninput={on_name} />
            <p class="hint">{ "Your rooms and messages are kept on this device, encrypted with a passphrase. There is no account: if you forget the passphrase, the history on this device cannot be recovered." }</p>
            <label for="pass-input">{ "Passphrase" }</label>
            <input id="pass-input" ref={pass} type="password" autocomplete="new-password" required=true />
            <label for="confirm-input">{ "Passphrase again" }</label>
            <input id="confirm-input" ref={confirm} type="password" autocomplete="new-password" required=true />
            <button type="submit" disabled={props.busy}>
                { if props.busy { "Setting up…" } else { "Start chatting" } }
            </button>
            if let Some(e) = shown { <p class="error" role="alert">{ e }</p> }
        </form>
    }
}

/// "You are invited to …": the room an invite link leads to, said before the user
/// commits to anything.
fn invited(invite: Option<&Invite>, then: &str) -> Html {
    let Some(invite) = invite else {
        return Html::default();
    };
    let what = if invite.is_public() {
        "the public topic"
    } else {
        "the room"
    };
    html! {
        <p class="invited" role="status">
            { format!("You are invited to {what} ") }<strong>{ invite.name().to_owned() }</strong>
            { format!(": {then} below.") }
        </p>
    }
}

fn input_value(input: &NodeRef) -> String {
    input
        .cast::<web_sys::HtmlInputElement>()
        .map(|el| el.value())
        .unwrap_or_default()
}

/// Props of [`UnlockForm`].
#[derive(Properties, PartialEq)]
pub struct UnlockFormProps {
    /// The saved name, for the greeting.
    pub name: Option<String>,
    /// Called with the passphrase typed.
    pub on_unlock: Callback<Passphrase>,
    /// Called when the user confirmed deleting everything.
    pub on_reset: Callback<()>,
    /// Working (the key is being derived).
    pub busy: bool,
    /// What went wrong last time.
    #[prop_or_default]
    pub error: Option<String>,
    /// The room of the invite link the app was opened with.
    #[prop_or_default]
    pub invited_to: Option<Invite>,
}

/// Later runs: greets the user and asks for the passphrase; or, on request, deletes
/// everything after a confirmation.
#[function_component]
pub fn UnlockForm(props: &UnlockFormProps) -> Html {
    let pass = use_node_ref();
    let onsubmit = {
        let (pass, cb) = (pass.clone(), props.on_unlock.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            cb.emit(take_passphrase(&pass));
        })
    };
    let greeting = match &props.name {
        Some(name) => format!("Welcome back, {name}!"),
        None => "Welcome back!".to_owned(),
    };
    html! {
        <form class="card setup" {onsubmit}>
            <h2>{ greeting }</h2>
            { invited(props.invited_to.as_ref(), "unlock, then join") }
            <p>{ "Type your passphrase to open your rooms and history." }</p>
            <label for="unlock-input">{ "Passphrase" }</label>
            <input id="unlock-input" ref={pass} type="password" autocomplete="current-password" required=true />
            <button type="submit" disabled={props.busy}>
                { if props.busy { "Unlocking…" } else { "Unlock" } }
            </button>
            if let Some(e) = props.error.clone() { <p class="error" role="alert">{ e }</p> }
            <ConfirmButton label="Forgot passphrase?" class="link"
                question="Without the passphrase your history here cannot be opened. Start over: delete your name, rooms and history on this device? Your friends keep their copies."
                confirm="Delete everything" on_confirm={props.on_reset.clone()} />
        </form>
    }
}
