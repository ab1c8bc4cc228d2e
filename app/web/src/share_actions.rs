//! Sending what another app shared (see `crate::share`) to the chat the user picks.

use std::rc::Rc;

use peerchat_chat::share::Shared;
use peerchat_chat::state::Screen;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::app_state::AppState;
use crate::net::Net;
use crate::share::{self, Pending};
use crate::views::share::ShareBar;

/// Sends the shared text (as the messages the core cut it into) and files to `to`.
fn send(node: &Net, to: &Screen, shared: &Shared) -> Result<(), String> {
    if !shared.files.is_empty() {
        return Err("This version of PeerChat cannot send files yet: discard the share, or send its text by hand.".to_owned());
    }
    for text in shared.messages()? {
        match to {
            Screen::Conversation(peer) => node.act(|n, now| n.send_text(peer, &text, now)),
            Screen::Room(room) => node.act(|n, now| n.send_room_text(room, None, &text, now)),
        }
        .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The bar offering a waiting share (nothing when there is none): read from the
/// worker's cache once unlocked, sent to the open chat or discarded.
#[hook]
pub fn use_share_bar(
    state: &UseReducerHandle<AppState>,
    node: &UseStateHandle<Option<Net>>,
) -> Html {
    let pending = use_state(|| None::<Rc<Pending>>);
    let error = use_state(|| None::<AttrValue>);
    {
        let pending = pending.clone();
        use_effect_with((), move |_| {
            spawn_local(async move {
                if let Some(p) = share::pending().await {
                    pending.set(Some(Rc::new(p)));
                }
            })
        });
    }
    let Some(p) = (*pending).clone() else {
        return Html::default();
    };
    let s = &state.0;
    let target = s
        .active_conversation()
        .map(|c| c.name.clone().unwrap_or_else(|| c.peer.to_string()))
        .or_else(|| s.active_room().map(|r| r.name.clone()));
    let on_discard = {
        let (pending, error) = (pending.clone(), error.clone());
        Callback::from(move |()| {
            pending.set(None);
            error.set(None);
            spawn_local(share::clear());
        })
    };
    let on_send = {
        let (pending, error, node, to) = (
            pending.clone(),
            error.clone(),
            node.clone(),
            s.active.clone(),
        );
        let shared = p.shared.clone();
        Callback::from(move |()| {
            let (Some(n), Some(to)) = (node.as_ref(), to.as_ref()) else {
                return error.set(Some("Still starting up; try again in a moment.".into()));
            };
            match send(n, to, &shared) {
                Ok(()) => {
                    pending.set(None);
                    error.set(None);
                    spawn_local(share::clear());
                }
                Err(e) => error.set(Some(e.into())),
            }
        })
    };
    html! {
        <ShareBar summary={p.shared.summary()} target={target.map(AttrValue::from)}
            error={(*error).clone()} {on_send} {on_discard} />
    }
}
