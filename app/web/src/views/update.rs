//! "A new version is ready" with a button to switch to it.

use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::updates;

/// Registers the service worker and offers a new version when one has installed.
#[function_component]
pub fn UpdateBanner() -> Html {
    let ready = use_state(|| false);
    {
        let ready = ready.clone();
        use_effect_with((), move |_| {
            spawn_local(updates::register(move || ready.set(true)));
        });
    }
    let onclick = Callback::from(|_| spawn_local(updates::apply()));
    html! {
        if *ready {
            <p class="banner update" role="status">
                { "A new version of PeerChat is ready." }
                <button type="button" {onclick}>{ "Update now" }</button>
            </p>
        }
    }
}
