//! The root component: opens the vault (first run: name and passphrase; later runs:
//! greeting and passphrase), then hands over to [`Home`].

use std::cell::RefCell;
use std::rc::Rc;

use gloo_timers::future::TimeoutFuture;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::home::Home;
use crate::identity;
use crate::storage::{self, Locked, VaultHandle};
use crate::views::setup::{SetupForm, UnlockForm};
use crate::views::update::UpdateBanner;

/// Where the app is before the chat shows.
#[derive(Clone, PartialEq)]
enum Gate {
    /// Opening the database.
    Opening,
    /// No vault yet: set one up.
    Setup,
    /// A vault: unlock it.
    Unlock,
    /// Unlocked.
    Open(VaultHandle, String),
    /// Storage cannot be used at all.
    Failed(String),
}

/// The whole app.
#[function_component]
pub fn App() -> Html {
    let gate = use_state(|| Gate::Opening);
    // Deriving the key: the form shows it is working.
    let busy = use_state(|| false);
    let error = use_state(|| None::<String>);
    let locked: Rc<RefCell<Option<Locked>>> = use_mut_ref(|| None);
    let saved_name = use_memo((), |_| identity::saved_name());
    let invited_to = use_memo((), |_| crate::platform::invite_in_url());

    // Before the first render reads the address: a notification tap may be in it.
    use_memo((), |_| crate::notify::listen_for_taps());
    {
        let (gate, locked) = (gate.clone(), locked.clone());
        use_effect_with((), move |_| {
            spawn_local(async move {
                match storage::open().await {
                    Ok(l) => {
                        gate.set(if l.exists { Gate::Unlock } else { Gate::Setup });
                        *locked.borrow_mut() = Some(l);
                    }
                    Err(e) => gate.set(Gate::Failed(e)),
                }
            });
        });
    }

    // Runs the slow key derivation after the "working" state has painted.
    let open_with = {
        let (gate, busy, error, locked) =
            (gate.clone(), busy.clone(), error.clone(), locked.clone());
        move |name: String, passphrase: String, create: bool| {
            let Some(l) = locked.borrow_mut().take() else {
                return;
            };
            busy.set(true);
            let (gate, busy, error, locked) =
                (gate.clone(), busy.clone(), error.clone(), locked.clone());
            spawn_local(async move {
                TimeoutFuture::new(30).await;
                let result = if create {
                    l.create(&passphrase).await
                } else {
                    l.unlock(&passphrase).await
                };
                busy.set(false);
                match result {
                    Ok(vault) => {
                        let name = identity::remember_name(&vault, name).await;
                        error.set(None);
                        gate.set(Gate::Open(VaultHandle(vault), name));
                    }
                    Err((l, e)) => {
                        *locked.borrow_mut() = Some(l);
                        error.set(Some(e));
                    }
                }
            });
        }
    };
    let on_setup = {
        let open_with = open_with.clone();
        Callback::from(move |(name, passphrase): (String, String)| {
            open_with(name, passphrase, true)
        })
    };
    let on_unlock = {
        let name = (*saved_name).clone().unwrap_or_default();
        Callback::from(move |passphrase: String| open_with(name.clone(), passphrase, false))
    };
    let on_reset = {
        let (gate, error, locked) = (gate.clone(), error.clone(), locked.clone());
        Callback::from(move |()| {
            let Some(l) = locked.borrow_mut().take() else {
                return;
            };
            let (gate, error) = (gate.clone(), error.clone());
            spawn_local(async move {
                match l.erase().await {
                    // Start over from a fresh page, as on first run.
                    Ok(()) => {
                        if let Some(w) = web_sys::window() {
                            let _ = w.location().reload();
                        }
                    }
                    Err(e) => {
                        error.set(Some(e));
                        gate.set(Gate::Failed("Local data could not be deleted.".into()));
                    }
                }
            });
        })
    };

    let busy = *busy;
    let body = match &*gate {
        Gate::Opening => html! { <p class="card" role="status">{ "Opening…" }</p> },
        Gate::Open(vault, name) => {
            return html! {
                <>
                    <UpdateBanner />
                    <Home name={name.clone()} vault={vault.clone()} />
                </>
            };
        }
        Gate::Failed(e) => html! { <p class="banner error" role="alert">{ e.clone() }</p> },
        Gate::Setup => html! {
            <SetupForm name={(*saved_name).clone()} on_submit={on_setup} {busy} error={(*error).clone()}
                invited_to={(*invited_to).clone()} />
        },
        Gate::Unlock => html! {
            <UnlockForm name={(*saved_name).clone()} {on_unlock} {on_reset} {busy} error={(*error).clone()}
                invited_to={(*invited_to).clone()} />
        },
    };
    html! {
        <>
            <UpdateBanner />
            <main class="app">
                <header class="top"><h1>{ "PeerChat" }</h1></header>
                { body }
            </main>
        </>
    }
}
