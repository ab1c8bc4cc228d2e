//! A file in a conversation: its name and size, the transfer's progress (bytes, speed,
//! time left) with Cancel on both sides, and once the whole file is here, Save and, for
//! photos, a thumbnail that opens the full image. Images are decoded by the browser from
//! an object URL of the stored `Blob`; SVG is never shown inline (it could run script),
//! only offered to save. Any file not shown inline is read back from storage only when
//! the user saves it: opening a chat reads none of its files.

use std::rc::Rc;

use peerchat_chat::state::transfers::{Progress, TransferState, Transfers};
use peerchat_chat::state::Screen;
use peerchat_files::FileOffer;
use yew::prelude::*;

use crate::net::Net;

/// What file lines need from the page: every transfer's progress and the network side
/// (to cancel, and to read stored files back).
#[derive(Clone)]
pub struct FilesContext {
    /// Transfers of this visit.
    pub transfers: Rc<Transfers>,
    /// The network side, once started.
    pub net: Option<Net>,
}

/// The chat the file cards below are in: their lines are that chat's (a file we send
/// two contacts has a transfer with each, a file posted in two rooms a line in each).
#[derive(Clone, PartialEq)]
pub struct FileWith(pub Screen);

impl PartialEq for FilesContext {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.transfers, &other.transfers) && self.net == other.net
    }
}

/// What a chat's composer does with files attached: each goes with `send` to `to`;
/// also returns the last reason one could not go, to show above the composer.
#[hook]
pub fn use_attach<T: Clone + PartialEq + 'static>(
    send: Callback<(T, web_sys::File, Callback<String>)>,
    to: T,
) -> (Callback<Vec<web_sys::File>>, Option<String>) {
    let error = use_state(|| None::<String>);
    // The same callback while `send` and `to` are (the composer is not drawn again for it).
    let on_files = {
        let setter = error.setter();
        use_callback((send, to), move |files: Vec<web_sys::File>, (send, to)| {
            setter.set(None);
            let failed = {
                let setter = setter.clone();
                Callback::from(move |why: String| setter.set(Some(why)))
            };
            for f in files {
                send.emit((to.clone(), f, failed.clone()));
            }
        })
    };
    (on_files, (*error).clone())
}

/// Where saving a file not shown inline is (see `FileCard`'s Save).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Saving {
    /// Not under way.
    No,
    /// Its pieces are being read back from storage.
    ReadingBack,
    /// A piece could not be read back.
    Failed,
}

/// Keeps object URL `u` in `url` while its card is there (`mounted`), and says so; else
/// lets it go `after_ms` later (nothing else would: the card's clean-up has run).
fn keep_url(
    mounted: &std::cell::RefCell<bool>,
    url: &UseStateHandle<Option<String>>,
    u: String,
    after_ms: u32,
) -> bool {
    if *mounted.borrow() {
        url.set(Some(u));
        return true;
    }
    gloo_timers::callback::Timeout::new(after_ms, move || {
        let _ = web_sys::Url::revoke_object_url(&u);
    })
    .forget();
    false
}

/// "1.5 MB".
pub fn size_words(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 => format!("{:.1} GB", b as f64 / (1u64 << 30) as f64),
        b if b >= 1 << 20 => format!("{:.1} MB", b as f64 / (1u64 << 20) as f64),
        b if b >= 1 << 10 => format!("{} KB", b >> 10),
        b => format!("{b} bytes"),
    }
}

fn progress_words(p: &Progress) -> String {
    let t = &p.last;
    let mut words = format!("{} of {}", size_words(t.done), size_words(t.size));
    if t.state == TransferState::Paused {
        words.push_str(" · ");
        words.push_str(t.paused_words());
        return words;
    }
    if let Some(speed) = p.speed() {
        words.push_str(&format!(" · {}/s", size_words(speed)));
    }
    if let Some(left) = p.seconds_left() {
        words.push_str(&format!(" · {left} s left"));
    }
    words
}

/// Props of [`FileCard`].
#[derive(Properties, PartialEq)]
pub struct FileCardProps {
    /// The file.
    pub offer: FileOffer,
}

/// The file's card under its message.
#[function_component]
pub fn FileCard(props: &FileCardProps) -> Html {
    let context = use_context::<FilesContext>();
    let with = use_context::<FileWith>().map(|w| w.0);
    let offer = &props.offer;
    let progress = context
        .as_ref()
        .zip(with.clone())
        .and_then(|(c, chat)| c.transfers.get(&(offer.id.clone(), chat)).cloned());
    let state = progress.as_ref().map(|p| p.last.state.clone());
    let net = context.as_ref().and_then(|c| c.net.clone());
    let image = offer.shows_inline();
    // An image is read back for its thumbnail once it is whole; any other file only when
    // the user saves it (see `on_save`): until then it is enough to know it is whole.
    let url = use_state(|| None::<String>);
    let whole = use_state(|| false);
    let saving = use_state(|| Saving::No);
    // Cleared as the card goes: a read-back that ends later lets its object URL go.
    let mounted = use_mut_ref(|| true);
    // Nothing on its way: complete, or from an earlier visit.
    let settled = matches!(state, None | Some(TransferState::Complete));
    {
        let (url, whole, net, offer) = (url.clone(), whole.clone(), net.clone(), offer.clone());
        let mounted = mounted.clone();
        let complete = state == Some(TransferState::Complete);
        use_effect_with(
            (offer.id.clone(), settled, complete),
            move |(_, settled, complete)| {
                if *settled && url.is_none() && !*whole {
                    if !image && *complete {
                        // The node says complete once every piece is stored (or the file
                        // is ours, attached): nothing to read to know it is whole.
                        whole.set(true);
                    } else if let Some(net) = net {
                        // Just complete: the last piece's write may still be queued.
                        let tries = if *complete { 20 } else { 1 };
                        wasm_bindgen_futures::spawn_local(async move {
                            for _ in 0..tries {
                                if !image {
                                    if net.file_whole(&offer).await {
                                        return whole.set(true);
                                    }
                                } else if let Some(u) = net.file_url(&offer).await {
                                    keep_url(&mounted, &url, u, 0);
                                    return;
                                }
                                gloo_timers::future::TimeoutFuture::new(250).await;
                            }
                        });
                    }
                }
            },
        );
    }
    {
        // The object URL is let go with the card.
        let (url, mounted) = (url.clone(), mounted.clone());
        use_effect_with((), move |_| {
            move || {
                *mounted.borrow_mut() = false;
                if let Some(u) = url.as_ref() {
                    let _ = web_sys::Url::revoke_object_url(u);
                }
            }
        });
    }
    let on_cancel = {
        let (net, file, with) = (net.clone(), offer.id.clone(), with.clone());
        Callback::from(move |_| {
            if let (Some(n), Some(chat)) = (&net, &with) {
                n.cancel_file(file.clone(), chat.clone());
            }
        })
    };
    // Save, the first time: the file is read back from storage (a piece at a time, each
    // handed to the browser as it is opened) and then downloaded; the link that takes
    // the button's place keeps the object URL, so saving again downloads at once.
    let on_save = {
        let (url, saving, offer) = (url.clone(), saving.clone(), offer.clone());
        Callback::from(move |_: MouseEvent| {
            let Some(net) = net.clone().filter(|_| *saving != Saving::ReadingBack) else {
                return;
            };
            saving.set(Saving::ReadingBack);
            let (url, saving, offer, mounted) =
                (url.clone(), saving.clone(), offer.clone(), mounted.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let Some(u) = net.file_url(&offer).await else {
                    return saving.set(Saving::Failed);
                };
                // Failed, the link that takes the button's place still saves it.
                let _ = crate::transfer::save_url(&u, &offer.name);
                // Gone meanwhile, the URL goes a minute on: long enough for the download
                // to have begun reading it.
                if keep_url(&mounted, &url, u, 60_000) {
                    saving.set(Saving::No);
                }
            });
        })
    };
    // Stopped in this chat, the file may still be here for another (read back before
    // that line came, after a restart): not offered here. Nor while it is on its way
    // again (deleted here and sent once more): what was whole is not any more.
    let offered = state.as_ref().is_none_or(TransferState::offers_file);
    let url = url.as_ref().filter(|_| offered);
    let can_save = offered && settled && *whole;
    let reading_back = *saving == Saving::ReadingBack;
    html! {
        <div class="file-card" data-file={offer.id.clone()}>
            if let (true, Some(u)) = (image, url) {
                <a class="thumb-link" href={u.clone()} target="_blank" rel="noopener">
                    <img class="thumb" src={u.clone()} alt={offer.name.clone()} loading="lazy" />
                </a>
            }
            <p class="file-name"><bdi>{ offer.name.clone() }</bdi>{ format!(" · {}", size_words(offer.size)) }</p>
            { match (&progress, state) {
                (Some(p), Some(TransferState::Going | TransferState::Paused)) => html! {
                    <div class="file-progress">
                        <progress max={p.last.size.to_string()} value={p.last.done.to_string()} />
                        <span class="file-status" role="status">{ progress_words(p) }</span>
                        <button type="button" class="secondary file-cancel" onclick={on_cancel}>{ "Cancel" }</button>
                    </div>
                },
                (_, Some(TransferState::Waiting)) => html! {
                    <div class="file-progress">
                        <span class="file-status" role="status">{ "Waiting its turn: other files from the same sender go first." }</span>
                        <button type="button" class="secondary file-cancel" onclick={on_cancel}>{ "Cancel" }</button>
                    </div>
                },
                (_, Some(TransferState::Cancelled { by_us })) => html! {
                    <p class="file-status note" role="status">{ if by_us { "Cancelled." } else { "Cancelled by the other side." } }</p>
                },
                (_, Some(TransferState::Removed)) => html! {
                    <p class="file-status note" role="status">{ "Removed from this device." }</p>
                },
                (_, Some(TransferState::Failed(why))) => html! {
                    <p class="file-status error" role="alert">{ why }</p>
                },
                _ => html! {},
            } }
            if let Some(u) = url {
                <a class="file-save" href={u.clone()} download={offer.name.clone()}>{ "Save" }</a>
            } else if can_save {
                <button type="button" class="link file-save" onclick={on_save} disabled={reading_back}
                    aria-busy={reading_back.then_some("true")}>
                    { if reading_back { "Preparing…" } else { "Save" } }
                </button>
                if *saving == Saving::Failed {
                    <p class="file-status error" role="alert">{ "Part of this file could not be read back from this device's storage, so it was not saved. Try Save again. If it fails again, use Delete files in this chat's info (History), then ask the sender to send it again." }</p>
                }
            }
        </div>
    }
}
