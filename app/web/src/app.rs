//! The root component: opens the vault (first run: name and passphrase; later runs:
//! greeting and passphrase), then hands over to [`Home`]. Which screen shows is decided by
//! the core's [`Gate`](peerchat_chat::gate::Gate) reducer; this file runs its effects
//! (opening the database, deriving the key, erasing) and reports their outcome to it.

use std::cell::RefCell;
use std::rc::Rc;

use gloo_timers::future::TimeoutFuture;
use peerchat_chat::gate::{GateAction, Stage};
use peerchat_vault::Passphrase;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::app_state::GateState;
use crate::home::Home;
use crate::identity;
use crate::storage::{self, Locked, VaultHandle};
use crate::views::setup::{SetupForm, UnlockForm};
use crate::views::update::UpdateBanner;

/// The whole app.
#[function_component]
pub fn App() -> Html {
    let gate = use_reducer(GateState::default);
    // The locked database between attempts: an attempt takes it and hands it back when it
    // fails, so a second submit or a reset while one runs finds nothing to act on.
    let locked: Rc<RefCell<Option<Locked>>> = use_mut_ref(|| None);
    let saved_name = use_memo((), |_| identity::saved_name());
    let invited_to = use_memo((), |_| crate::platform::invite_in_url());

    // Before the first render reads the address: a notification tap may be in it.
    use_memo((), |_| {
        crate::notify::listen_for_taps();
        // Opened by the share sheet: the share waits in the worker's cache.
        crate::share::arrived();
    });
    {
        let (dispatcher, locked) = (gate.dispatcher(), locked.clone());
        use_effect_with((), move |_| {
            spawn_local(async move {
                match storage::open().await {
                    Ok(l) => {
                        dispatcher.dispatch(GateAction::DatabaseOpened { exists: l.exists });
                        *locked.borrow_mut() = Some(l);
                    }
                    Err(e) => dispatcher.dispatch(GateAction::DatabaseFailed(e)),
                }
            });
        });
    }

    // Runs the slow key derivation after the "working" state has painted.
    let open_with = {
        let (dispatcher, locked) = (gate.dispatcher(), locked.clone());
        move |name: String, passphrase: Passphrase, create: bool| {
            let Some(l) = locked.borrow_mut().take() else {
                return;
            };
            dispatcher.dispatch(GateAction::Submitted);
            let (dispatcher, locked) = (dispatcher.clone(), locked.clone());
            spawn_local(async move {
                TimeoutFuture::new(30).await;
                let result = if create {
                    l.create(passphrase).await
                } else {
                    l.unlock(passphrase).await
                };
                match result {
                    Ok(vault) => {
                        let name = identity::remember_name(&vault, name).await;
                        dispatcher.dispatch(GateAction::Unlocked {
                            vault: VaultHandle(vault),
                            name,
                        });
                    }
                    Err((l, e)) => {
                        *locked.borrow_mut() = Some(l);
                        dispatcher.dispatch(GateAction::Refused(e));
                    }
                }
            });
        }
    };
    let on_setup = {
        let open_with = open_with.clone();
        Callback::from(move |(name, passphrase): (String, Passphrase)| {
            open_with(name, passphrase, true)
        })
    };
    let on_unlock = {
        let name = (*saved_name).clone().unwrap_or_default();
        Callback::from(move |passphrase: Passphrase| open_with(name.clone(), passphrase, false))
    };
    let on_reset = {
        let (dispatcher, locked) = (gate.dispatcher(), locked.clone());
        Callback::from(move |()| {
            let Some(l) = locked.borrow_mut().take() else {
                return;
            };
            let dispatcher = dispatcher.clone();
            spawn_local(async move {
                match l.erase().await {
                    // Start over from a fresh page, as on first run.
                    Ok(()) => {
                        if let Some(w) = web_sys::window() {
                            let _ = w.location().reload();
                        }
                    }
                    Err(e) => dispatcher.dispatch(GateAction::EraseFailed(e)),
                }
            });
        })
    };

    let g = &gate.0;
    let (busy, error) = (g.busy, g.error.clone());
    let body = match &g.stage {
        Stage::Opening => html! { <p class="card" role="status">{ "Opening…" }</p> },
        Stage::Open { vault, name } => {
            return html! {
                <>
                    <UpdateBanner />
                    <Home name={name.clone()} vault={vault.clone()} />
                </>
            };
        }
        Stage::Failed(e) => html! { <p class="banner error" role="alert">{ e.clone() }</p> },
        Stage::Setup => html! {
            <SetupForm name={(*saved_name).clone()} on_submit={on_setup} {busy} {error}
                invited_to={(*invited_to).clone()} />
        },
        Stage::Unlock => html! {
            <UnlockForm name={(*saved_name).clone()} {on_unlock} {on_reset} {busy} {error}
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
