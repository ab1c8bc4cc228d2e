//! PeerChat in the browser: the Yew app and the thin glue to the web platform
//! (WebSocket, WebRTC, storage, clocks). Decisions live in `peerchat-peerjs` and
//! `peerchat-chat`; this crate moves bytes and events between them and the browser.
#![forbid(unsafe_code)]

mod app;
mod home;
pub mod identity;
mod net;
mod notify;
pub mod platform;
pub mod storage;
mod storage_actions;
mod transfer;
mod updates;
mod views;

/// Mounts the app on the page's body (the app registers the service worker that lets
/// the installed app open offline and offers new versions).
pub fn run() {
    yew::Renderer::<app::App>::new().render();
}
