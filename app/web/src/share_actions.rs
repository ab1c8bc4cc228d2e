//! Sending what another app shared (see `crate::share`) to the chat the user picks.

use std::rc::Rc;

use peerchat_chat::state::Screen;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::app_state::AppState;
use crate::net::{FileTo, Net};
use crate::share::{self, Pending};
use crate::views::share::ShareBar;

/// The shared file `i` as a `File` with its name and type again (the worker kept bytes).
fn file_of(p: &Pending, i: usize) -> Result<web_sys::File, String> {
    let described = &p.shared.files[i];
    let options = web_sys::FilePropertyBag::new();
    options.set_type(&described.media_type);
    web_sys::File::new_with_blob_sequence_and_options(
        &js_sys::Array::of1(&p.blobs[i]),
        &described.name,
        &options,
    )
    .map_err(|_| format!("{} could not be read; share it again.", described.name))
}

/// Sends the share to `to`: the files first, one by one, then the text as the messages
/// the core cut it into. On a failure what is not sent yet stays waiting (returned with
/// the reason), so nothing is lost and, in this visit, nothing goes twice.
async fn send(node: Net, to: Screen, mut p: Pending) -> Result<(), (Pending, String)> {
    let texts = match p.shared.messages() {
        Ok(texts) => texts,
        Err(why) => return Err((p, why)),
    };
    // Files go to a conversation's peer or to every member of a room.
    let target = match &to {
        Screen::Conversation(peer) => FileTo::Peer(peer.clone()),
        Screen::Room(room) => FileTo::Room(room.clone()),
    };
    while !p.shared.files.is_empty() {
        let sent = match file_of(&p, 0) {
            Ok(file) => node.send_file_to(target.clone(), file).await,
            Err(why) => Err(why),
        };
        if let Err(why) = sent {
            return Err((p, why));
        }
        p.shared.files.remove(0);
        p.blobs.remove(0);
    }
    for (i, text) in texts.iter().enumerate() {
        let sent = match &to {
            Screen::Conversation(peer) => node.act(|n, now| n.send_text(peer, text, now)),
            Screen::Room(room) => node.act(|n, now| n.send_room_text(room, None, text, now)),
        };
        if let Err(e) = sent {
            p.shared.text = Some(texts[i..].join("\n"));
            return Err((p, e.to_string()));
        }
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
    let busy = use_state(|| false);
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
        let (pending, error, busy) = (pending.clone(), error.clone(), busy.clone());
        let (node, to, p) = (node.clone(), s.active.clone(), p.clone());
        Callback::from(move |()| {
            let (Some(n), Some(to)) = ((*node).clone(), to.clone()) else {
                return error.set(Some("Still starting up; try again in a moment.".into()));
            };
            busy.set(true);
            let (pending, error, busy, p) =
                (pending.clone(), error.clone(), busy.clone(), p.clone());
            spawn_local(async move {
                match send(n, to, (*p).clone()).await {
                    Ok(()) => {
                        pending.set(None);
                        error.set(None);
                        share::clear().await;
                    }
                    Err((left, why)) => {
                        pending.set(Some(Rc::new(left)));
                        error.set(Some(why.into()));
                    }
                }
                busy.set(false);
            });
        })
    };
    html! {
        <ShareBar summary={p.shared.summary()} target={target.map(AttrValue::from)}
            error={(*error).clone()} busy={*busy} {on_send} {on_discard} />
    }
}
