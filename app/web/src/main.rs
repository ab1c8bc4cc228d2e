//! PeerChat in the browser: the Yew app and the glue to the web platform.
#![forbid(unsafe_code)]

mod app;
mod identity;
mod net;
mod platform;
mod views;

fn main() {
    yew::Renderer::<app::App>::new().render();
}
